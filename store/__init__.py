"""TinyDB-backed durable state: atomic crash-safe files, one lock, the outbox, audit, seen ids."""

from store.tiny import TinyStore

__all__ = ["TinyStore"]

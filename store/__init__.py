"""State behind the Store port: TinyDB files under a data directory (``store.tiny``), the
inbound spool, and the vault that seals secrets at rest."""

from store.tiny import TinyStore

__all__ = ["TinyStore"]

"""The embedded store: a journal, application files, histories and indexes (see ``layout``)."""

from store.tiny.store import OwnedElsewhere, StoreBroken, TinyStore

__all__ = ["OwnedElsewhere", "StoreBroken", "TinyStore"]

"""State in PostgreSQL for several replicas (``WEBNACCS_DATABASE_URL``): the store, the inbound
mail spool, versioned schema migrations and the import of a TinyDB data directory."""

from store.postgres.schema import SchemaMismatch
from store.postgres.store import PgStore

__all__ = ["PgStore", "SchemaMismatch"]

"""Email policies whose header classes are built once (``HeaderRegistry`` builds a new class on
every header it parses or sets, which dominates reading and composing a mail)."""

from __future__ import annotations

import functools
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry


class CachedRegistry(HeaderRegistry):
    @functools.lru_cache(maxsize=256)  # noqa: B019 - one registry per process
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)

    def __hash__(self) -> int:
        return id(self)


REGISTRY = CachedRegistry()
DEFAULT = policy.default.clone(header_factory=REGISTRY)
SMTP = policy.SMTP.clone(header_factory=REGISTRY)

"""The policy inbound mail is read with: its headers parsed once per value, and no header value
longer than ``MAX_HEADER_CHARS`` parsed.

The stdlib's ``HeaderRegistry`` builds a new class for every header it parses and parses a value
again on every ``get`` (the feed parser asks for a part's ``Content-Type`` five times): about two
thirds of the CPU of reading a reply. A header object is immutable, so ``CachedRegistry`` hands
out one object per (name, short value); the cache is bounded (``MEMO_HEADERS`` values of at most
``MEMO_CHARS`` characters). The bot's own mails are written by ``handlers.email.writer``."""

from __future__ import annotations

import functools
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

# The stdlib's header parser is super-linear in the number of encoded words (a Subject of
# 20,000 took 11 s), so what it is given is capped; a real Subject or From is far shorter.
MAX_HEADER_CHARS = 2_000
MEMO_HEADERS = 1024  # header objects kept (the LRU keeps the values every mail repeats)
MEMO_CHARS = 512  # longer values are parsed each time, never kept


class CachedRegistry(HeaderRegistry):
    @functools.lru_cache(maxsize=256)  # noqa: B019 - one registry per process
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)

    def __call__(self, name: str, value: Any) -> Any:
        if type(value) is str and len(value) <= MEMO_CHARS:
            return self._made(name, value)
        return super().__call__(name, value)

    @functools.lru_cache(maxsize=MEMO_HEADERS)  # noqa: B019 - one registry per process
    def _made(self, name: str, value: str) -> Any:
        return super().__call__(name, value)

    def __hash__(self) -> int:
        return id(self)


def capped(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """The head of a header value, cut at the last white space before ``limit`` so that no
    encoded word is split (or at ``limit`` when there is none)."""
    if len(value) <= limit:
        return value
    head = value[:limit]
    cut = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"))
    return head[:cut] if cut > 0 else head


if TYPE_CHECKING:
    _EmailPolicy = policy.EmailPolicy[EmailMessage]
else:
    _EmailPolicy = policy.EmailPolicy  # not subscriptable at run time


class ReadingPolicy(_EmailPolicy):
    """``policy.default`` for inbound mail: every header value is capped before it is parsed."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if isinstance(value, str):
            value = capped(value)
        return super().header_fetch_parse(name, value)


REGISTRY = CachedRegistry()
READING = ReadingPolicy(header_factory=REGISTRY)

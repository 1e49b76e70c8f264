"""Email policies whose headers are parsed and folded once, and the policy inbound mail is read
with, which parses no header value longer than ``MAX_HEADER_CHARS``.

The stdlib's ``HeaderRegistry`` builds a new class for every header it parses or sets, parses a
value again on every ``get`` (the feed parser asks for a part's ``Content-Type`` five times) and
folds it again on every ``as_bytes``: together about two thirds of the CPU of reading a reply and
of composing the next question. A header object is immutable, so ``CachedRegistry`` hands out
one object per (name, short value) and ``FoldedOnce`` keeps its folding per policy; the caches
are bounded (``MEMO_HEADERS`` values of at most ``MEMO_CHARS`` characters)."""

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


class FoldedOnce(BaseHeader):
    """A header that folds once for each way of folding: what the stdlib's folder reads of a
    policy is its line length, its ``utf8`` and its line separator (a generator clones the
    policy for every MIME part, so the policy object itself cannot be the key)."""

    def fold(self, *, policy: Any) -> str:
        folds: dict[tuple[Any, ...], str] = self.__dict__.setdefault("_folds", {})
        key = (policy.max_line_length, policy.utf8, policy.linesep)
        folded = folds.get(key)
        if folded is None:
            folded = super().fold(policy=policy)
            if len(folds) < 4:
                folds[key] = folded
        return folded


class CachedRegistry(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__(base_class=FoldedOnce)

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
DEFAULT = policy.default.clone(header_factory=REGISTRY)
SMTP = policy.SMTP.clone(header_factory=REGISTRY)
READING = ReadingPolicy(header_factory=REGISTRY)

"""Email policies whose header classes are built once (``HeaderRegistry`` builds a new class on
every header it parses or sets, which dominates reading and composing a mail), and the policy
inbound mail is read with, which parses no header value longer than ``MAX_HEADER_CHARS``."""

from __future__ import annotations

import functools
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

# The stdlib's header parser is super-linear in the number of encoded words (a Subject of
# 20,000 took 11 s), so what it is given is capped; a real Subject or From is far shorter.
MAX_HEADER_CHARS = 2_000


class CachedRegistry(HeaderRegistry):
    @functools.lru_cache(maxsize=256)  # noqa: B019 - one registry per process
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)

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

"""One line of ``doctor``: a status, and a code that names its words in the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
SYMBOLS = {OK: "✓", WARN: "⚠", FAIL: "✗", SKIP: "-"}


@dataclass(frozen=True)
class Check:
    status: str  # ok, warn, fail, skip
    code: str  # a block of templates/<lang>/cli/doctor.j2
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.status]


def ok(code: str, **params: Any) -> Check:
    return Check(OK, code, params)


def warn(code: str, **params: Any) -> Check:
    return Check(WARN, code, params)


def fail(code: str, **params: Any) -> Check:
    return Check(FAIL, code, params)


def skip(code: str, **params: Any) -> Check:
    return Check(SKIP, code, params)

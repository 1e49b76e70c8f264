"""What a failure to process an inbound mail means, and when to try it again.

- **temporary** — the disk (``OSError``: ENOSPC, EIO …; the store refusing more after a failed
  sync, ``StoreBroken``), the database (``psycopg.OperationalError``, a pool timeout) or a
  timeout: tried again with backoff for as long as it takes, never set aside;
- **time_budget** — reading the mail took longer than ``WEBNACCS_MAIL_TIME_BUDGET``: set aside at
  once (the same mail would take as long again);
- **unreadable** — the mail could not be parsed: set aside when it fails so a second time;
- **error** — anything else (a bug): set aside after ``ERROR_ATTEMPTS`` tries.

The delay doubles from ``first`` up to ``cap``, each drawn between half and all of it (jitter),
so that mails failing together do not come back together."""

from __future__ import annotations

import random
from dataclasses import dataclass

from handlers.email.budget import OverBudget

TEMPORARY, TIME_BUDGET, UNREADABLE, ERROR = "temporary", "time_budget", "unreadable", "error"
UNREADABLE_ATTEMPTS = 2  # a parse error that reproduces
ERROR_ATTEMPTS = 5


class Unreadable(Exception):
    """The mail itself could not be parsed."""


def kind_of(error: BaseException) -> str:
    if isinstance(error, OverBudget):
        return TIME_BUDGET
    if isinstance(error, Unreadable):
        return UNREADABLE
    if isinstance(error, OSError | TimeoutError):  # StoreBroken is an OSError
        return TEMPORARY
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency
        return ERROR
    return TEMPORARY if isinstance(error, psycopg.OperationalError) else ERROR


def gives_up(kind: str, attempts: int) -> bool:
    """Whether a mail that failed ``attempts`` times, the last for ``kind``, is set aside."""
    if kind == TEMPORARY:
        return False
    if kind == TIME_BUDGET:
        return True
    return attempts >= (UNREADABLE_ATTEMPTS if kind == UNREADABLE else ERROR_ATTEMPTS)


@dataclass(frozen=True)
class Backoff:
    first: float = 5.0
    cap: float = 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure."""
        base = min(self.cap, self.first * 2.0 ** min(max(attempts - 1, 0), 30))
        return base / 2 + random.uniform(0, base / 2)

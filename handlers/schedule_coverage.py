"""Whether the schedule reaches far enough ahead (``schedule check`` and ``doctor`` warn)."""

from __future__ import annotations

from datetime import date

AHEAD_DAYS = 365  # twelve months of registration dates


def covers_less_than_a_year(last: date | None, today: date) -> bool:
    return last is None or (last - today).days < AHEAD_DAYS

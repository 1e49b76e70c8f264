"""Japanese business days: weekdays that are neither public holidays nor the year-end break."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from holidays.countries.japan import Japan
from holidays.holiday_base import HolidayBase


@lru_cache(maxsize=8)
def _holidays(year: int) -> HolidayBase:
    return Japan(years=year)  # the module itself: country_holidays() would load every country


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5 or day in _holidays(day.year):
        return False
    # NACCS and most Japanese offices close from 29 December to 3 January.
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    nxt = day + timedelta(days=1)
    while not is_business_day(nxt):
        nxt += timedelta(days=1)
    return nxt


def business_days_before(day: date, count: int) -> date:
    """The business day ``count`` business days before ``day``."""
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if is_business_day(current):
            count -= 1
    return current

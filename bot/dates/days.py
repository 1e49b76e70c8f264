"""Calendar arithmetic the readers share: next occurrences, month steps, n-th weekdays."""

from __future__ import annotations

import datetime as _dt
from calendar import isleap, monthrange

from bot.business_days import next_business_day
from bot.dates.errors import impossible, no_such_weekday, not_a_leap_year

ONE_DAY = _dt.timedelta(days=1)


def valid(year: int, month: int, day: int) -> bool:
    return 1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= monthrange(year, month)[1]


def last_day(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def months_later(today: _dt.date, n: int) -> _dt.date:
    """``n`` months on, the day kept or clamped to the month's end (11-30 + 3 months = 02-28)."""
    # dateutil's relativedelta does the same, but it has no type hints for mypy --strict.
    year, month = add_months(today.year, today.month, n)
    return _dt.date(year, month, min(today.day, last_day(year, month)))


def business_days_later(today: _dt.date, n: int) -> _dt.date:
    """The ``n``-th Japanese business day after today (today itself does not count)."""
    day = today
    for _ in range(n):
        day = next_business_day(day)
    return day


def next_month_year(month: int, today: _dt.date) -> int:
    """Year of the next occurrence of ``month`` (this month counts)."""
    return today.year if month >= today.month else today.year + 1


def build(text: str, year: int, month: int, day: int | None, *, year_given: bool) -> _dt.date:
    """The date, ``day=None`` meaning the last day of the month; or ``impossible_date``."""
    if 1 <= year <= 9999 and 1 <= month <= 12 and day is None:
        day = last_day(year, month)
    if day is None or not valid(year, month, day):
        raise impossible(text, year, month, day, year_given=year_given)
    return _dt.date(year, month, day)


def next_occurrence(text: str, month: int, day: int | None, today: _dt.date) -> _dt.date:
    """The first ``month``/``day`` on or after today (``day=None``: the month's last day).

    February 29 is taken only from the coming February: when that one has 28 days the answer
    is ``not_a_leap_year`` (nobody means a date more than a year away without saying so)."""
    first_year = today.year if (month, day or 31) >= (today.month, today.day) else today.year + 1
    if (month, day) == (2, 29) and not isleap(first_year):
        raise not_a_leap_year(text, first_year, next(y for y in range(first_year, first_year + 8) if isleap(y)))
    if 1 <= month <= 12 and (day is None or 1 <= day <= 31):
        d = day or last_day(first_year, month)
        if valid(first_year, month, d):
            return _dt.date(first_year, month, d)
    raise impossible(text, first_year, month, day, year_given=False)


def next_day_of_month(text: str, day: int, today: _dt.date) -> _dt.date:
    """The next date (today included) whose day of the month is ``day``; 31 skips short months."""
    if 1 <= day <= 31:
        year, month = today.year, today.month
        for _ in range(13):
            if valid(year, month, day) and _dt.date(year, month, day) >= today:
                return _dt.date(year, month, day)
            year, month = add_months(year, month, 1)
    raise impossible(text, today.year, today.month, day, year_given=False)


def weekday_after(today: _dt.date, weekday: int) -> _dt.date:
    """The first ``weekday`` strictly after today."""
    return today + _dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def weekday_in_week_of(day: _dt.date, weekday: int) -> _dt.date:
    """That ``weekday`` of the Monday-to-Sunday week holding ``day`` (Japanese business weeks)."""
    return day + _dt.timedelta(days=weekday - day.weekday())


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> _dt.date | None:
    """The ``nth`` (1–5, or -1 for the last) ``weekday`` of the month; None when there is none."""
    if nth == -1:
        last = _dt.date(year, month, last_day(year, month))
        return last - _dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = _dt.date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (nth - 1)
    return _dt.date(year, month, day) if day <= last_day(year, month) else None


def nth_weekday_of(text: str, year: int, month: int, nth: int, weekday: int) -> _dt.date:
    found = nth_weekday(year, month, nth, weekday)
    if found is None:
        raise no_such_weekday(text, year, month, nth, weekday)
    return found


def next_nth_weekday(text: str, month: int | None, nth: int, weekday: int, today: _dt.date) -> _dt.date:
    """The coming ``nth`` ``weekday`` of ``month`` (None: of this month or, once past, the next).

    The month is its next occurrence, this month included; when that day is already past the
    following year's (or month's) is taken. A fifth weekday the chosen month lacks is refused,
    not looked for in other months."""
    if month is None:
        year, month = today.year, today.month
        found = nth_weekday_of(text, year, month, nth, weekday)
        if found < today:
            year, month = add_months(year, month, 1)
            found = nth_weekday_of(text, year, month, nth, weekday)
        return found
    if not 1 <= month <= 12:
        raise impossible(text, today.year, month, None, year_given=False)
    year = next_month_year(month, today)
    found = nth_weekday_of(text, year, month, nth, weekday)
    if found < today:
        found = nth_weekday_of(text, year + 1, month, nth, weekday)
    return found

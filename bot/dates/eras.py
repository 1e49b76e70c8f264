"""Japanese era years (令和8年, R8.1.4, 平成31年…) and the check that the era covers the date.

``mark`` turns an era year into the Western year in the text and remembers what was written;
``check`` refuses a date (or a year) the written era does not cover, naming the era that does:
``平成40年1月4日`` is 令和10年1月4日 (2028-01-04), ``昭和100年`` is 令和7年, ``平成31年5月1日`` is
令和元年5月1日. Year 0 is left in the text and refused as ``impossible_date`` by the reader.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from bot.dates.days import last_day, valid
from bot.dates.errors import ERA_OUT_OF_RANGE, DateError

# name, letter, first day, Western year of its year 1 minus one (newest first).
_ERAS = (
    ("令和", "r", _dt.date(2019, 5, 1), 2018),
    ("平成", "h", _dt.date(1989, 1, 8), 1988),
    ("昭和", "s", _dt.date(1926, 12, 25), 1925),
    ("大正", "t", _dt.date(1912, 7, 30), 1911),
)
_BY_KEY = {key: era for era in _ERAS for key in (era[0], era[1])}

_ERA = r"(令和|平成|昭和|大正|(?<![A-Za-z])[RHSTrhst])"
# 令和8年 / R8年 / 令和元年 anywhere; 令和8.1.4, R8/1/4, H30-11-1 at the start.
_ERA_KANJI_YEAR = re.compile(_ERA + r"(\d{1,3}|元)年")
_ERA_SHORT = re.compile("^" + _ERA + r"(\d{1,3}|元)(?=[./-]\d)")
_ANY_ERA = re.compile("令和|平成|昭和|大正|[RHSTrhst](?:\\d|元)")  # a cheap pre-check
ERA_ZERO = re.compile(
    r"(?P<era>令和|平成|昭和|大正|[RHSTrhst])0+(?:年|[./-])(?:(?P<month>\d{1,2})(?:月|[./-])"
    r"(?P<day>\d{1,2})日?)?.*"
)


@dataclass(frozen=True)
class EraMark:
    """An era year as written (``era`` is the era's kanji name) and the Western year it gives."""

    era: str
    era_year: int
    year: int


def _first_day(name: str) -> _dt.date:
    return _BY_KEY[name][2]


def _last_day(name: str) -> _dt.date | None:
    newer = [e for e in _ERAS if e[2] > _first_day(name)]
    return newer[-1][2] - _dt.timedelta(days=1) if newer else None


def era_of(day: _dt.date) -> tuple[str, int]:
    """The era in force on ``day`` and its year there (2028-01-04 → ("令和", 10))."""
    for name, _letter, first, base in _ERAS:
        if day >= first:
            return name, day.year - base
    name, _letter, _first, base = _ERAS[-1]
    return name, day.year - base


def mark(s: str) -> tuple[str, EraMark | None]:
    """``s`` with era years written as Western years, and the first era year found."""
    if not _ANY_ERA.search(s):
        return s, None
    found: list[EraMark] = []

    def replace(m: re.Match[str], unit: str) -> str:
        name, _letter, _first, base = _BY_KEY[m.group(1).lower()]
        n = 1 if m.group(2) == "元" else int(m.group(2))
        if n == 0:
            return m.group(0)
        found.append(EraMark(name, n, base + n))
        return f"{base + n}{unit}"

    s = _ERA_KANJI_YEAR.sub(lambda m: replace(m, "年"), s)
    s = _ERA_SHORT.sub(lambda m: replace(m, ""), s)
    return s, (found[0] if found else None)


def covers(era: EraMark, day: _dt.date) -> bool:
    last = _last_day(era.era)
    return _first_day(era.era) <= day and (last is None or day <= last)


def out_of_range(text: str, era: EraMark, month: int | None, day: int | None) -> DateError | None:
    """The refusal when ``era`` does not cover the date (or, without a valid day, the year)."""
    year = era.year
    if month is not None and day is not None and valid(year, month, day):
        when = _dt.date(year, month, day)
        if covers(era, when):
            return None
    else:  # no valid day: the era must cover some day of the month (or of the year) written
        day = None  # an impossible day is not echoed back
        month = month if month is not None and 1 <= month <= 12 else None
        lo = _dt.date(year, month or 1, 1)
        when = _dt.date(year, month or 12, last_day(year, month or 12))
        last = _last_day(era.era)
        if _first_day(era.era) <= when and (last is None or lo <= last):
            return None
    right_era, right_year = era_of(when)
    return DateError(ERA_OUT_OF_RANGE, {
        "text": text, "era": era.era, "era_year": era.era_year, "year": year, "month": month, "day": day,
        "right_era": right_era, "right_era_year": right_year,
    })  # fmt: skip

"""English dates: the plain forms are computed here, the rest is asked of ``dateparser``.

Computed here (the same rules as the Japanese forms): ``4 Jan``, ``4th January``, ``the 4th of
January``, ``January 4th``, ``Dec 1, 2026`` (a month and day without a year is the next
occurrence; ``Feb 29`` obeys the leap-year rule); ``the 4th`` (the next 4th of a month);
``second Tuesday of January``, ``the last Friday of next month`` (first … fifth, 1st … 5th,
last); ``end of this month``, ``end of next month``, ``end of the month``, ``end of January``
(the last day); ``in 3 months``, ``2 weeks from now``, ``in 5 business days`` (Japanese
business days), ``next business day``; ``Tuesday after next`` (a week after ``next Tuesday``).

dateparser is called only for the rest (``tomorrow``, ``next Tuesday``...), English only, with
``languages=['en']`` and these explicit settings: ``PREFER_DATES_FROM='future'``,
``RELATIVE_BASE`` = today 00:00, ``TIMEZONE='Asia/Tokyo'``, ``RETURN_AS_TIMEZONE_AWARE=False``,
``REQUIRE_PARTS=['day', 'month']``, ``STRICT_PARSING=False`` (strict mode rejects ``Dec 1``
without a year and every relative form), ``DATE_ORDER='YMD'`` and ``PARSERS`` without
``timestamp``/``no-spaces-time``. ``'ja'`` is deliberately not given to dateparser: with it
``12月1日`` and ``11月1日`` return None, ``3日`` reads as "three days from now" and ``31日`` as
today+31 days; every Japanese form is handled in :mod:`bot.dates.japanese` instead.

Known dateparser quirks worked around: ``REQUIRE_PARTS`` rejects weekday-only phrases
(``next Tuesday``) yet lets ``next month``/``next week`` through (period ``month``/``week``),
and ``the 5th`` without it becomes May. So ``next/this/last/on <weekday>`` and a bare weekday
go to dateparser *without* ``REQUIRE_PARTS`` and the answer is checked (right weekday;
``next``/bare: within the 7 days after today; ``this``: today..today+6; ``last``: the 7 days
before), replaced by the computed date should it fail. A result whose period is ``month`` is
``month_without_day``; ``year`` and ``next/this/last week`` are ``not_a_date``. When dateparser
returns nothing, an English "month name (+ year)" is ``month_without_day``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Protocol

from dateparser.date import DateDataParser

from bot.dates import days
from bot.dates.cleaning import EN_WEEKDAYS
from bot.dates.errors import no_day, not_a_date


class Dateparser(Protocol):
    def __call__(self, text: str, today: _dt.date, *, require_parts: bool = True) -> tuple[Any, str]: ...


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1, "final": -1}  # fmt: skip


def _month(group: str) -> str:
    return (
        rf"(?P<{group}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
        r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
    )


_WEEKDAY = (
    r"(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\.?"
)
_ORD_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,? (?P<year>\d{4}))?"
_I = re.IGNORECASE

_MONTH_DAY = re.compile(rf"(?:the )?{_month('month')},? (?:the )?{_ORD_DAY}{_YEAR}", _I)
_DAY_MONTH = re.compile(rf"(?:the )?{_ORD_DAY}(?: of)? {_month('month')}{_YEAR}", _I)
_THE_DAY = re.compile(r"the (?P<day>\d{1,2})(?:st|nd|rd|th)", _I)
_NTH_WEEKDAY = re.compile(
    rf"(?:the )?(?P<nth>{'|'.join(_ORDINALS)}) {_WEEKDAY}"
    rf"(?: (?:of|in) (?:{_month('month')}{_YEAR}|(?P<rel>this|the|next|the following) month))?",
    _I,
)
_END_OF = re.compile(
    rf"(?:the )?end of (?:{_month('month')}{_YEAR}|(?:(?P<rel>this|the|next|the following) )?month)", _I
)
_SPAN = (
    r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r") "
    r"(?P<unit>(?:business|working) days?|days?|weeks?|fortnights?|months?|years?)"
)
_SPAN_LATER = re.compile(rf"(?P<in>in )?{_SPAN}(?: time| (?P<tail>from now|from today|later|after today|hence))?", _I)
_NEXT_BUSINESS_DAY = re.compile(r"(?:the )?(?:next|following) (?:business|working) day", _I)
_WEEKDAY_AFTER_NEXT = re.compile(rf"(?:the )?{_WEEKDAY} after next", _I)
_WEEKDAY_PHRASE = re.compile(rf"(?:(?P<rel>next|this|last|coming|on|on next|on this)\s+)?{_WEEKDAY}", _I)
_VAGUE_WEEK = re.compile(r"(?:next|this|last|coming|the following) week", _I)
_VAGUE_MONTH = re.compile(
    r"(?:early|mid|late|the beginning of|beginning of|the start of|start of|sometime|some time|during)[ -]?"
    r"(?:in |during )?(?:the )?(?P<rel>this|next|the following) month",
    _I,
)
_MONTH_ONLY = re.compile(
    r"(?:(?:early|mid|late|beginning of|the beginning of|start of"
    r"|sometime in|some time in|in|during)[ -]?)?"
    rf"(?:{_month('month')}(?:,? (?P<year>\d{{4}}))?|(?P<year2>\d{{4}}) {_month('month2')})",
    _I,
)


def _month_of(m: re.Match[str], group: str = "month") -> int:
    return _MONTHS[m[group][:3].lower()]


def _weekday(m: re.Match[str]) -> int:
    return EN_WEEKDAYS[m["wd"][:3].lower()]


def _rel_month(rel: str | None) -> int:
    return 1 if rel and rel.lower() in ("next", "the following") else 0


def _span(m: re.Match[str], today: _dt.date) -> _dt.date:
    n_text = (m["n"] or "").lower()
    n = int(n_text) if n_text.isdigit() else _NUMBER_WORDS[n_text]
    unit = m["unit"].lower()
    if unit.startswith(("business", "working")):
        return days.business_days_later(today, n)
    if unit.startswith("month"):
        return days.months_later(today, n)
    if unit.startswith("year"):
        return days.months_later(today, 12 * n)
    per = {"d": 1, "w": 7, "f": 14}[unit[0]]
    return today + _dt.timedelta(days=n * per)


def _computed(s: str, text: str, today: _dt.date) -> _dt.date | None:
    """The plain English forms, computed without dateparser."""
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        if m := pattern.fullmatch(s):
            if m["year"]:
                return days.build(text, int(m["year"]), _month_of(m), int(m["day"]), year_given=True)
            return days.next_occurrence(text, _month_of(m), int(m["day"]), today)
    if m := _THE_DAY.fullmatch(s):
        return days.next_day_of_month(text, int(m["day"]), today)
    if m := _NTH_WEEKDAY.fullmatch(s):
        nth, weekday = _ORDINALS[m["nth"].lower()], _weekday(m)
        if nth == -1 and not (m["month"] or m["rel"]):
            return None  # "last Tuesday" is the one before today, read below
        if m["month"] and m["year"]:
            return days.nth_weekday_of(text, int(m["year"]), _month_of(m), nth, weekday)
        if m["rel"] and m["rel"].lower() != "the":
            year, month = days.add_months(today.year, today.month, _rel_month(m["rel"]))
            return days.nth_weekday_of(text, year, month, nth, weekday)
        return days.next_nth_weekday(text, _month_of(m) if m["month"] else None, nth, weekday, today)
    if m := _END_OF.fullmatch(s):
        if m["month"]:
            month = _month_of(m)
            year = int(m["year"]) if m["year"] else days.next_month_year(month, today)
        else:
            year, month = days.add_months(today.year, today.month, _rel_month(m["rel"]))
        return days.build(text, year, month, None, year_given=bool(m["year"]))
    if (m := _SPAN_LATER.fullmatch(s)) and (m["in"] or m["tail"]):
        return _span(m, today)
    if _NEXT_BUSINESS_DAY.fullmatch(s):
        return days.business_days_later(today, 1)
    if m := _WEEKDAY_AFTER_NEXT.fullmatch(s):
        return days.weekday_after(today, _weekday(m)) + _dt.timedelta(weeks=1)
    if m := _VAGUE_MONTH.fullmatch(s):
        year, month = days.add_months(today.year, today.month, _rel_month(m["rel"]))
        raise no_day(text, year, month, year_given=False)
    return None


def _weekday_phrase(m: re.Match[str], today: _dt.date, dateparser: Dateparser) -> _dt.date:
    rel = (m["rel"] or "").lower().removeprefix("on").strip()
    weekday = _weekday(m)
    query = f"{rel if rel in ('next', 'this', 'last') else ''} {m['wd']}".strip()
    found, _period = dateparser(query, today, require_parts=False)
    if rel == "last":
        lo, hi = today - _dt.timedelta(days=7), today - _dt.timedelta(days=1)
        expected = today - _dt.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    elif rel == "this":
        lo, hi = today, today + _dt.timedelta(days=6)
        expected = today + _dt.timedelta(days=(weekday - today.weekday()) % 7)
    else:
        lo, hi = today + _dt.timedelta(days=1), today + _dt.timedelta(days=7)
        expected = days.weekday_after(today, weekday)
    if found is not None:
        d = found.date()
        if d.weekday() == weekday and lo <= d <= hi:
            return _dt.date(d.year, d.month, d.day)
    return expected


def read(s: str, text: str, today: _dt.date, dateparser: Dateparser) -> _dt.date:
    """The date an English text means, or a DateError."""
    found_here = _computed(s, text, today)
    if found_here is not None:
        return found_here
    if m := _WEEKDAY_PHRASE.fullmatch(s):
        return _weekday_phrase(m, today, dateparser)
    found, period = dateparser(s, today)
    if found is not None:
        if period == "month":
            raise no_day(text, found.year, found.month, year_given=False)
        if period == "year" or (period == "week" and _VAGUE_WEEK.fullmatch(s)):
            raise not_a_date(text)
        day: _dt.date = found.date()
        return day
    if m := _MONTH_ONLY.fullmatch(s):
        month = _month_of(m, "month" if m["month"] else "month2")
        year_text = m["year"] or m["year2"]
        if year_text:
            raise no_day(text, int(year_text), month, year_given=True)
        raise no_day(text, days.next_month_year(month, today), month, year_given=False)
    raise not_a_date(text)


# --------------------------------------------------------------------------- dateparser

_LANGUAGES = ["en"]


def _settings(today: _dt.date, *, require_parts: bool) -> dict[str, Any]:
    return {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": _dt.datetime(today.year, today.month, today.day),
        "TIMEZONE": "Asia/Tokyo",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": ["day", "month"] if require_parts else [],
        "STRICT_PARSING": False,
        "DATE_ORDER": "YMD",
        "PARSERS": ["relative-time", "custom-formats", "absolute-time"],
    }


def call_dateparser(text: str, today: _dt.date, *, require_parts: bool = True) -> tuple[Any, str]:
    parser = DateDataParser(languages=_LANGUAGES, settings=_settings(today, require_parts=require_parts))
    data = parser.get_date_data(text)
    return data.date_obj, data.period

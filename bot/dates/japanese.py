"""Japanese and all-numeric forms, read by regular expressions and computed here.

The text is already cleaned (:mod:`bot.dates.cleaning`). ``read`` returns a date, raises a
:class:`~bot.dates.errors.DateError`, or returns None when the form is not one of these (the
caller then tries English). Weeks start on Monday (Japanese business usage).

* ``YYYYMMDD`` (8 digits starting 19/20), ``YYYY年M月D日``, ``YYYY/M/D``, ``YYYY-M-D``,
  ``YYYY.M.D`` (the ``日`` optional; ``末日``/``末`` = last day of the month).
* ``M月D日``, ``M/D``, ``M.D``, ``M-D``, ``M月末(日)``: the *next occurrence*, today included;
  one that never exists (2月30日, 13/1) is ``impossible_date``; ``2月29日`` when the coming
  February has 28 days is ``not_a_leap_year``. ``D日`` alone: the next such day of a month.
* ``D/M/YYYY`` and ``M/D/YYYY`` (also with ``.`` or ``-``) when only one reading is a month:
  ``18/1/2027`` and ``1/18/2027`` are 2027-01-18; ``1/4/2027`` stays ``not_a_date``.
* ``今月D日``, ``来月D日``, ``再来月``/``来々月``/``翌々月``, ``先月`` (``の`` optional, ``末日``/``末``
  allowed: ``今月末``, ``再来月末``; ``月末`` alone is this month's); ``今年/来年/再来年/去年M月D日``.
* N-th weekday: ``[YYYY年|今年…|来月…]M月の第N X曜日`` (第1〜第5, ``最終``/``最後の``), also
  without a month (this month's, or next month's once past). A 第5 the month lacks is
  ``no_such_weekday``.
* ``今日`` … ``明々後日``, ``翌々日``, ``昨日``; ``N日後``, ``N週間後``, ``Nか月後`` (``ヶ月 カ月 ヵ月
  ケ月 箇月``; the day is kept or clamped to the month's end), ``N年後``, ``N営業日後`` and
  ``翌営業日`` (Japanese business days, :mod:`bot.business_days`; today does not count).
* ``今週/来週/再来週/来々週/先週(の)X曜(日)``; ``N週間後のX曜日``: that weekday of the week
  holding today + N weeks. ``次の火曜日``, ``今度の火曜``, ``火曜日``: strictly after today.
"""

from __future__ import annotations

import datetime as _dt
import re

from bot.dates import days
from bot.dates.cleaning import WEEKDAYS_JA
from bot.dates.eras import ERA_ZERO
from bot.dates.errors import DateError, impossible, no_day, not_a_date

_VAGUE = (
    r"(?:中|中旬|上旬|下旬|初旬|初め|はじめ|始め|頭|後半|前半|中頃|あたり|辺り|のどこか|のいつか"
    r"|いっぱい|内|以内|中に)?"
)
_DAY = r"(?:(?P<day>\d{1,2})日?|(?P<end>末日?))"
_REL_MONTH = {"先月": -1, "今月": 0, "来月": 1, "翌月": 1, "再来月": 2, "来々月": 2, "翌々月": 2}
_REL_YEAR = {"去年": -1, "昨年": -1, "今年": 0, "本年": 0, "来年": 1, "翌年": 1, "再来年": 2, "来々年": 2}
_REL_WEEK = {"先週": -1, "今週": 0, "来週": 1, "翌週": 1, "再来週": 2, "来々週": 2, "翌々週": 2}
_REL_DAY_WORDS = {
    "今日": 0, "本日": 0, "きょう": 0,
    "明日": 1, "あした": 1, "あす": 1, "翌日": 1,
    "明後日": 2, "あさって": 2, "翌々日": 2,
    "明々後日": 3, "明明後日": 3, "しあさって": 3,
    "昨日": -1, "きのう": -1, "一昨日": -2, "おととい": -2,
}  # fmt: skip


def _alt(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_RM, _RY, _RW = _alt(_REL_MONTH), _alt(_REL_YEAR), _alt(_REL_WEEK)
_WD = rf"(?:(?P<wd>[{WEEKDAYS_JA}])曜日?|[(\[【〔<](?P<wdp>[{WEEKDAYS_JA}])[)\]】〕>])"
_MONTHS_LATER = re.compile(r"(?P<n>\d{1,2})[かカヵヶケ箇]月(?:後|先)")

_YYYYMMDD = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")
_YMD = re.compile(r"(?P<year>\d{4})(?:年|[/.-])(?P<month>\d{1,2})(?:月|[/.-])" + _DAY)
_YM = re.compile(r"(?P<year>\d{4})(?:年|[/.-])(?P<month>\d{1,2})月?" + _VAGUE)
_Y = re.compile(r"\d{4}年末?" + _VAGUE)
_DMY = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})")
_MD = re.compile(r"(?P<month>\d{1,2})(?:月|[/.-])" + _DAY)
_M = re.compile(r"(?P<month>\d{1,2})月" + _VAGUE)
_D = re.compile(r"(?P<day>\d{1,2})日")
_REL_MONTH_DAY = re.compile(rf"(?P<rel>{_RM})の?" + _DAY)
_MONTH_END = re.compile(r"月末日?")
_REL_MONTH_ONLY = re.compile(rf"(?P<rel>{_RM})" + _VAGUE)
_REL_YEAR_MD = re.compile(rf"(?P<rel>{_RY})の?(?P<month>\d{{1,2}})(?:月|[/.-])" + _DAY)
_REL_YEAR_M = re.compile(rf"(?P<rel>{_RY})の?(?P<month>\d{{1,2}})月" + _VAGUE)
_NTH_WEEKDAY = re.compile(
    rf"(?:(?:(?P<year>\d{{4}})年|(?P<ry>{_RY})の?)?(?P<month>\d{{1,2}})月|(?P<rm>{_RM}))?の?"
    rf"(?:第(?P<nth>\d)|(?P<last>最終|最後の))(?P<wdn>[{WEEKDAYS_JA}])(?:曜日?)?"
)
_DAYS_LATER = re.compile(r"(?P<n>\d{1,3})日(?:後|先)")
_WEEKS_LATER = re.compile(r"(?P<n>\d{1,2})週間?(?:後|先)")
_WEEKS_LATER_WEEKDAY = re.compile(rf"(?P<n>\d{{1,2}})週間?(?:後|先)の?(?:{_WD}|(?P<wdb>[{WEEKDAYS_JA}]))")
_YEARS_LATER = re.compile(r"(?P<n>\d{1,2})年(?:後|先)")
_BUSINESS_DAYS_LATER = re.compile(r"(?P<n>\d{1,2})営業日(?:後|先|目)|(?P<next>翌営業日)")
_REL_WEEK_WEEKDAY = re.compile(rf"(?P<rel>{_RW})の?(?:{_WD}|(?P<wdb>[{WEEKDAYS_JA}]))")
_NEXT_WEEKDAY = re.compile(rf"(?:(?:次|次回|今度|こんど|つぎ)の?)?{_WD}")


def _day_of(m: re.Match[str]) -> int | None:
    """The ``_DAY`` group: an int, or None for 末日/末 (last day)."""
    return None if m.group("end") else int(m.group("day"))


def _weekday_of(m: re.Match[str]) -> int:
    for group in ("wd", "wdp", "wdb", "wdn"):
        if group in m.re.groupindex and m.group(group):
            return WEEKDAYS_JA.index(m.group(group))
    raise AssertionError("no weekday group matched")  # pragma: no cover


def _month_day(m: re.Match[str], text: str, year: int, *, year_given: bool) -> _dt.date:
    return days.build(text, year, int(m["month"]), _day_of(m), year_given=year_given)


def _no_day_or_impossible(text: str, year: int, month: int, *, year_given: bool) -> DateError:
    if not 1 <= month <= 12:
        return impossible(text, year, month, None, year_given=year_given)
    return no_day(text, year, month, year_given=year_given)


def _numeric_dmy(m: re.Match[str], text: str) -> _dt.date:
    """``D/M/YYYY`` or ``M/D/YYYY``: read only when exactly one part can be the month."""
    a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
    if (a <= 12) == (b <= 12):  # both could be the month (1/4/2027), or neither (13/13/2027)
        raise not_a_date(text)
    month, day = (a, b) if a <= 12 else (b, a)
    return days.build(text, year, month, day, year_given=True)


def _nth_weekday(m: re.Match[str], text: str, today: _dt.date) -> _dt.date:
    nth = -1 if m["last"] else int(m["nth"])
    if not (1 <= nth <= 5 or nth == -1):
        raise not_a_date(text)
    weekday = _weekday_of(m)
    if m["rm"]:
        year, month = days.add_months(today.year, today.month, _REL_MONTH[m["rm"]])
        return days.nth_weekday_of(text, year, month, nth, weekday)
    if m["year"] or m["ry"]:
        year = int(m["year"]) if m["year"] else today.year + _REL_YEAR[m["ry"]]
        month = int(m["month"])
        if not 1 <= month <= 12:
            raise impossible(text, year, month, None, year_given=True)
        return days.nth_weekday_of(text, year, month, nth, weekday)
    return days.next_nth_weekday(text, int(m["month"]) if m["month"] else None, nth, weekday, today)


def _explicit(s: str, text: str, today: _dt.date) -> _dt.date | None:
    """Dates with a year, a month or a day written out."""
    if m := ERA_ZERO.fullmatch(s):
        month = int(m.group("month")) if m.group("month") else None
        day = int(m.group("day")) if m.group("day") else None
        raise impossible(text, None, month, day, year_given=True, era=m.group("era"), era_year=0)
    if m := _YYYYMMDD.fullmatch(s):
        if not s.startswith(("19", "20")):
            raise not_a_date(text)
        return days.build(text, int(m["year"]), int(m["month"]), int(m["day"]), year_given=True)
    if m := _YMD.fullmatch(s):
        return _month_day(m, text, int(m["year"]), year_given=True)
    if m := _YM.fullmatch(s):
        raise _no_day_or_impossible(text, int(m["year"]), int(m["month"]), year_given=True)
    if _Y.fullmatch(s):
        raise not_a_date(text)
    if m := _DMY.fullmatch(s):
        return _numeric_dmy(m, text)
    if m := _MD.fullmatch(s):
        return days.next_occurrence(text, int(m["month"]), _day_of(m), today)
    if m := _M.fullmatch(s):
        month = int(m["month"])
        year = days.next_month_year(month, today) if 1 <= month <= 12 else today.year
        raise _no_day_or_impossible(text, year, month, year_given=False)
    if m := _D.fullmatch(s):
        return days.next_day_of_month(text, int(m["day"]), today)
    return None


def _relative(s: str, text: str, today: _dt.date) -> _dt.date | None:
    """Dates counted from today: relative months, years, days, weeks and weekdays."""
    if m := _REL_MONTH_DAY.fullmatch(s):
        year, month = days.add_months(today.year, today.month, _REL_MONTH[m["rel"]])
        return days.build(text, year, month, _day_of(m), year_given=False)
    if _MONTH_END.fullmatch(s):
        return days.build(text, today.year, today.month, None, year_given=False)
    if m := _REL_MONTH_ONLY.fullmatch(s):
        year, month = days.add_months(today.year, today.month, _REL_MONTH[m["rel"]])
        raise no_day(text, year, month, year_given=False)
    if m := _REL_YEAR_MD.fullmatch(s):
        return _month_day(m, text, today.year + _REL_YEAR[m["rel"]], year_given=True)
    if m := _REL_YEAR_M.fullmatch(s):
        raise _no_day_or_impossible(text, today.year + _REL_YEAR[m["rel"]], int(m["month"]), year_given=True)
    if m := _NTH_WEEKDAY.fullmatch(s):
        return _nth_weekday(m, text, today)
    if s in _REL_DAY_WORDS:
        return today + _dt.timedelta(days=_REL_DAY_WORDS[s])
    if m := _DAYS_LATER.fullmatch(s):
        return today + _dt.timedelta(days=int(m["n"]))
    if m := _WEEKS_LATER.fullmatch(s):
        return today + _dt.timedelta(weeks=int(m["n"]))
    if m := _WEEKS_LATER_WEEKDAY.fullmatch(s):
        return days.weekday_in_week_of(today + _dt.timedelta(weeks=int(m["n"])), _weekday_of(m))
    if m := _MONTHS_LATER.fullmatch(s):
        return days.months_later(today, int(m["n"]))
    if m := _YEARS_LATER.fullmatch(s):
        return days.months_later(today, 12 * int(m["n"]))
    if m := _BUSINESS_DAYS_LATER.fullmatch(s):
        return days.business_days_later(today, 1 if m["next"] else int(m["n"]))
    if m := _REL_WEEK_WEEKDAY.fullmatch(s):
        return days.weekday_in_week_of(today + _dt.timedelta(weeks=_REL_WEEK[m["rel"]]), _weekday_of(m))
    if m := _NEXT_WEEKDAY.fullmatch(s):
        return days.weekday_after(today, _weekday_of(m))
    return None


def read(s: str, text: str, today: _dt.date) -> _dt.date | None:
    """A date, a DateError, or None (not a Japanese or numeric form)."""
    return _explicit(s, text, today) or _relative(s, text, today)

"""Reading a desired start date the way a Japanese office worker writes it (SPEC §4).

``parse_date(text, today=...)`` returns a :class:`datetime.date` or raises :class:`DateError`
carrying a machine-readable ``code`` and ``params``; the wording of any message lives in the
templates, not here. ``today`` is the caller's date *in Japan*; nothing here looks at the
machine's clock or zone.

How it works
------------
1. :func:`normalise` cleans the text (rules below).
2. The Japanese and all-numeric forms are read by regular expressions and the date is computed
   here, deterministically. Forms known to be invalid are rejected here too, so invalid input
   never reaches ``dateparser`` (the slow path).
3. Only text that is plain ASCII, is not purely numeric and contains a digit or an English
   date word is handed to ``dateparser`` (English only, see "dateparser" below). Anything else
   is ``not_a_date`` straight away.

Normalisation (``normalise``)
-----------------------------
* Unicode NFKC (full-width digits, letters, ``／``, ``（）``, ideographic space...), trim,
  collapse whitespace; drop spaces next to Japanese characters and around ``/ . -`` between
  digits; dash look-alikes between digits (``ー``, ``−``, ``–``...) become ``-``.
* Kanji numerals directly before ``年 月 日 週 か月 ヶ月`` become digits, positional
  (``二〇二六``) or with ``十 百 千`` (``二千二十六``, ``十二``, ``三十一``).
* Era years become Gregorian: ``令和N年`` = 2018+N, ``平成N年`` = 1988+N, ``昭和N年`` = 1925+N,
  ``元年`` = year 1; also ``R8年``, and the short forms ``R8.12.1`` / ``R8/12/1`` /
  ``R8-12-1`` / ``H30.11.1`` / ``S64.1.7`` (case-insensitive). The arithmetic is applied as
  written, without checking the era's real span (``平成31年12月1日`` reads as 2019-12-01,
  ``令和元年4月1日`` as 2019-04-01); era year 0 is ``impossible_date``.
* Surrounding words are stripped, repeatedly, from both ends: leading ``利用開始日は``,
  ``開始日:``, ``希望日は``, ``日付は``, ``starting``, ``from``, ``on``...; trailing ``。 . ! 、``,
  ``を希望します``, ``希望``, ``でお願いします``, ``よろしくお願いします``, ``から``, ``より``,
  ``頃``/``ごろ``, ``予定``, ``利用開始``, ``したいです``, ``です``, particles ``で に を は``,
  ``please``... (``以降`` is *not* stripped: "on or after" is not one date).
* A weekday attached to an explicit date is removed: ``（火）``, ``(火曜)``, ``火曜日``,
  ``[火]``, ``(Tue)``. It is ignored, not checked against the date (the bot echoes the date it
  understood, with its weekday, for confirmation).

Japanese and numeric forms (computed here)
------------------------------------------
* ``YYYYMMDD`` (8 digits starting 19/20), ``YYYY年M月D日``, ``YYYY/M/D``, ``YYYY-M-D``,
  ``YYYY.M.D`` (the ``日`` optional; ``末日`` = last day of the month).
* ``M月D日``, ``M/D``, ``M.D``, ``M-D``, ``M月末日``: the *next occurrence*, today included. A
  day that exists only in some years (2月29日) goes to the next year that has it; one that
  never exists (2月30日, 13/1) is ``impossible_date``. ``D日`` alone: the next occurrence of
  that day of the month (today included; 31日 skips 30-day months).
* ``今月D日``, ``来月D日``, ``再来月D日``, ``先月D日`` (``の`` optional, ``末日`` allowed);
  ``今年/来年/再来年/去年M月D日``.
* ``今日``/``本日``/``きょう`` = today, ``明日``/``あした``/``あす`` = +1, ``明後日``/``あさって``
  = +2, ``明々後日``/``しあさって`` = +3, ``昨日`` = -1, ``一昨日``/``おととい`` = -2;
  ``N日後``, ``N週間後``.
* ``今週/来週/再来週/先週(の)X曜(日)``: weeks start on Monday (Japanese business usage), so
  ``来週の火曜日`` is the Tuesday of the Monday-to-Sunday week after this one; ``今週の火曜日``
  may lie in the past (the caller decides what to say about past dates).
* ``次の火曜日``, ``今度の火曜``, ``火曜日``: the first such weekday strictly after today.
* Past dates are returned as dates; rejecting them is the schedule's job, not this module's.

Rejections (``DateError.code``)
-------------------------------
* ``empty``: blank input. ``params = {"text"}``.
* ``month_without_day``: ``2026年12月``, ``12月``, ``12月上旬``, ``来月``, ``2026/12``,
  ``December 2026``, ``mid December``, ``next month``. ``params = {"text", "year", "month",
  "year_given"}`` (year resolved to the next occurrence when not written).
* ``impossible_date``: ``2月30日``, ``2026年13月1日``, ``20261301``, ``R8.2.30``, ``来月31日``
  when next month has 30 days, ``令和0年...``. ``params = {"text", "year", "month", "day",
  "year_given"}`` (+ ``"era"``, ``"era_year"`` for era year 0, where ``year`` is None).
  ``month`` may be out of range (13) and ``day`` may be None (``2026年13月``).
* ``not_a_date``: anything else (``よろしく``, ``abc``, ``12345``, ``2026年``, ``next week``,
  ambiguous all-numeric forms such as ``1/12/2026`` or ``26/12/1``). ``params = {"text"}``.

dateparser
----------
Called only for English, with ``languages=['en']`` and these explicit settings:
``PREFER_DATES_FROM='future'``, ``RELATIVE_BASE`` = today 00:00, ``TIMEZONE='Asia/Tokyo'``,
``RETURN_AS_TIMEZONE_AWARE=False``, ``REQUIRE_PARTS=['day', 'month']``,
``STRICT_PARSING=False`` (strict mode rejects ``Dec 1`` without a year and every relative form),
``DATE_ORDER='YMD'`` and ``PARSERS`` without ``timestamp``/``no-spaces-time`` (numeric input
never reaches it anyway). ``'ja'`` is deliberately not given to dateparser: with it ``12月1日`` and
``11月1日`` return None, ``3日`` reads as "three days from now" and ``31日`` as today+31 days;
every Japanese form is handled above instead.

Known dateparser quirks worked around: ``REQUIRE_PARTS`` rejects weekday-only phrases
(``next Tuesday``) yet lets ``next month``/``next week`` through (period ``month``/``week``),
and without it ``the 5th`` becomes May. So:

* ``next/this/last/on <weekday>`` and a bare weekday go to dateparser *without*
  ``REQUIRE_PARTS``; the answer is checked (right weekday; ``next``/bare: within the 7 days
  after today; ``this``: within today..today+6; ``last``: within the 7 days before) and, should
  it fail the check, replaced by that computed date. With today a Thursday, ``next Tuesday`` is
  the coming Tuesday (5 days on) and ``next Thursday`` is a week on.
* A result whose period is ``month`` is ``month_without_day``; ``year`` and ``next/this/last
  week`` are ``not_a_date``; ``in 2 weeks`` is accepted.
* When dateparser returns nothing, an English "month name (+ year)" is ``month_without_day``.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from calendar import monthrange
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

JST = ZoneInfo("Asia/Tokyo")

EMPTY = "empty"
MONTH_WITHOUT_DAY = "month_without_day"
IMPOSSIBLE_DATE = "impossible_date"
NOT_A_DATE = "not_a_date"
CODES = (EMPTY, MONTH_WITHOUT_DAY, IMPOSSIBLE_DATE, NOT_A_DATE)

__all__ = ["CODES", "JST", "DateError", "normalise", "parse_date", "warm_up"]


class DateError(ValueError):
    """A text that is not (or not exactly) one date. ``code`` is one of :data:`CODES`."""

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown DateError code {code!r}")
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        super().__init__(f"{code}: {self.params!r}")


# --------------------------------------------------------------------------- normalising

_DIGIT_KANJI = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_UNIT_KANJI = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile("([" + "".join(_DIGIT_KANJI) + "".join(_UNIT_KANJI) + "]+)(?=[年月日週]|か月|ヶ月|カ月)")

_ERA_BASE = {"令和": 2018, "平成": 1988, "昭和": 1925, "r": 2018, "h": 1988, "s": 1925}
# 令和8年 / R8年 / 令和元年 (year 0 is left alone and rejected by the parser)
_ERA_KANJI_YEAR = re.compile(r"(令和|平成|昭和|(?<![A-Za-z])[RHSrhs])(\d{1,2}|元)年")
# R8.12.1, R8/12/1, R8-12-1 at the start (after normalising spaces)
_ERA_SHORT = re.compile(r"^([RHSrhs])(\d{1,2}|元)(?=[./-]\d)")

_DASHES_BETWEEN_DIGITS = re.compile(r"(?<=\d)[‐‑‒–—―−ー‐ｰ](?=\d)")
_SPACE_NEXT_TO_NON_ASCII = re.compile(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ")
_SPACE_AROUND_DATE_SEP = re.compile(r"(?<=\d) ?([/.-]) ?(?=\d)")
_QUOTES = re.compile(r"^[「『\"'“‘(\[【]+(.*?)[」』\"'”’)\]】]+$")

_WEEKDAYS_JA = "月火水木金土日"
_OPEN = r"[(\[【〔<]"
_CLOSE = r"[)\]】〕>]"
_EN_WEEKDAY_ABBR = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_WEEKDAY_SUFFIX = re.compile(
    r"(?:(?<=\d)|(?<=\d日)) ?(?:"
    rf"{_OPEN} ?[{_WEEKDAYS_JA}](?:曜日?)? ?{_CLOSE}"
    rf"|{_OPEN} ?{_EN_WEEKDAY_ABBR} ?{_CLOSE}"
    rf"|[{_WEEKDAYS_JA}]曜日?"
    r")",
    re.IGNORECASE,
)

_PREFIX = re.compile(
    r"^(?:"
    r"(?:ご|御)?(?:システム登録|利用開始|使用開始|開始|登録|スタート|希望|申込|申し込み)"
    r"(?:希望)?(?:日|日付)?(?:は|:|が|を)"
    r"|(?:ご|御)?(?:システム登録|利用開始|使用開始|開始|希望|申込|申し込み)(?:日|日付)"
    r"|(?:日付|日にち)(?:は|:)"
    r"|えっと|えーと|えー|では|じゃあ|それでは"
    r"|(?:the |my )?(?:desired |preferred |requested )?start(?:ing)?(?: date)?(?: is| would be)?:?"
    r"|(?:date|start) ?:"
    r"|(?:from|on|by|starting) "
    r")[ 、,:]*",
    re.IGNORECASE,
)

_SUFFIX = re.compile(
    r"(?:"
    r"[。.!?、,~〜 ♪]"
    r"|(?:どうぞ)?よろしく(?:お願い(?:いた|致)?します)?"
    r"|お願い(?:いた|致)?します|お願い(?:いた|致)?したい(?:です)?|お願い"
    r"|(?:を|で|に)?(?:希望|要望)(?:します|いたします|致します|です|でございます)?"
    r"|(?:利用|使用|開始|スタート|申込|申し込み|登録)+"
    r"(?:したい|します|する|希望|予定|可能|でき(?:れば|たら|ます))?"
    r"|したい(?:です)?|して(?:ください|下さい|ほしい|欲しい)(?:です)?"
    r"|(?:で|が)?(?:大丈夫|問題ありません|OK|ok|結構|構いません|かまいません)"
    r"|から|より|頃|ごろ|くらい|ぐらい|予定|でした|です|になります|でございます"
    r"|で|に|を|は"
    r"|\b(?:please|thanks|thank you|if possible)"
    r")$",
    re.IGNORECASE,
)


def _kanji_to_int(s: str) -> int:
    if not any(c in _UNIT_KANJI for c in s):
        return int("".join(str(_DIGIT_KANJI[c]) for c in s))
    total = current = 0
    for c in s:
        if c in _UNIT_KANJI:
            total += (current or 1) * _UNIT_KANJI[c]
            current = 0
        else:
            current = current * 10 + _DIGIT_KANJI[c]
    return total + current


def _era_year(era: str, year: str) -> int | None:
    n = 1 if year == "元" else int(year)
    if n == 0:
        return None
    return _ERA_BASE[era.lower()] + n


def _replace_era_kanji(m: re.Match[str]) -> str:
    year = _era_year(m.group(1), m.group(2))
    return m.group(0) if year is None else f"{year}年"


def _replace_era_short(m: re.Match[str]) -> str:
    year = _era_year(m.group(1), m.group(2))
    return m.group(0) if year is None else str(year)


def normalise(text: str) -> str:
    """The cleaned-up text the parser works on (see the module docstring for the rules)."""
    s = unicodedata.normalize("NFKC", text or "")
    s = re.sub(r"\s+", " ", s).strip()
    s = _DASHES_BETWEEN_DIGITS.sub("-", s)
    s = _SPACE_NEXT_TO_NON_ASCII.sub("", s)
    s = _SPACE_AROUND_DATE_SEP.sub(r"\1", s)
    s = _KANJI_NUMBER.sub(lambda m: str(_kanji_to_int(m.group(1))), s)
    previous = None
    while s != previous:
        previous = s
        quoted = _QUOTES.match(s)
        if quoted:
            s = quoted.group(1).strip()
        s = _PREFIX.sub("", s, count=1)
        s = _SUFFIX.sub("", s, count=1)
        s = _WEEKDAY_SUFFIX.sub("", s)
        s = s.strip()
    s = _ERA_KANJI_YEAR.sub(_replace_era_kanji, s)
    s = _ERA_SHORT.sub(_replace_era_short, s)
    return s


# --------------------------------------------------------------------------- date helpers


def _valid(year: int, month: int, day: int) -> bool:
    return 1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= monthrange(year, month)[1]


def _last_day(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _next_month_occurrence(month: int, today: _dt.date) -> int:
    """Year of the next occurrence of ``month`` (this month counts)."""
    return today.year if month >= today.month else today.year + 1


# --------------------------------------------------------------------------- the parser

_VAGUE = (
    r"(?:中|中旬|上旬|下旬|初旬|初め|はじめ|始め|頭|末|後半|前半|中頃|あたり|辺り|のどこか|のいつか"
    r"|いっぱい|内|以内|中に)?"
)
_DAY = r"(?:(?P<day>\d{1,2})日?|(?P<end>末日))"

_ERA_ZERO = re.compile(
    r"(?P<era>令和|平成|昭和|[RHSrhs])0+(?:年|[./-])(?:(?P<month>\d{1,2})(?:月|[./-])"
    r"(?P<day>\d{1,2})日?)?.*"
)
_YYYYMMDD = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")
_YMD = re.compile(r"(?P<year>\d{4})(?:年|[/.-])(?P<month>\d{1,2})(?:月|[/.-])" + _DAY)
_YM = re.compile(r"(?P<year>\d{4})(?:年|[/.-])(?P<month>\d{1,2})月?" + _VAGUE)
_Y = re.compile(r"\d{4}年" + _VAGUE)
_MD = re.compile(r"(?P<month>\d{1,2})(?:月|[/.-])" + _DAY)
_M = re.compile(r"(?P<month>\d{1,2})月" + _VAGUE)
_D = re.compile(r"(?P<day>\d{1,2})日")
_REL_MONTH = {"先月": -1, "今月": 0, "来月": 1, "翌月": 1, "再来月": 2}
_REL_MONTH_DAY = re.compile(r"(?P<rel>先月|今月|来月|翌月|再来月)の?" + _DAY)
_REL_MONTH_ONLY = re.compile(r"(?P<rel>先月|今月|来月|翌月|再来月)" + _VAGUE)
_REL_YEAR = {"去年": -1, "昨年": -1, "今年": 0, "本年": 0, "来年": 1, "翌年": 1, "再来年": 2}
_REL_YEAR_MD = re.compile(r"(?P<rel>去年|昨年|今年|本年|来年|翌年|再来年)の?(?P<month>\d{1,2})(?:月|[/.-])" + _DAY)
_REL_YEAR_M = re.compile(r"(?P<rel>去年|昨年|今年|本年|来年|翌年|再来年)の?(?P<month>\d{1,2})月" + _VAGUE)
_REL_DAY_WORDS = {
    "今日": 0, "本日": 0, "きょう": 0,
    "明日": 1, "あした": 1, "あす": 1, "翌日": 1,
    "明後日": 2, "あさって": 2,
    "明々後日": 3, "明明後日": 3, "しあさって": 3,
    "昨日": -1, "きのう": -1, "一昨日": -2, "おととい": -2,
}  # fmt: skip
_DAYS_LATER = re.compile(r"(?P<n>\d{1,3})日(?:後|先)")
_WEEKS_LATER = re.compile(r"(?P<n>\d{1,2})週間?(?:後|先)")
_WD = rf"(?:(?P<wd>[{_WEEKDAYS_JA}])曜日?|{_OPEN}(?P<wdp>[{_WEEKDAYS_JA}]){_CLOSE})"
_REL_WEEK = {"先週": -1, "今週": 0, "来週": 1, "翌週": 1, "再来週": 2}
_REL_WEEK_WEEKDAY = re.compile(rf"(?P<rel>先週|今週|来週|翌週|再来週)の?(?:{_WD}|(?P<wdb>[{_WEEKDAYS_JA}]))")
_NEXT_WEEKDAY_JA = re.compile(rf"(?:(?:次|次回|今度|こんど|つぎ)の?)?{_WD}")

_NUMERIC_ONLY = re.compile(r"[\d/.\- ]+")

_EN_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


def _en_month(group: str) -> str:
    return (
        rf"(?P<{group}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
        r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
    )


_EN_MONTH_ONLY = re.compile(
    r"(?:(?:early|mid|late|end of|the end of|beginning of|the beginning of|start of"
    r"|sometime in|some time in|in|during)[ -]?)?"
    rf"(?:{_en_month('month')}(?:,? (?P<year>\d{{4}}))?|(?P<year2>\d{{4}}) {_en_month('month2')})",
    re.IGNORECASE,
)
_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_EN_WEEKDAY_PHRASE = re.compile(
    r"(?:(?P<rel>next|this|last|coming|on|on next|on this)\s+)?"
    r"(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\.?",
    re.IGNORECASE,
)
_EN_VAGUE_WEEK = re.compile(r"(?:next|this|last|coming|the following) week", re.IGNORECASE)
_EN_DATE_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
    r"|today|tomorrow|yesterday|tonight|now|day|days|week|weeks|fortnight|month|months"
    r"|year|years|ago|next|last|this|after|later|hence)",
    re.IGNORECASE,
)

_DATEPARSER_LANGUAGES = ["en"]


def _dateparser_settings(today: _dt.date, *, require_parts: bool) -> dict[str, Any]:
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


def _dateparser(text: str, today: _dt.date, *, require_parts: bool = True) -> tuple[Any, str]:
    parser = DateDataParser(
        languages=_DATEPARSER_LANGUAGES,
        settings=_dateparser_settings(today, require_parts=require_parts),
    )
    data = parser.get_date_data(text)
    return data.date_obj, data.period


def _impossible(text: str, year: int | None, month: int | None, day: int | None, *,
                year_given: bool, **extra: Any) -> DateError:  # fmt: skip
    params = {"text": text, "year": year, "month": month, "day": day, "year_given": year_given}
    return DateError(IMPOSSIBLE_DATE, params | extra)


def _no_day(text: str, year: int | None, month: int | None, *, year_given: bool) -> DateError:
    return DateError(MONTH_WITHOUT_DAY, {"text": text, "year": year, "month": month, "year_given": year_given})


def _build(text: str, year: int, month: int, day: int | None, *, year_given: bool) -> _dt.date:
    """The date, ``day=None`` meaning the last day of the month; or ``impossible_date``."""
    if 1 <= year <= 9999 and 1 <= month <= 12 and day is None:
        day = _last_day(year, month)
    if day is None or not _valid(year, month, day):
        raise _impossible(text, year, month, day, year_given=year_given)
    return _dt.date(year, month, day)


def _day_of(m: re.Match[str]) -> int | None:
    """The ``_DAY`` group: an int, or None for 末日 (last day)."""
    return None if m.group("end") else int(m.group("day"))


def _next_occurrence(text: str, month: int, day: int | None, today: _dt.date) -> _dt.date:
    """The first ``month``/``day`` on or after today (``day=None``: the month's last day)."""
    first_year = today.year if (month, day or 31) >= (today.month, today.day) else today.year + 1
    if 1 <= month <= 12 and (day is None or 1 <= day <= 31):
        for year in range(first_year, first_year + 8):
            d = day or _last_day(year, month)
            if _valid(year, month, d) and _dt.date(year, month, d) >= today:
                return _dt.date(year, month, d)
    raise _impossible(text, first_year, month, day, year_given=False)


def _next_day_of_month(text: str, day: int, today: _dt.date) -> _dt.date:
    if 1 <= day <= 31:
        year, month = today.year, today.month
        for _ in range(13):
            if _valid(year, month, day) and _dt.date(year, month, day) >= today:
                return _dt.date(year, month, day)
            year, month = _add_months(year, month, 1)
    raise _impossible(text, today.year, today.month, day, year_given=False)


def _weekday_after(today: _dt.date, weekday: int) -> _dt.date:
    """The first ``weekday`` strictly after today."""
    return today + _dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _weekday_of(m: re.Match[str]) -> int:
    for group in ("wd", "wdp", "wdb"):
        if group in m.re.groupindex and m.group(group):
            return _WEEKDAYS_JA.index(m.group(group))
    raise AssertionError("no weekday group matched")  # pragma: no cover


def _parse_local(s: str, text: str, today: _dt.date) -> _dt.date | None:
    """Japanese and numeric forms. A date, a DateError, or None (not recognised here)."""
    if m := _ERA_ZERO.fullmatch(s):
        month = int(m.group("month")) if m.group("month") else None
        day = int(m.group("day")) if m.group("day") else None
        raise _impossible(text, None, month, day, year_given=True, era=m.group("era"), era_year=0)
    if m := _YYYYMMDD.fullmatch(s):
        if not s.startswith(("19", "20")):
            raise DateError(NOT_A_DATE, {"text": text})
        y, mo, d = int(m["year"]), int(m["month"]), int(m["day"])
        return _build(text, y, mo, d, year_given=True)
    if m := _YMD.fullmatch(s):
        return _build(text, int(m["year"]), int(m["month"]), _day_of(m), year_given=True)
    if m := _YM.fullmatch(s):
        year, month = int(m["year"]), int(m["month"])
        if not 1 <= month <= 12:
            raise _impossible(text, year, month, None, year_given=True)
        raise _no_day(text, year, month, year_given=True)
    if _Y.fullmatch(s):
        raise DateError(NOT_A_DATE, {"text": text})
    if m := _MD.fullmatch(s):
        return _next_occurrence(text, int(m["month"]), _day_of(m), today)
    if m := _M.fullmatch(s):
        month = int(m["month"])
        if not 1 <= month <= 12:
            raise _impossible(text, today.year, month, None, year_given=False)
        raise _no_day(text, _next_month_occurrence(month, today), month, year_given=False)
    if m := _D.fullmatch(s):
        return _next_day_of_month(text, int(m["day"]), today)
    if m := _REL_MONTH_DAY.fullmatch(s):
        year, month = _add_months(today.year, today.month, _REL_MONTH[m["rel"]])
        return _build(text, year, month, _day_of(m), year_given=False)
    if m := _REL_MONTH_ONLY.fullmatch(s):
        year, month = _add_months(today.year, today.month, _REL_MONTH[m["rel"]])
        raise _no_day(text, year, month, year_given=False)
    if m := _REL_YEAR_MD.fullmatch(s):
        year = today.year + _REL_YEAR[m["rel"]]
        return _build(text, year, int(m["month"]), _day_of(m), year_given=True)
    if m := _REL_YEAR_M.fullmatch(s):
        year, month = today.year + _REL_YEAR[m["rel"]], int(m["month"])
        if not 1 <= month <= 12:
            raise _impossible(text, year, month, None, year_given=True)
        raise _no_day(text, year, month, year_given=True)
    if s in _REL_DAY_WORDS:
        return today + _dt.timedelta(days=_REL_DAY_WORDS[s])
    if m := _DAYS_LATER.fullmatch(s):
        return today + _dt.timedelta(days=int(m["n"]))
    if m := _WEEKS_LATER.fullmatch(s):
        return today + _dt.timedelta(weeks=int(m["n"]))
    if m := _REL_WEEK_WEEKDAY.fullmatch(s):
        monday = today - _dt.timedelta(days=today.weekday())
        return monday + _dt.timedelta(weeks=_REL_WEEK[m["rel"]], days=_weekday_of(m))
    if m := _NEXT_WEEKDAY_JA.fullmatch(s):
        return _weekday_after(today, _weekday_of(m))
    return None


def _parse_english_weekday(m: re.Match[str], today: _dt.date) -> _dt.date:
    rel = (m["rel"] or "").lower().removeprefix("on").strip()
    weekday = _EN_WEEKDAYS[m["wd"][:3].lower()]
    query = f"{rel if rel in ('next', 'this', 'last') else ''} {m['wd']}".strip()
    found, _period = _dateparser(query, today, require_parts=False)
    if rel == "last":
        lo, hi = today - _dt.timedelta(days=7), today - _dt.timedelta(days=1)
        expected = today - _dt.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    elif rel == "this":
        lo, hi = today, today + _dt.timedelta(days=6)
        expected = today + _dt.timedelta(days=(weekday - today.weekday()) % 7)
    else:
        lo, hi = today + _dt.timedelta(days=1), today + _dt.timedelta(days=7)
        expected = _weekday_after(today, weekday)
    if found is not None:
        d = found.date()
        if d.weekday() == weekday and lo <= d <= hi:
            return _dt.date(d.year, d.month, d.day)
    return expected


def _parse_english(s: str, text: str, today: _dt.date) -> _dt.date:
    if m := _EN_WEEKDAY_PHRASE.fullmatch(s):
        return _parse_english_weekday(m, today)
    found, period = _dateparser(s, today)
    if found is not None:
        if period == "month":
            raise _no_day(text, found.year, found.month, year_given=False)
        if period == "year" or (period == "week" and _EN_VAGUE_WEEK.fullmatch(s)):
            raise DateError(NOT_A_DATE, {"text": text})
        day: _dt.date = found.date()
        return day
    if m := _EN_MONTH_ONLY.fullmatch(s):
        name = (m["month"] or m["month2"])[:3].lower()
        month = _EN_MONTHS[name]
        year_text = m["year"] or m["year2"]
        if year_text:
            raise _no_day(text, int(year_text), month, year_given=True)
        raise _no_day(text, _next_month_occurrence(month, today), month, year_given=False)
    raise DateError(NOT_A_DATE, {"text": text})


def parse_date(text: str, *, today: _dt.date) -> _dt.date:
    """The date ``text`` means, ``today`` being the current date in Japan.

    Raises :class:`DateError` (``empty``, ``month_without_day``, ``impossible_date``,
    ``not_a_date``). An aware ``datetime`` for ``today`` is converted to Japan time first.
    """
    if isinstance(today, _dt.datetime):
        today = today.astimezone(JST).date() if today.tzinfo else today.date()
    if text is None or not str(text).strip():
        raise DateError(EMPTY, {"text": text})
    s = normalise(text)
    if not s:
        raise DateError(NOT_A_DATE, {"text": text})
    found = _parse_local(s, text, today)
    if found is not None:
        return found
    if not s.isascii() or _NUMERIC_ONLY.fullmatch(s) or not (re.search(r"\d", s) or _EN_DATE_WORD.search(s)):
        raise DateError(NOT_A_DATE, {"text": text})
    return _parse_english(s, text, today)


def warm_up() -> None:
    """Load dateparser's English data now, so the first user does not wait for it."""
    base = _dt.date(2026, 1, 1)
    _dateparser("Dec 1, 2026", base)
    _dateparser("next Tuesday", base, require_parts=False)

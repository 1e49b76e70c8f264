"""Reading a desired start date the way a Japanese office worker writes it (SPEC §4).

``parse_date(text, today=...)`` returns a :class:`datetime.date` or raises :class:`DateError`
carrying a machine-readable ``code`` and ``params`` (:mod:`bot.dates.errors`); the wording of
any message lives in the templates, not here. ``today`` is the caller's date *in Japan*;
nothing here looks at the machine's clock or zone. Past dates are returned as dates: rejecting
them is the schedule's job.

How it works
------------
1. :mod:`~bot.dates.cleaning` normalises the text (NFKC, kana and kanji numerals, era years,
   polite words and times around the date) and sets aside a weekday written next to the date.
2. :mod:`~bot.dates.japanese` reads the Japanese and all-numeric forms with regular
   expressions and computes the date here, deterministically; forms known to be invalid are
   rejected there too, so invalid input never reaches ``dateparser`` (the slow path).
3. Only text that is plain ASCII, is not purely numeric and contains a digit or an English
   date word goes on to :mod:`~bot.dates.english`, which computes the plain English forms and
   asks ``dateparser`` (English only, explicit settings) about the rest. Anything else is
   ``not_a_date`` straight away.
4. Checks on the answer: an era year the era does not cover is ``era_out_of_range``
   (:mod:`~bot.dates.eras`), even when the rest could not be read (``昭和100年``); a weekday
   that does not match the date is ``weekday_mismatch``, with both candidate dates.
"""

from __future__ import annotations

import datetime as _dt
import re
from zoneinfo import ZoneInfo

from bot.dates import english, eras, japanese
from bot.dates.cleaning import clean, normalise
from bot.dates.errors import CODES, EMPTY, DateError, not_a_date, weekday_mismatch

JST = ZoneInfo("Asia/Tokyo")

__all__ = ["CODES", "JST", "DateError", "normalise", "parse_date", "warm_up"]

# Looked up at each call, so a test can replace it (and check that it is not called).
_dateparser: english.Dateparser = english.call_dateparser

_NUMERIC_ONLY = re.compile(r"[\d/.\- ]+")
_EN_DATE_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
    r"|today|tomorrow|yesterday|tonight|now|day|days|week|weeks|fortnight|month|months"
    r"|year|years|ago|next|last|this|after|later|hence)",
    re.IGNORECASE,
)


def _read(s: str, text: str, today: _dt.date) -> _dt.date:
    if not s:
        raise not_a_date(text)
    found = japanese.read(s, text, today)
    if found is not None:
        return found
    if not s.isascii() or _NUMERIC_ONLY.fullmatch(s) or not (re.search(r"\d", s) or _EN_DATE_WORD.search(s)):
        raise not_a_date(text)
    return english.read(s, text, today, _dateparser)


def parse_date(text: str, *, today: _dt.date) -> _dt.date:
    """The date ``text`` means, ``today`` being the current date in Japan.

    Raises :class:`DateError` (one of :data:`CODES`). An aware ``datetime`` for ``today`` is
    converted to Japan time first.
    """
    if isinstance(today, _dt.datetime):
        today = today.astimezone(JST).date() if today.tzinfo else today.date()
    if text is None or not str(text).strip():
        raise DateError(EMPTY, {"text": text})
    cleaned = clean(text)
    try:
        found = _read(cleaned.text, text, today)
    except DateError as e:
        refusal = cleaned.era and eras.out_of_range(text, cleaned.era, e.params.get("month"), e.params.get("day"))
        if refusal:
            raise refusal from None
        raise
    if cleaned.era and (refusal := eras.out_of_range(text, cleaned.era, found.month, found.day)):
        raise refusal
    if cleaned.weekday is not None and found.weekday() != cleaned.weekday:
        raise weekday_mismatch(text, found, cleaned.weekday)
    return found


def warm_up() -> None:
    """Load dateparser's English data now, so the first user does not wait for it."""
    base = _dt.date(2026, 1, 1)
    _dateparser("Dec 1, 2026", base)
    _dateparser("next Tuesday", base, require_parts=False)

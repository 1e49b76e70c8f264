"""Why a text is not (or not exactly) one date: :class:`DateError` and its codes.

Every code has a reason text ``date_<code>`` in ``templates/*/reasons.j2``; ``params`` are
plain JSON values (str, int, bool, None, lists of ISO dates) so the caller can store them.

* ``empty``: blank input. ``{"text"}``.
* ``month_without_day``: ``2026年12月``, ``来月``, ``December 2026``.
  ``{"text", "year", "month", "year_given"}``.
* ``impossible_date``: ``2月30日``, ``2026年13月1日``, ``令和0年…``.
  ``{"text", "year", "month", "day", "year_given"}`` (+ ``"era"``, ``"era_year"`` for era year 0).
* ``not_a_date``: anything else. ``{"text"}``.
* ``not_a_leap_year``: ``2月29日`` without a year when the coming February has 28 days.
  ``{"text", "year", "month", "day", "year_given", "next_leap_year"}``.
* ``no_such_weekday``: ``1月の第5木曜日`` when that month has only four Thursdays.
  ``{"text", "year", "month", "nth", "weekday"}`` (``weekday`` 0 = Monday).
* ``era_out_of_range``: ``平成40年1月4日``, ``昭和100年``, ``平成31年5月1日``: the era did not
  last that long (or had not begun). ``{"text", "era", "era_year", "year", "month", "day",
  "right_era", "right_era_year"}``: ``right_era``/``right_era_year`` is the era in force then
  (平成40年1月4日 → 令和, 10), ``year`` the Western year; ``month``/``day`` None when not written.
* ``weekday_mismatch``: ``1月4日（火）`` when 2027-01-04 is a Monday. ``{"text", "date",
  "weekday", "written_weekday", "alternative", "candidates"}``: ``date`` is the date as written
  (ISO), ``weekday`` its real weekday, ``written_weekday`` the one written (0 = Monday),
  ``alternative`` the nearest date that has the written weekday (at most three days away, so
  there is exactly one), and ``candidates`` = ``[date, alternative]``, to offer as choices.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

EMPTY = "empty"
MONTH_WITHOUT_DAY = "month_without_day"
IMPOSSIBLE_DATE = "impossible_date"
NOT_A_DATE = "not_a_date"
NOT_A_LEAP_YEAR = "not_a_leap_year"
NO_SUCH_WEEKDAY = "no_such_weekday"
ERA_OUT_OF_RANGE = "era_out_of_range"
WEEKDAY_MISMATCH = "weekday_mismatch"
CODES = (EMPTY, MONTH_WITHOUT_DAY, IMPOSSIBLE_DATE, NOT_A_DATE, NOT_A_LEAP_YEAR, NO_SUCH_WEEKDAY,
         ERA_OUT_OF_RANGE, WEEKDAY_MISMATCH)  # fmt: skip


class DateError(ValueError):
    """A text that is not (or not exactly) one date. ``code`` is one of :data:`CODES`."""

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown DateError code {code!r}")
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        super().__init__(f"{code}: {self.params!r}")


def not_a_date(text: str) -> DateError:
    return DateError(NOT_A_DATE, {"text": text})


def impossible(text: str, year: int | None, month: int | None, day: int | None, *,
               year_given: bool, **extra: Any) -> DateError:  # fmt: skip
    params = {"text": text, "year": year, "month": month, "day": day, "year_given": year_given}
    return DateError(IMPOSSIBLE_DATE, params | extra)


def no_day(text: str, year: int | None, month: int | None, *, year_given: bool) -> DateError:
    return DateError(MONTH_WITHOUT_DAY, {"text": text, "year": year, "month": month, "year_given": year_given})


def not_a_leap_year(text: str, year: int, next_leap_year: int) -> DateError:
    return DateError(NOT_A_LEAP_YEAR, {"text": text, "year": year, "month": 2, "day": 29, "year_given": False,
                                       "next_leap_year": next_leap_year})


def no_such_weekday(text: str, year: int, month: int, nth: int, weekday: int) -> DateError:
    return DateError(NO_SUCH_WEEKDAY, {"text": text, "year": year, "month": month, "nth": nth, "weekday": weekday})


def weekday_mismatch(text: str, written: _dt.date, written_weekday: int) -> DateError:
    """The written date and the nearest date that has the written weekday (within ±3 days)."""
    shift = (written_weekday - written.weekday() + 3) % 7 - 3
    alternative = written + _dt.timedelta(days=shift)
    return DateError(WEEKDAY_MISMATCH, {
        "text": text, "date": written.isoformat(), "weekday": written.weekday(),
        "written_weekday": written_weekday, "alternative": alternative.isoformat(),
        "candidates": [written.isoformat(), alternative.isoformat()],
    })  # fmt: skip

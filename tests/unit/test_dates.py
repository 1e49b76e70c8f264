"""bot.dates: reading a desired start date (SPEC §4)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import dates
from bot.dates import JST, DateError, normalise, parse_date

TODAY = dt.date(2026, 11, 26)  # a Thursday
D = dt.date


def _error(text: str, today: dt.date = TODAY) -> DateError:
    with pytest.raises(DateError) as info:
        parse_date(text, today=today)
    return info.value


def test_today_is_a_thursday() -> None:
    assert TODAY.weekday() == 3


# --------------------------------------------------------------------------- valid forms

VALID = [
    # explicit dates
    ("2026年12月1日", D(2026, 12, 1)),
    ("２０２６年１２月１日", D(2026, 12, 1)),
    ("2026 年 12 月 1 日", D(2026, 12, 1)),
    ("20261201", D(2026, 12, 1)),
    ("20171101", D(2017, 11, 1)),
    ("2026/12/01", D(2026, 12, 1)),
    ("2026/12/1", D(2026, 12, 1)),
    ("２０２６／１２／０１", D(2026, 12, 1)),
    ("2026-12-01", D(2026, 12, 1)),
    ("2026.12.1", D(2026, 12, 1)),
    ("2026ー12ー01", D(2026, 12, 1)),
    ("2026年12月末日", D(2026, 12, 31)),
    ("2027年2月末日", D(2027, 2, 28)),
    # month/day: the next occurrence, today included
    ("12月1日", D(2026, 12, 1)),
    ("12/1", D(2026, 12, 1)),
    ("１２／１", D(2026, 12, 1)),
    ("12.1", D(2026, 12, 1)),
    ("1月4日", D(2027, 1, 4)),
    ("1/4", D(2027, 1, 4)),
    ("11月26日", D(2026, 11, 26)),
    ("11/25", D(2027, 11, 25)),
    ("11月25日", D(2027, 11, 25)),
    # ("2月29日", D(2028, 2, 29)) is refused since issue 14: February 2027 has no 29th
    # (not_a_leap_year, tests/unit/test_dates_refusals.py).
    ("12月末日", D(2026, 12, 31)),
    ("3日", D(2026, 12, 3)),
    ("26日", D(2026, 11, 26)),
    ("31日", D(2026, 12, 31)),
    # kanji numerals
    ("十二月一日", D(2026, 12, 1)),
    ("二〇二六年十二月一日", D(2026, 12, 1)),
    ("二千二十六年十二月一日", D(2026, 12, 1)),
    ("十二月二十日", D(2026, 12, 20)),
    ("一月三十一日", D(2027, 1, 31)),
    # eras
    ("令和8年12月1日", D(2026, 12, 1)),
    ("令和８年１２月１日", D(2026, 12, 1)),
    ("令和八年十二月一日", D(2026, 12, 1)),
    ("R8.12.1", D(2026, 12, 1)),
    ("R8/12/1", D(2026, 12, 1)),
    ("R8-12-1", D(2026, 12, 1)),
    ("r8.12.1", D(2026, 12, 1)),
    ("Ｒ８．１２．１", D(2026, 12, 1)),
    ("R08.12.01", D(2026, 12, 1)),
    ("R8年12月1日", D(2026, 12, 1)),
    ("㋿8年12月1日", D(2026, 12, 1)),
    # relative months / years
    ("来月1日", D(2026, 12, 1)),
    ("来月の1日", D(2026, 12, 1)),
    ("来月一日", D(2026, 12, 1)),
    ("今月30日", D(2026, 11, 30)),
    ("再来月1日", D(2027, 1, 1)),
    ("来月末日", D(2026, 12, 31)),
    ("来年1月4日", D(2027, 1, 4)),
    ("今年12月1日", D(2026, 12, 1)),
    # relative days
    ("明日", D(2026, 11, 27)),
    ("あした", D(2026, 11, 27)),
    ("明後日", D(2026, 11, 28)),
    ("あさって", D(2026, 11, 28)),
    ("今日", D(2026, 11, 26)),
    ("本日", D(2026, 11, 26)),
    ("3日後", D(2026, 11, 29)),
    ("2週間後", D(2026, 12, 10)),
    # weekdays (weeks start on Monday)
    ("来週の火曜日", D(2026, 12, 1)),
    ("来週火曜", D(2026, 12, 1)),
    ("来週火曜日", D(2026, 12, 1)),
    ("来週の(火)", D(2026, 12, 1)),
    ("来週の木曜日", D(2026, 12, 3)),
    ("来週の月曜日", D(2026, 11, 30)),
    ("来週の日曜日", D(2026, 12, 6)),
    ("再来週の火曜日", D(2026, 12, 8)),
    ("今週の金曜日", D(2026, 11, 27)),
    ("今週の火曜日", D(2026, 11, 24)),
    ("次の火曜日", D(2026, 12, 1)),
    ("次の木曜日", D(2026, 12, 3)),
    ("今度の金曜", D(2026, 11, 27)),
    ("水曜日", D(2026, 12, 2)),
    # weekday suffixes and surrounding words
    ("12月1日（火）", D(2026, 12, 1)),
    ("12月1日(火)", D(2026, 12, 1)),
    ("12月1日 (火曜日)", D(2026, 12, 1)),
    ("12月1日火曜日", D(2026, 12, 1)),
    ("12/1(火)", D(2026, 12, 1)),
    ("12/1 (Tue)", D(2026, 12, 1)),
    ("2026/12/01(火)", D(2026, 12, 1)),
    ("12月1日(火)を希望します", D(2026, 12, 1)),
    ("12月1日を希望します。", D(2026, 12, 1)),
    ("12月1日希望", D(2026, 12, 1)),
    ("12月1日でお願いします", D(2026, 12, 1)),
    ("12月1日からでお願いいたします。", D(2026, 12, 1)),
    ("12月1日から", D(2026, 12, 1)),
    ("12月1日頃", D(2026, 12, 1)),
    ("12月1日予定です", D(2026, 12, 1)),
    ("12月1日から利用開始したいです", D(2026, 12, 1)),
    ("利用開始日は12月1日です。", D(2026, 12, 1)),
    ("利用開始日は2026年12月1日でお願いします。よろしくお願いします。", D(2026, 12, 1)),
    ("「12月1日」", D(2026, 12, 1)),
    ("明日からでお願いします", D(2026, 11, 27)),
    # English (dateparser)
    ("Dec 1, 2026", D(2026, 12, 1)),
    ("December 1, 2026", D(2026, 12, 1)),
    ("1 December 2026", D(2026, 12, 1)),
    ("Dec 1st 2026", D(2026, 12, 1)),
    ("Dec 1", D(2026, 12, 1)),
    ("Jan 4", D(2027, 1, 4)),
    ("Tue, Dec 1, 2026", D(2026, 12, 1)),
    ("Dec 1, 2026 (Tue)", D(2026, 12, 1)),
    ("next Tuesday", D(2026, 12, 1)),
    ("next tuesday please", D(2026, 12, 1)),
    ("next Thursday", D(2026, 12, 3)),
    ("this Thursday", D(2026, 11, 26)),
    ("Thursday", D(2026, 12, 3)),
    ("on Friday", D(2026, 11, 27)),
    ("last Tuesday", D(2026, 11, 24)),
    ("tomorrow", D(2026, 11, 27)),
    ("today", D(2026, 11, 26)),
    ("in 2 weeks", D(2026, 12, 10)),
    ("starting Dec 1", D(2026, 12, 1)),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid(text: str, expected: dt.date) -> None:
    assert parse_date(text, today=TODAY) == expected


# --------------------------------------------------------------------------- era edge cases

ERA = [
    ("令和元年5月1日", D(2019, 5, 1)),
    ("令和1年5月1日", D(2019, 5, 1)),
    ("R1.5.1", D(2019, 5, 1)),
    ("R元.5.1", D(2019, 5, 1)),
    ("平成31年4月30日", D(2019, 4, 30)),
    ("H31.4.30", D(2019, 4, 30)),
    ("平成三十一年四月三十日", D(2019, 4, 30)),
    ("H30.11.1", D(2018, 11, 1)),
    ("平成元年1月8日", D(1989, 1, 8)),
    ("㍻元年1月8日", D(1989, 1, 8)),
    ("昭和64年1月7日", D(1989, 1, 7)),
    ("令和10年1月1日", D(2028, 1, 1)),
]


@pytest.mark.parametrize(("text", "expected"), ERA)
def test_era(text: str, expected: dt.date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["令和0年12月1日", "R0.12.1", "H0.1.1"])
def test_era_year_zero_is_impossible(text: str) -> None:
    error = _error(text)
    assert error.code == "impossible_date"
    assert error.params["era_year"] == 0
    assert error.params["year"] is None


def test_era_impossible_day_keeps_parts() -> None:
    error = _error("R8.2.30")
    assert error.code == "impossible_date"
    assert (error.params["year"], error.params["month"], error.params["day"]) == (2026, 2, 30)


# --------------------------------------------------------------------------- rejections

REJECTED = [
    ("", "empty"),
    ("   ", "empty"),
    ("\u3000", "empty"),
    ("\n\t", "empty"),
    ("2026年12月", "month_without_day"),
    ("２０２６年１２月", "month_without_day"),
    ("令和8年12月", "month_without_day"),
    ("2026/12", "month_without_day"),
    ("12月", "month_without_day"),
    ("十二月", "month_without_day"),
    ("12月上旬", "month_without_day"),
    ("12月中", "month_without_day"),
    ("12月頃でお願いします", "month_without_day"),
    ("来月", "month_without_day"),
    ("来月中", "month_without_day"),
    ("来年1月", "month_without_day"),
    ("December 2026", "month_without_day"),
    ("December", "month_without_day"),
    ("mid December", "month_without_day"),
    ("next month", "month_without_day"),
    ("2月30日", "impossible_date"),
    ("2/30", "impossible_date"),
    ("4月31日", "impossible_date"),
    ("2026年13月1日", "impossible_date"),
    ("2026年2月29日", "impossible_date"),
    ("2026/2/29", "impossible_date"),
    ("20261301", "impossible_date"),
    ("20260230", "impossible_date"),
    ("R8.2.30", "impossible_date"),
    ("13/1", "impossible_date"),
    ("12月32日", "impossible_date"),
    ("12月0日", "impossible_date"),
    ("0月1日", "impossible_date"),
    ("32日", "impossible_date"),
    ("今月31日", "impossible_date"),  # November has 30 days
    ("よろしく", "not_a_date"),
    ("よろしくお願いします", "not_a_date"),
    ("abc", "not_a_date"),
    ("hello world", "not_a_date"),
    ("12345", "not_a_date"),
    ("12345678", "not_a_date"),
    ("2026", "not_a_date"),
    ("2026年", "not_a_date"),
    ("1/12/2026", "not_a_date"),
    ("26/12/1", "not_a_date"),
    ("12月1日か2日", "not_a_date"),
    ("12月1日以降", "not_a_date"),
    ("なるべく早く", "not_a_date"),
    ("来週", "not_a_date"),
    ("next week", "not_a_date"),
    ("noon", "not_a_date"),
    # ("the 5th", "not_a_date") is read since issue 14: the next 5th (tests/unit/test_dates_more.py).
    ("○月○日", "not_a_date"),
    ("希望します", "not_a_date"),
    ("。", "not_a_date"),
]


@pytest.mark.parametrize(("text", "code"), REJECTED)
def test_rejected(text: str, code: str) -> None:
    assert _error(text).code == code


def test_next_month_31st_valid_when_it_exists() -> None:
    assert parse_date("来月31日", today=TODAY) == D(2026, 12, 31)


def test_impossible_date_params() -> None:
    error = _error("2026年13月1日")
    assert error.params == {
        "text": "2026年13月1日",
        "year": 2026,
        "month": 13,
        "day": 1,
        "year_given": True,
    }


def test_impossible_date_params_without_year() -> None:
    # February 2026 is past on 2026-11-26, so the next February is 2027's.
    error = _error("2月30日")
    assert (error.params["year"], error.params["month"], error.params["day"]) == (2027, 2, 30)
    assert error.params["year_given"] is False


def test_impossible_yyyymmdd_params() -> None:
    error = _error("20261301")
    assert (error.params["year"], error.params["month"], error.params["day"]) == (2026, 13, 1)


@pytest.mark.parametrize(
    ("text", "year", "month", "year_given"),
    [
        ("2026年12月", 2026, 12, True),
        ("12月", 2026, 12, False),
        ("10月", 2027, 10, False),
        ("来月", 2026, 12, False),
        ("December 2026", 2026, 12, True),
        ("next month", 2026, 12, False),
    ],
)
def test_month_without_day_params(text: str, year: int, month: int, year_given: bool) -> None:
    error = _error(text)
    assert error.code == "month_without_day"
    assert (error.params["year"], error.params["month"]) == (year, month)
    assert error.params["year_given"] is year_given


def test_not_a_date_keeps_the_text() -> None:
    error = _error("よろしく")
    assert error.params == {"text": "よろしく"}


def test_date_error_is_a_value_error() -> None:
    error = _error("abc")
    assert isinstance(error, ValueError)
    assert error.code == "not_a_date"


def test_date_error_rejects_unknown_code() -> None:
    with pytest.raises(ValueError, match="unknown"):
        DateError("bogus")


# --------------------------------------------------------------------------- other "today"s

OTHER_TODAY = dt.date(2027, 12, 20)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1月4日", D(2028, 1, 4)),
        ("来月1日", D(2028, 1, 1)),
        ("12月20日", D(2027, 12, 20)),
        ("12/19", D(2028, 12, 19)),
        ("来週の火曜日", D(2027, 12, 28)),
        ("今週の火曜日", D(2027, 12, 21)),
        ("明日", D(2027, 12, 21)),
        ("再来月末日", D(2028, 2, 29)),
        ("2月29日", D(2028, 2, 29)),
    ],
)
def test_other_today(text: str, expected: dt.date) -> None:
    assert parse_date(text, today=OTHER_TODAY) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 11, 29), D(2026, 12, 1)),  # Sunday: next week starts tomorrow
        (D(2026, 11, 30), D(2026, 12, 8)),  # Monday
        (D(2026, 12, 1), D(2026, 12, 8)),  # Tuesday
    ],
)
def test_next_week_tuesday_weeks_start_on_monday(today: dt.date, expected: dt.date) -> None:
    assert parse_date("来週の火曜日", today=today) == expected


@pytest.mark.parametrize("text", ["next Tuesday", "次の火曜日", "火曜日"])
def test_next_tuesday_on_a_tuesday_is_a_week_later(text: str) -> None:
    assert parse_date(text, today=D(2026, 12, 1)) == D(2026, 12, 8)


def test_next_weekday_always_after_today_and_right_weekday() -> None:
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    for offset in range(7):
        today = TODAY + dt.timedelta(days=offset)
        for weekday, name in enumerate(names):
            got = parse_date(f"next {name}", today=today)
            assert got.weekday() == weekday
            assert today < got <= today + dt.timedelta(days=7)


def test_year_end_rollover_for_month_day() -> None:
    assert parse_date("12/31", today=D(2026, 12, 31)) == D(2026, 12, 31)
    assert parse_date("12/30", today=D(2026, 12, 31)) == D(2027, 12, 30)


def test_aware_datetime_today_is_taken_in_japan() -> None:
    # 2026-11-25 16:00 UTC is 2026-11-26 01:00 in Tokyo.
    now = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)
    assert parse_date("明日", today=now) == D(2026, 11, 27)
    assert parse_date("明日", today=now.astimezone(JST)) == D(2026, 11, 27)


# --------------------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２０２６年１２月１日", "2026年12月1日"),
        ("  12月1日（火）を希望します。 ", "12月1日"),
        ("十二月一日", "12月1日"),
        ("二〇二六年", "2026年"),
        ("令和元年5月1日", "2019年5月1日"),
        ("令和8年12月1日", "2026年12月1日"),
        ("R8.12.1", "2026.12.1"),
        ("H30.11.1", "2018.11.1"),
        ("利用開始日は12月1日です", "12月1日"),
        ("12月1日からでお願いします", "12月1日"),
        ("2026 / 12 / 01", "2026/12/01"),
        ("来週の火曜日", "来週の火曜日"),
        ("Dec 1, 2026.", "Dec 1, 2026"),
        ("next Tuesday please", "next Tuesday"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


# --------------------------------------------------------------------------- no slow path


@pytest.fixture
def no_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("dateparser must not be called")

    monkeypatch.setattr(dates, "_dateparser", fail)


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize(
    "text",
    [
        "よろしく",
        "abc",
        "12345",
        "hello world",
        "2月30日",
        "2026年12月",
        "20261301",
        "12月1日か2日",
        "1/12/2026",
        "   ",
    ],
)
def test_invalid_input_skips_dateparser(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text, today=TODAY)


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年12月1日", D(2026, 12, 1)),
        ("20261201", D(2026, 12, 1)),
        ("12/1", D(2026, 12, 1)),
        ("R8.12.1", D(2026, 12, 1)),
        ("来週の火曜日", D(2026, 12, 1)),
        ("明日", D(2026, 11, 27)),
        ("2026-12-01", D(2026, 12, 1)),
    ],
)
def test_japanese_and_numeric_forms_skip_dateparser(text: str, expected: dt.date) -> None:
    assert parse_date(text, today=TODAY) == expected


def test_warm_up_runs() -> None:
    dates.warm_up()
    assert parse_date("Dec 1, 2026", today=TODAY) == D(2026, 12, 1)


@pytest.mark.parametrize(
    "wrong",
    [
        dt.datetime(2026, 12, 2),  # wrong weekday
        dt.datetime(2026, 12, 8),  # a Tuesday, but more than a week away
        dt.datetime(2026, 11, 24),  # a Tuesday, but in the past
        None,  # nothing at all
    ],
)
def test_english_weekday_checks_dateparser_answer(monkeypatch: pytest.MonkeyPatch, wrong: dt.datetime | None) -> None:
    monkeypatch.setattr(dates, "_dateparser", lambda *args, **kwargs: (wrong, "day"))
    assert parse_date("next Tuesday", today=TODAY) == D(2026, 12, 1)

"""bot.dates, issue 14: refusals that ask back (weekday mismatch, era out of range, no 29
February, no fifth weekday), their params and their reason texts in both languages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from bot.dates import CODES, DateError, parse_date
from handlers.cli import main
from handlers.render import Renderer

TODAY = dt.date(2026, 11, 26)  # a Thursday
D = dt.date


def _error(text: str, today: dt.date = TODAY) -> DateError:
    with pytest.raises(DateError) as info:
        parse_date(text, today=today)
    return info.value


def _reason(error: DateError, lang: str) -> str:
    return Renderer().reason({"code": f"date_{error.code}", **error.params}, lang)


# --------------------------------------------------------------------------- weekday mismatch

@pytest.mark.parametrize(
    ("text", "written", "real", "alternative"),
    [
        ("1月4日（火）", "2027-01-04", 0, "2027-01-05"),  # 2027-01-04 is a Monday
        ("1月4日(水曜日)", "2027-01-04", 0, "2027-01-06"),
        ("1月4日日曜日", "2027-01-04", 0, "2027-01-03"),
        ("1月4日(土)", "2027-01-04", 0, "2027-01-02"),
        ("2027/1/4(金)", "2027-01-04", 0, "2027-01-01"),
        ("来月4日(月)", "2026-12-04", 4, "2026-12-07"),  # a Friday; Monday 7th is 3 days on
        ("12月1日（水）を希望します", "2026-12-01", 1, "2026-12-02"),
        ("明日(土)", "2026-11-27", 4, "2026-11-28"),
        ("Tue, Jan 4", "2027-01-04", 0, "2027-01-05"),
        ("Jan 4 (Tue)", "2027-01-04", 0, "2027-01-05"),
        ("Wed, Dec 1, 2026", "2026-12-01", 1, "2026-12-02"),
    ],
)
def test_weekday_mismatch_params(text: str, written: str, real: int, alternative: str) -> None:
    error = _error(text)
    assert error.code == "weekday_mismatch"
    assert error.params["text"] == text
    assert error.params["date"] == written
    assert error.params["weekday"] == real
    assert error.params["alternative"] == alternative
    assert D.fromisoformat(alternative).weekday() == error.params["written_weekday"]
    assert error.params["candidates"] == [written, alternative]


def test_weekday_mismatch_alternative_is_the_nearest_date_with_that_weekday() -> None:
    for offset in range(14):
        day = D(2027, 1, 4) + dt.timedelta(days=offset)
        for weekday, name in enumerate("月火水木金土日"):
            text = f"{day.year}年{day.month}月{day.day}日（{name}）"
            if weekday == day.weekday():
                assert parse_date(text, today=TODAY) == day
                continue
            params = _error(text).params
            alternative = D.fromisoformat(params["alternative"])
            assert alternative.weekday() == weekday
            assert abs((alternative - day).days) <= 3


def test_matching_weekday_still_reads() -> None:
    assert parse_date("1月4日（月）", today=TODAY) == D(2027, 1, 4)
    assert parse_date("Mon, Jan 4", today=TODAY) == D(2027, 1, 4)


def test_weekday_mismatch_reason_asks_back_with_both_dates() -> None:
    error = _error("1月4日（火）")
    assert _reason(error, "ja") == "1月4日は月曜日です。1月4日（月）と1月5日（火）のどちらですか。"
    assert _reason(error, "en") == ("4 January is a Monday. Did you mean Monday 4 January or Tuesday 5 January?")


# --------------------------------------------------------------------------- era out of range

@pytest.mark.parametrize(
    ("text", "era", "era_year", "year", "month", "day", "right_era", "right_year"),
    [
        ("平成40年1月4日", "平成", 40, 2028, 1, 4, "令和", 10),
        ("H40.1.4", "平成", 40, 2028, 1, 4, "令和", 10),
        ("平成32年1月1日", "平成", 32, 2020, 1, 1, "令和", 2),
        ("平成31年5月1日", "平成", 31, 2019, 5, 1, "令和", 1),
        ("令和元年4月30日", "令和", 1, 2019, 4, 30, "平成", 31),
        ("昭和64年1月8日", "昭和", 64, 1989, 1, 8, "平成", 1),
        ("S65.1.1", "昭和", 65, 1990, 1, 1, "平成", 2),
        ("大正16年1月1日", "大正", 16, 1927, 1, 1, "昭和", 2),
        ("昭和100年", "昭和", 100, 2025, None, None, "令和", 7),
        ("平成40年12月", "平成", 40, 2028, 12, None, "令和", 10),
        ("平成40年", "平成", 40, 2028, None, None, "令和", 10),
        ("平成40年2月30日", "平成", 40, 2028, 2, None, "令和", 10),  # the impossible day is not echoed
    ],
)
def test_era_out_of_range_params(text: str, era: str, era_year: int, year: int, month: int | None,
                                 day: int | None, right_era: str, right_year: int) -> None:  # fmt: skip
    error = _error(text)
    assert error.code == "era_out_of_range"
    assert error.params == {"text": text, "era": era, "era_year": era_year, "year": year, "month": month,
                            "day": day, "right_era": right_era, "right_era_year": right_year}  # fmt: skip


@pytest.mark.parametrize("text", ["平成31年4月30日", "令和元年5月1日", "昭和64年1月7日", "平成元年1月8日",
                                  "大正15年12月24日", "昭和元年12月25日"])
def test_the_first_and_last_days_of_an_era_read(text: str) -> None:
    assert isinstance(parse_date(text, today=TODAY), dt.date)


def test_era_reason_asks_back_with_the_reiwa_year() -> None:
    error = _error("平成40年1月4日")
    ja = _reason(error, "ja")
    assert "令和10年1月4日" in ja and "2028年1月4日" in ja and ja.endswith("。")
    en = _reason(error, "en")
    assert "Reiwa 10" in en and "2028" in en
    assert "令和7年（2025年）" in _reason(_error("昭和100年"), "ja")
    assert "令和元年5月1日" in _reason(_error("平成31年5月1日"), "ja")


def test_era_year_zero_stays_impossible() -> None:
    assert _error("令和0年1月4日").code == "impossible_date"
    assert _error("令和0.1.4").code == "impossible_date"


# --------------------------------------------------------------------------- 29 February

@pytest.mark.parametrize("text", ["2月29日", "2/29", "Feb 29", "29 February", "2月29日（月）", "にがつにじゅうくにち"])
def test_february_29_when_the_coming_february_has_none(text: str) -> None:
    error = _error(text)
    assert error.code == "not_a_leap_year"
    assert (error.params["year"], error.params["month"], error.params["day"]) == (2027, 2, 29)
    assert error.params["next_leap_year"] == 2028
    assert error.params["year_given"] is False


@pytest.mark.parametrize(
    ("today", "expected"),
    [(D(2027, 3, 1), D(2028, 2, 29)), (D(2028, 2, 29), D(2028, 2, 29)), (D(2027, 12, 20), D(2028, 2, 29))],
)
def test_february_29_read_when_the_coming_february_has_it(today: dt.date, expected: dt.date) -> None:
    assert parse_date("2月29日", today=today) == expected


def test_february_29_after_a_leap_day_waits_for_no_later_leap_year() -> None:
    error = _error("2月29日", today=D(2028, 3, 1))
    assert (error.code, error.params["year"], error.params["next_leap_year"]) == ("not_a_leap_year", 2029, 2032)


def test_february_29_with_a_year_is_still_impossible_date() -> None:
    assert _error("2027年2月29日").code == "impossible_date"


def test_leap_reason() -> None:
    error = _error("2月29日")
    assert "2027年" in _reason(error, "ja") and "2028年" in _reason(error, "ja")
    assert "2027 is not a leap year" in _reason(error, "en")


# --------------------------------------------------------------------------- no such weekday

@pytest.mark.parametrize(
    ("text", "year", "month", "nth", "weekday"),
    [
        ("1月の第5木曜日", 2027, 1, 5, 3),
        ("2027年2月の第5月曜日", 2027, 2, 5, 0),
        ("来月の第5金曜日", 2026, 12, 5, 4),
        ("5th Friday of February", 2027, 2, 5, 4),
        ("the fifth Monday of next month", 2026, 12, 5, 0),
        ("今月の第5火曜日", 2026, 11, 5, 1),  # not looked for in later months
    ],
)
def test_no_such_weekday(text: str, year: int, month: int, nth: int, weekday: int) -> None:
    error = _error(text)
    assert error.code == "no_such_weekday"
    assert error.params == {"text": text, "year": year, "month": month, "nth": nth, "weekday": weekday}


def test_no_such_weekday_reason() -> None:
    error = _error("1月の第5木曜日")
    assert "2027年1月に第5木曜日はありません" in _reason(error, "ja")
    assert "no fifth Thursday in January 2027" in _reason(error, "en")


# --------------------------------------------------------------------------- every code

SAMPLES = {
    "empty": " ", "month_without_day": "12月", "impossible_date": "2月30日", "not_a_date": "よろしく",
    "not_a_leap_year": "2月29日", "no_such_weekday": "1月の第5木曜日", "era_out_of_range": "平成40年1月4日",
    "weekday_mismatch": "1月4日（火）",
}  # fmt: skip


def test_the_samples_cover_every_code() -> None:
    assert set(SAMPLES) == set(CODES)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("code", CODES)
def test_every_code_has_a_reason_and_json_params(code: str, lang: str) -> None:
    error = _error(SAMPLES[code])
    assert error.code == code
    json.dumps(error.params)  # storable as it is
    text = _reason(error, lang)
    assert text and text != f"date_{code}"


@pytest.mark.parametrize(
    ("text", "words"),
    [("1月4日（火）", "1月5日（火）のどちらですか"), ("平成40年1月4日", "令和10年"), ("2月29日", "うるう年"),
     ("1月の第5木曜日", "第5木曜日")],
)
def test_dates_command_prints_the_ask_back(text: str, words: str) -> None:
    result = CliRunner().invoke(main, ["dates", text, "--today", "2026-11-26", "--lang", "ja"])
    assert result.exit_code == 1 and result.stdout == "" and words in result.stderr

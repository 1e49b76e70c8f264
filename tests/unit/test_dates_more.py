"""bot.dates, issue 14: the families of forms read since (n-th weekdays, month ends, spans,
era forms, times and polite words, hiragana, English without a year)."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from bot import dates
from bot.business_days import is_business_day
from bot.dates import DateError, normalise, parse_date

TODAY = dt.date(2026, 11, 26)  # a Thursday
D = dt.date


def _read(text: str, today: dt.date = TODAY) -> dt.date:
    return parse_date(text, today=today)


@pytest.fixture
def no_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("dateparser must not be called")

    monkeypatch.setattr(dates, "_dateparser", fail)


# --------------------------------------------------------------------------- n-th weekday

NTH_WEEKDAY = [
    ("再来月の第2火曜日", D(2027, 1, 12)),
    ("1月の第2木曜日", D(2027, 1, 14)),
    ("1月第1金曜日", D(2027, 1, 1)),
    ("1月の第4木曜", D(2027, 1, 28)),
    ("来月の第1月曜日", D(2026, 12, 7)),
    ("来月第3水曜", D(2026, 12, 16)),
    ("今月の第5月曜日", D(2026, 11, 30)),
    ("今月の最終金曜日", D(2026, 11, 27)),
    ("12月の最終日曜日", D(2026, 12, 27)),
    ("12月の最後の月曜日", D(2026, 12, 28)),
    ("2027年4月の第3水曜日", D(2027, 4, 21)),
    ("来年1月の第2月曜日", D(2027, 1, 11)),
    ("令和9年3月の第5月曜日", D(2027, 3, 29)),
    ("第二金曜日", D(2026, 12, 11)),  # November's second Friday (13th) is past: December's
    ("第4金曜", D(2026, 11, 27)),  # this month's, still ahead
    ("１月の第２木曜日", D(2027, 1, 14)),
    ("11月の第2火曜日", D(2027, 11, 9)),  # this November's (10th) is past: next year's
    ("second Tuesday of January", D(2027, 1, 12)),
    ("the first Monday of December", D(2026, 12, 7)),
    ("2nd Tuesday in January 2027", D(2027, 1, 12)),
    ("last Friday of next month", D(2026, 12, 25)),
    ("the last Monday of this month", D(2026, 11, 30)),
    ("third Wednesday of next month", D(2026, 12, 16)),
    ("fifth Monday of March", D(2027, 3, 29)),
]


@pytest.mark.parametrize(("text", "expected"), NTH_WEEKDAY)
def test_nth_weekday(text: str, expected: dt.date) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize("weekday", range(7))
@pytest.mark.parametrize("nth", range(1, 6))
def test_nth_weekday_of_every_month_of_a_year(nth: int, weekday: int) -> None:
    name = "月火水木金土日"[weekday]
    for month in range(1, 13):
        text = f"2027年{month}月の第{nth}{name}曜日"
        days_with_it = [d for d in range(1, calendar.monthrange(2027, month)[1] + 1)
                        if D(2027, month, d).weekday() == weekday]  # fmt: skip
        if nth > len(days_with_it):
            with pytest.raises(DateError) as info:
                _read(text)
            assert info.value.code == "no_such_weekday"
        else:
            assert _read(text) == D(2027, month, days_with_it[nth - 1])


@pytest.mark.parametrize("month", range(1, 13))
def test_last_weekday_is_within_the_last_seven_days(month: int) -> None:
    for weekday, name in enumerate("月火水木金土日"):
        got = _read(f"2027年{month}月の最終{name}曜日")
        assert (got.year, got.month, got.weekday()) == (2027, month, weekday)
        assert got.day > calendar.monthrange(2027, month)[1] - 7


# --------------------------------------------------------------------------- month ends, spans

SPANS = [
    ("今月末", D(2026, 11, 30)),
    ("来月末", D(2026, 12, 31)),
    ("再来月末", D(2027, 1, 31)),
    ("来々月末", D(2027, 1, 31)),
    ("月末", D(2026, 11, 30)),
    ("12月末", D(2026, 12, 31)),
    ("2月末", D(2027, 2, 28)),
    ("2028年2月末", D(2028, 2, 29)),
    ("来年3月末", D(2027, 3, 31)),
    ("今月末でお願いします", D(2026, 11, 30)),
    ("2週間後", D(2026, 12, 10)),
    ("3週間後", D(2026, 12, 17)),
    ("3か月後", D(2027, 2, 26)),
    ("3ヶ月後", D(2027, 2, 26)),
    ("3カ月後", D(2027, 2, 26)),
    ("3ヵ月後", D(2027, 2, 26)),
    ("3ケ月後", D(2027, 2, 26)),
    ("三か月後", D(2027, 2, 26)),
    ("1か月後", D(2026, 12, 26)),
    ("１年後", D(2027, 11, 26)),
    ("5営業日後", D(2026, 12, 3)),  # Fri 27, Mon 30, Tue 1, Wed 2, Thu 3
    ("五営業日後", D(2026, 12, 3)),
    ("1営業日後", D(2026, 11, 27)),
    ("翌営業日", D(2026, 11, 27)),
    ("翌々日", D(2026, 11, 28)),
    ("来々週の木曜", D(2026, 12, 10)),
    ("来々週木曜日", D(2026, 12, 10)),
    ("翌々週の月曜日", D(2026, 12, 7)),
    ("3週間後の金曜日", D(2026, 12, 18)),
    ("1週間後の金曜日", D(2026, 11, 27) + dt.timedelta(weeks=1)),
    ("2週間後の月曜", D(2026, 12, 7)),
    ("end of this month", D(2026, 11, 30)),
    ("end of next month", D(2026, 12, 31)),
    ("the end of the month", D(2026, 11, 30)),
    ("end of February", D(2027, 2, 28)),
    ("in 3 months", D(2027, 2, 26)),
    ("3 months from now", D(2027, 2, 26)),
    ("in a month", D(2026, 12, 26)),
    ("in two weeks", D(2026, 12, 10)),
    ("10 days from now", D(2026, 12, 6)),
    ("in 5 business days", D(2026, 12, 3)),
    ("next business day", D(2026, 11, 27)),
    ("Tuesday after next", D(2026, 12, 8)),
    ("the Friday after next", D(2026, 12, 4)),
]


@pytest.mark.parametrize(("text", "expected"), SPANS)
def test_month_ends_and_spans(text: str, expected: dt.date) -> None:
    assert _read(text) == expected


def test_months_later_keeps_the_day_or_clamps_to_the_month_end() -> None:
    assert _read("3か月後", today=D(2026, 11, 30)) == D(2027, 2, 28)
    assert _read("1ヶ月後", today=D(2027, 1, 31)) == D(2027, 2, 28)
    assert _read("1ヶ月後", today=D(2028, 1, 31)) == D(2028, 2, 29)
    assert _read("in 2 months", today=D(2026, 12, 31)) == D(2027, 2, 28)


def test_business_days_skip_holidays_and_the_year_end_break() -> None:
    assert _read("1営業日後", today=D(2026, 12, 25)) == D(2026, 12, 28)
    assert _read("2営業日後", today=D(2026, 12, 25)) == D(2027, 1, 4)  # 29 Dec – 3 Jan closed
    assert _read("翌営業日", today=D(2027, 1, 8)) == D(2027, 1, 12)  # 11 Jan 2027 is 成人の日


@pytest.mark.parametrize("n", [1, 3, 5, 10, 20])
def test_n_business_days_later_counts_exactly_n_business_days(n: int) -> None:
    for start in (TODAY, D(2026, 12, 24), D(2027, 4, 28)):
        got = _read(f"{n}営業日後", today=start)
        between = [start + dt.timedelta(days=i) for i in range(1, (got - start).days + 1)]
        assert is_business_day(got)
        assert sum(is_business_day(d) for d in between) == n


@pytest.mark.parametrize("offset", range(7))
def test_month_end_every_day_of_a_week(offset: int) -> None:
    today = D(2027, 2, 22) + dt.timedelta(days=offset)  # crosses into March
    last = calendar.monthrange(today.year, today.month)[1]
    assert _read("今月末", today=today) == D(today.year, today.month, last)
    assert _read("end of this month", today=today) == D(today.year, today.month, last)


@pytest.mark.parametrize("n", range(1, 5))
def test_n_weeks_later_weekday_is_in_the_week_n_weeks_on(n: int) -> None:
    for offset in range(7):
        today = TODAY + dt.timedelta(days=offset)
        for weekday, name in enumerate("月火水木金土日"):
            got = _read(f"{n}週間後の{name}曜日", today=today)
            target = today + dt.timedelta(weeks=n)
            assert got.weekday() == weekday
            assert got - dt.timedelta(days=got.weekday()) == target - dt.timedelta(days=target.weekday())


# --------------------------------------------------------------------------- eras

ERA_FORMS = [
    ("令和9.1.4", D(2027, 1, 4)),
    ("令和9/1/4", D(2027, 1, 4)),
    ("令和9-1-4", D(2027, 1, 4)),
    ("令和９．１．４", D(2027, 1, 4)),
    ("R9/1/4", D(2027, 1, 4)),
    ("r9.1.4", D(2027, 1, 4)),
    ("令和９年１月４日", D(2027, 1, 4)),
    ("令和九年一月四日", D(2027, 1, 4)),
    ("平成30.11.1", D(2018, 11, 1)),
    ("H30/11/1", D(2018, 11, 1)),
    ("S63.1.4", D(1988, 1, 4)),
    ("昭和63年1月4日", D(1988, 1, 4)),
    ("T15.1.4", D(1926, 1, 4)),
    ("大正15年1月4日", D(1926, 1, 4)),
    ("㍽15年1月4日", D(1926, 1, 4)),
    ("令和9年1月の第2月曜日", D(2027, 1, 11)),
]


@pytest.mark.parametrize(("text", "expected"), ERA_FORMS)
def test_era_forms(text: str, expected: dt.date) -> None:
    assert _read(text) == expected


# --------------------------------------------------------------------------- words around the date

AROUND = [
    ("1月4日（月）10時から", D(2027, 1, 4)),
    ("1月4日 午前10時", D(2027, 1, 4)),
    ("1月4日午後3時半から", D(2027, 1, 4)),
    ("1月4日の午後", D(2027, 1, 4)),
    ("1月4日午前中", D(2027, 1, 4)),
    ("1月4日 9時30分〜", D(2027, 1, 4)),
    ("1/4 10:00", D(2027, 1, 4)),
    ("1/4 10時", D(2027, 1, 4)),
    ("2027/1/4 9:30", D(2027, 1, 4)),
    ("2027-01-04T10:00", D(2027, 1, 4)),
    ("Jan 4 10am", D(2027, 1, 4)),
    ("January 4 at 10:00", D(2027, 1, 4)),
    ("できましたら1月4日からの利用を希望いたします。", D(2027, 1, 4)),
    ("できれば1月4日でお願いします", D(2027, 1, 4)),
    ("可能であれば、1月4日からでお願いできますか", D(2027, 1, 4)),
    ("恐れ入りますが1月4日から利用したいです", D(2027, 1, 4)),
    ("1月4日から使いたいです", D(2027, 1, 4)),
    ("1月4日から使い始めたいです", D(2027, 1, 4)),
    ("1月4日で考えています", D(2027, 1, 4)),
    ("1月4日を予定しております", D(2027, 1, 4)),
    ("1/4希望", D(2027, 1, 4)),
    ("１／４希望です", D(2027, 1, 4)),
]


@pytest.mark.parametrize(("text", "expected"), AROUND)
def test_times_and_polite_words_around_the_date(text: str, expected: dt.date) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize("text", ["10時", "午前10時", "10:00", "午後", "希望いたします", "できましたら"])
def test_a_time_or_polite_words_alone_are_not_a_date(text: str) -> None:
    with pytest.raises(DateError) as info:
        _read(text)
    assert info.value.code == "not_a_date"


# --------------------------------------------------------------------------- hiragana

HIRAGANA = [
    ("1がつ4か", D(2027, 1, 4)),
    ("1がつ4かから", D(2027, 1, 4)),
    ("1がつ4にち", D(2027, 1, 4)),
    ("2027ねん1がつ4にち", D(2027, 1, 4)),
    ("１２がつ２４にち", D(2026, 12, 24)),
    ("いちがつよっか", D(2027, 1, 4)),
    ("じゅうにがつついたち", D(2026, 12, 1)),
    ("にがつはつか", D(2027, 2, 20)),
    ("さんがつにじゅうよっか", D(2027, 3, 24)),
    ("しがつとおか", D(2027, 4, 10)),
    ("くがつじゅうごにち", D(2027, 9, 15)),
    ("しちがつさんじゅういちにち", D(2027, 7, 31)),
]


@pytest.mark.parametrize(("text", "expected"), HIRAGANA)
def test_hiragana_units_and_readings(text: str, expected: dt.date) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize(("text", "code"), [("いつか", "not_a_date"), ("1がつ4か5にち", "not_a_date"),
                                            ("来月のいつか", "month_without_day"), ("1がつ", "month_without_day")])
def test_hiragana_that_is_not_one_date(text: str, code: str) -> None:
    with pytest.raises(DateError) as info:
        _read(text)
    assert info.value.code == code


def test_hiragana_normalised() -> None:
    assert normalise("2027ねん1がつ4にち") == "2027年1月4日"
    assert normalise("じゅうにがつにじゅうごにち") == "12月25日"


# --------------------------------------------------------------------------- English

ENGLISH = [
    ("4 Jan", D(2027, 1, 4)),
    ("4th January", D(2027, 1, 4)),
    ("4th of January", D(2027, 1, 4)),
    ("the 4th of January", D(2027, 1, 4)),
    ("January 4th", D(2027, 1, 4)),
    ("January the 4th", D(2027, 1, 4)),
    ("Jan. 4", D(2027, 1, 4)),
    ("26 November", D(2026, 11, 26)),  # today counts
    ("25 Nov", D(2027, 11, 25)),
    ("4th January 2028", D(2028, 1, 4)),
    ("January 4th, 2028", D(2028, 1, 4)),
    ("the 4th", D(2026, 12, 4)),
    ("the 26th", D(2026, 11, 26)),
    ("on the 30th", D(2026, 11, 30)),
    ("the 31st", D(2026, 12, 31)),
    ("the 5th", D(2026, 12, 5)),
    ("1/18/2027", D(2027, 1, 18)),
    ("18/1/2027", D(2027, 1, 18)),
    ("12/31/2026", D(2026, 12, 31)),
    ("31/12/2026", D(2026, 12, 31)),
    ("18.1.2027", D(2027, 1, 18)),
    ("18-1-2027", D(2027, 1, 18)),
    ("Monday, 4 January", D(2027, 1, 4)),
    ("Mon 4 Jan", D(2027, 1, 4)),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english_without_year_day_first_ordinals(text: str, expected: dt.date) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize("text", ["1/4/2027", "4/1/2027", "12/12/2026", "13/13/2027"])
def test_numeric_day_month_year_with_two_readings_or_none_stays_not_a_date(text: str) -> None:
    with pytest.raises(DateError) as info:
        _read(text)
    assert info.value.code == "not_a_date"


def test_numeric_day_month_year_impossible_day() -> None:
    with pytest.raises(DateError) as info:
        _read("31/2/2027")
    assert info.value.code == "impossible_date"
    assert (info.value.params["year"], info.value.params["month"], info.value.params["day"]) == (2027, 2, 31)


def test_last_weekday_alone_is_still_the_one_before_today() -> None:
    assert _read("last Tuesday") == D(2026, 11, 24)


@pytest.mark.parametrize(("text", "code"), [("beginning of next month", "month_without_day"),
                                            ("mid next month", "month_without_day"),
                                            ("end of December 2026", None)])
def test_english_month_parts(text: str, code: str | None) -> None:
    if code is None:
        assert _read(text) == D(2026, 12, 31)
        return
    with pytest.raises(DateError) as info:
        _read(text)
    assert info.value.code == code


# --------------------------------------------------------------------------- the fast path

@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize(
    "text",
    ["4 Jan", "January 4th", "the 4th", "second Tuesday of January", "end of next month", "in 3 months",
     "in 5 business days", "Tuesday after next", "1/18/2027", "再来月の第2火曜日", "5営業日後", "1がつ4か",
     "1月4日（月）10時から", "令和9.1.4"],
)
def test_new_forms_are_computed_without_dateparser(text: str) -> None:
    assert isinstance(_read(text), dt.date)


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize(
    "text",
    ["1月の第5木曜日", "平成40年1月4日", "昭和100年", "1月4日（火）", "2月29日", "1/4/2027", "13/13/2027",
     "Feb 29", "5th Friday of February", "Tue, Jan 4", "第6火曜日", "10時"],
)
def test_new_refusals_skip_dateparser(text: str) -> None:
    with pytest.raises(DateError):
        _read(text)


# --------------------------------------------------------------------------- bounded work

def test_a_text_over_200_characters_is_not_read() -> None:
    # Stripping words one at a time made such texts quadratic (4,000 "。" took seconds); no date
    # answer is that long. This read as 2027-01-04 before the limit.
    with pytest.raises(DateError) as info:
        _read("1月4日" + "。" * 300)
    assert info.value.code == "not_a_date"
    assert info.value.params == {"text": "1月4日" + "。" * 300}


def test_a_text_of_200_characters_is_still_read() -> None:
    assert _read("1月4日" + "。" * 195) == D(2027, 1, 4)
    assert _read("  1月4日  " + " " * 500) == D(2027, 1, 4)  # spaces are collapsed first

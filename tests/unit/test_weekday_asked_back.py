"""A date whose written weekday is not its own is asked back with both dates, not dropped."""

from __future__ import annotations

from tests.conftest import WITHOUT_USER_CODE, last


def test_both_dates_are_offered_and_a_number_picks_one(converse, renderer):
    outcome = converse([*WITHOUT_USER_CODE[:6], "1月4日（火）"])  # 2027-01-04 is a Monday
    asked = last(outcome)
    assert asked.field == "desired_start_date"
    assert asked.params["error"]["code"] == "date_weekday_mismatch"
    assert asked.choices == ["2027-01-04", "2027-01-05"]
    text = renderer.reply(asked, "ja")
    assert "1月4日は月曜日です。1月4日（月）と1月5日（火）のどちらですか。" in text
    assert "desired_start_date" not in outcome.app.answers
    picked = converse(["1"])  # the first of the two shown
    assert picked.app.answers["desired_start_date"] == "2027-01-04"
    assert last(picked).field == "change_reason"


def test_the_other_date_is_checked_against_the_schedule(converse):
    converse([*WITHOUT_USER_CODE[:6], "1月4日（火）"])
    refused = last(converse(["2"]))  # 2027-01-05 is no registration date
    assert refused.field == "desired_start_date"
    assert refused.params["error"]["code"] == "date_not_on_schedule"
    assert refused.choices[0] != "2027-01-05"  # the open dates again, not the two asked about

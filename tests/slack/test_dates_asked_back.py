"""In a DM: a weekday that does not match its date is asked back, with both dates as buttons."""

from __future__ import annotations

import json

from tests.slack.conftest import Slack, button

TO_THE_DATE = ["申込をお願いします", "損害保険会社", "ＡＢＣ損害保険株式会社", "本店", "abc12", "3", "1"]


async def test_a_mismatched_weekday_gets_both_dates_as_buttons(slack: Slack):
    for text in TO_THE_DATE:
        await slack.dm(text)
    await slack.dm("1月4日（火）から利用したいです")
    asked = slack.questions()[-1]
    assert asked["metadata"]["event_payload"]["field"] == "desired_start_date"
    assert "1月4日は月曜日です" in json.dumps(asked["blocks"], ensure_ascii=False)
    options = [json.loads(b["value"])["o"] for b in asked["blocks"][-1]["elements"] if b.get("value")]
    assert options[:2] == ["2027-01-04", "2027-01-05"]
    monday = button(asked, typed="2027-01-04")
    await slack.click(monday["action_id"], monday["value"])
    await slack.delivered()
    assert slack.questions()[-1]["metadata"]["event_payload"]["field"] == "change_reason"

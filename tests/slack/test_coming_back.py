"""A Slack applicant with a filed application: told where it stands, a new one only on request,
and nothing stored until the new one has its first answer."""

from __future__ import annotations

from tests.beside import listed
from tests.slack.conftest import APPLICANT, Slack, button, file_application, until
from tests.slack.test_applicant_more import apps_of


async def test_a_dm_after_filing_shows_the_application_and_new_starts_one(slack: Slack):
    number = await file_application(slack)
    before = len(slack.posts())
    await slack.dm("こんにちは")
    said = "\n".join(p["text"] for p in slack.posts()[before:])
    assert f"申込受付番号 {number}" in said and "内容確認中" in said and "「新規」" in said
    assert len(apps_of(slack)) == 1  # no empty draft

    asked = len(slack.questions())
    await slack.dm("新規")
    await until(lambda: len(slack.questions()) > asked)
    first = slack.questions()[-1]
    assert first["metadata"]["event_payload"]["field"] == "industry"
    assert len(apps_of(slack)) == 1  # the question is out, nothing stored yet
    named = first["metadata"]["event_payload"]["application_id"]  # the new one's, not the filed one's

    industry = button(first, typed="1")
    status, _ = await slack.click(industry["action_id"], industry["value"])
    assert status == 200
    await until(lambda: len(slack.questions()) > asked + 1)
    await slack.delivered()
    assert slack.questions()[-1]["metadata"]["event_payload"]["field"] == "company_name"
    apps = apps_of(slack)
    assert len(apps) == 2 and apps[-1].answers == {"industry": "non_life"} and apps[-1].state == "draft"
    assert slack.questions()[-1]["metadata"]["event_payload"]["application_id"] == apps[-1].id == named


async def test_the_old_buttons_of_a_new_application_question_are_stale_once_answered(slack: Slack):
    await file_application(slack)
    asked = len(slack.questions())
    await slack.dm("新規")
    await until(lambda: len(slack.questions()) > asked)
    first = slack.questions()[-1]
    await slack.dm("損害保険会社")
    other = button(first, typed="2")  # その他 on the question already answered
    await slack.click(other["action_id"], other["value"])
    await until(lambda: slack.api.to("chat.postEphemeral", user=APPLICANT))
    assert [a.state for a in apps_of(slack)] == ["under_review", "draft"]


async def test_a_first_dm_stores_no_application_until_its_first_answer(slack: Slack):
    await slack.dm("こんにちは")
    await slack.delivered()
    first = slack.questions()[-1]
    named = first["metadata"]["event_payload"]["application_id"]
    assert first["metadata"]["event_payload"]["field"] == "industry"
    assert apps_of(slack) == [] and listed(slack.bot) == []  # asked: no empty draft listed
    assert [(r.id, r.state) for r in slack.records()] == [(named, "contact")]

    industry = button(first, typed="1")
    status, _ = await slack.click(industry["action_id"], industry["value"])
    assert status == 200
    await until(lambda: apps_of(slack))
    await slack.delivered()
    [app] = apps_of(slack)
    assert app.id == named and app.answers == {"industry": "non_life"}  # the contact became the draft
    assert [r.id for r in slack.records()] == [named]
    assert [(a["id"], a["state"]) for a in listed(slack.bot)] == [(named, "draft")]
    payload = slack.questions()[-1]["metadata"]["event_payload"]
    assert (payload["application_id"], payload["field"]) == (named, "company_name")

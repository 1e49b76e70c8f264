"""Reviewers in the review channel: the card's buttons, the decision modals, who may decide,
and one decision per filing however many clicks arrive."""

from __future__ import annotations

import asyncio
import json

from tests.conftest import BOTH
from tests.slack.conftest import APPLICANT, REVIEW_CHANNEL, Slack, card_ts, file_application, until

pytestmark = BOTH  # on TinyDB files and on PostgreSQL


def select(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value}}


def typed(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


async def open_modal(slack: Slack, decision: str, number: str, *, user: str = "UREV1") -> dict:
    opened = len(slack.api.to("views.open"))
    status, body = await slack.click(f"review_{decision}", number, user=user, channel=REVIEW_CHANNEL,
                                     message_ts=card_ts(slack, number))
    assert status == 200 and body == ""
    await until(lambda: len(slack.api.to("views.open")) > opened)
    return slack.api.to("views.open")[-1]["view"]


async def test_a_reviewer_approves_through_the_button_and_the_modal(slack: Slack):
    number = await file_application(slack)
    view = await open_modal(slack, "approve", number)
    assert view["callback_id"] == "review_approve_modal"
    assert json.loads(view["private_metadata"])["number"] == number
    start = next(b for b in view["blocks"] if b.get("block_id") == "start_date")["element"]
    assert start["initial_option"]["value"] == "2027-01-04"  # the desired date, preselected
    assert [o["value"] for o in start["options"]][:3] == ["2026-12-16", "2027-01-04", "2027-01-18"]

    status, body = await slack.submit(view, {"start_date": {"start_date": select("2027-01-18")},
                                             "comment": {"comment": typed("よろしくお願いします")}}, user="UREV1")
    assert (status, body) == (200, "")  # the modal closes
    app = slack.bot.service.find(number)
    assert app.state == "approved" and app.review["by"] == "slack:UREV1"
    assert app.review["start_date"] == "2027-01-18"

    await slack.delivered()
    update = await until(lambda: slack.api.to("chat.update", channel=REVIEW_CHANNEL))
    assert update[-1]["ts"] == card_ts(slack, number)
    shown = json.dumps(update[-1]["blocks"], ensure_ascii=False)
    assert "*承認*：<@UREV1>（2026年11月26日（木） 10:00）" in shown
    assert "2027年1月18日" in shown and "よろしくお願いします" in shown
    assert "review_actions" not in shown  # no buttons left to press
    assert update[-1]["metadata"]["event_payload"]["acceptance_number"] == number

    notices = {p["metadata"]["event_payload"]["notice"]: p for p in slack.posts(APPLICANT)
               if (p.get("metadata") or {}).get("event_type") == "webnaccs_notice"}
    assert set(notices) == {"acknowledgment", "confirmation", "id_notification"}
    ids = notices["id_notification"]
    codes = slack.bot.service.id_codes(app)
    assert len(codes) == 2 and codes[0]["access_key"] in json.dumps(ids["blocks"])
    assert codes[0]["access_key"] not in ids["text"]  # the notification preview holds no secret


async def test_return_and_reject_need_a_reason_and_the_approval_a_scheduled_date(slack: Slack):
    number = await file_application(slack)
    view = await open_modal(slack, "return", number)
    assert view["callback_id"] == "review_return_modal"
    status, body = await slack.submit(view, {"reason": {"reason": typed("   ")}}, user="UREV1")
    assert status == 200
    assert json.loads(body) == {"response_action": "errors", "errors": {"reason": "理由を入力してください。"}}

    approve = await open_modal(slack, "approve", number)
    status, body = await slack.submit(approve, {"start_date": {"start_date": select("2027-01-05")}}, user="UREV2")
    assert json.loads(body)["errors"]["start_date"] == "スケジュール表にない日付です。一覧からお選びください。"
    assert slack.bot.service.find(number).state == "under_review"

    reject = await open_modal(slack, "reject", number)
    assert reject["callback_id"] == "review_reject_modal"
    status, body = await slack.submit(reject, {"reason": {"reason": typed("重複した申込のため")}}, user="UREV1")
    assert (status, body) == (200, "")
    assert slack.bot.service.find(number).state == "rejected"


async def test_a_non_reviewer_is_refused_with_an_ephemeral_message_and_an_audit_entry(slack: Slack):
    number = await file_application(slack)
    status, _ = await slack.click("review_approve", number, user="UOTHER", channel=REVIEW_CHANNEL,
                                  message_ts=card_ts(slack, number))
    assert status == 200
    refusal = await until(lambda: slack.api.to("chat.postEphemeral", user="UOTHER"))
    assert refusal[0]["channel"] == REVIEW_CHANNEL and "審査の権限がありません" in refusal[0]["text"]
    assert slack.api.to("views.open") == []

    # a forged submission of the modal is refused too
    forged = {"type": "modal", "callback_id": "review_reject_modal",
              "private_metadata": json.dumps({"number": number})}
    status, body = await slack.submit(forged, {"reason": {"reason": typed("x" * 10)}}, user="UOTHER")
    assert json.loads(body)["response_action"] == "update"
    app = slack.bot.service.find(number)
    assert app.state == "under_review"
    refused = [e for e in slack.bot.store.audit(app.id) if e["action"] == "decision_refused"]
    assert [(e["actor"], e["reason"]) for e in refused] == [
        ("slack:UOTHER", "not a reviewer (approve)"), ("slack:UOTHER", "not a reviewer (reject)")]


async def test_a_double_click_and_two_racing_reviewers_make_one_decision(slack: Slack):
    number = await file_application(slack)
    first = await open_modal(slack, "approve", number, user="UREV1")
    second = await open_modal(slack, "reject", number, user="UREV2")
    results = await asyncio.gather(
        slack.submit(first, {"start_date": {"start_date": select("2027-01-04")}}, user="UREV1"),
        slack.submit(first, {"start_date": {"start_date": select("2027-01-04")}}, user="UREV1"),
        slack.submit(second, {"reason": {"reason": typed("記載内容に誤りがあるため")}}, user="UREV2"))
    assert all(status == 200 for status, _ in results)
    applied = [body for _, body in results if body == ""]
    told = [json.loads(body) for _, body in results if body]
    assert len(applied) == 1 and len(told) == 2
    app = slack.bot.service.find(number)
    decider = app.review["by"].removeprefix("slack:")
    label = {"approve": "承認", "reject": "却下"}[app.review["decision"]]
    for answer in told:
        assert answer["response_action"] == "update"
        assert f"すでに <@{decider}> さんが2026年11月26日（木） 10:00に{label}しています" in json.dumps(
            answer["view"], ensure_ascii=False)
    transitions = [e for e in slack.bot.store.audit(app.id) if e["action"] == "transition"]
    assert [e["to"] for e in transitions] == ["under_review", app.state]

    # a click on the card after the decision is told who decided, and opens nothing
    opened = len(slack.api.to("views.open"))
    await slack.click("review_return", number, user="UREV2", channel=REVIEW_CHANNEL, message_ts=card_ts(slack, number))
    late = await until(lambda: slack.api.to("chat.postEphemeral", user="UREV2"))
    assert f"<@{decider}>" in late[-1]["text"]
    assert len(slack.api.to("views.open")) == opened
    await slack.delivered()
    assert len(slack.api.to("chat.update", channel=REVIEW_CHANNEL)) == 1

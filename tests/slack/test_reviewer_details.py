"""Reviewer details (issue 12.10, 15.11): a double click opens one modal, the reviewer's Slack
locale chooses the language of their modals and messages, a 5xx on views.open is retried, and
a decision whose save takes long is answered within Slack's 3 s and told afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from tests.slack.conftest import REVIEW_CHANNEL, WAIT, Slack, card_ts, file_application, held, until
from tests.slack.mock_slack import Profile
from tests.slack.test_reviewers import open_modal, select, typed


async def click_review(slack: Slack, decision: str, number: str, user: str = "UREV1") -> tuple[int, str]:
    return await slack.click(f"review_{decision}", number, user=user, channel=REVIEW_CHANNEL,
                             message_ts=card_ts(slack, number))


async def test_a_double_click_on_a_review_button_opens_one_modal(slack: Slack, caplog: pytest.LogCaptureFixture):
    number = await file_application(slack)
    caplog.set_level(logging.INFO, logger="webnaccs.slack.reviewers")
    first, second = await asyncio.gather(click_review(slack, "approve", number),
                                         click_review(slack, "approve", number))
    assert first[0] == second[0] == 200
    await until(lambda: "clicked again" in caplog.text)  # the second click was answered with nothing
    await until(lambda: slack.api.to("views.open"))
    assert len([c for c in slack.api.calls if c.method == "views.open"]) == 1
    # another decision, or another reviewer, opens its own
    await open_modal(slack, "return", number)
    await open_modal(slack, "approve", number, user="UREV2")
    assert len(slack.api.to("views.open")) == 3


async def test_a_click_whose_modal_did_not_open_can_be_clicked_again(slack: Slack):
    number = await file_application(slack)
    slack.api.fail("views.open", error="expired_trigger_id")
    await click_review(slack, "reject", number)
    await until(lambda: [c for c in slack.api.calls if c.method == "views.open"])
    view = await open_modal(slack, "reject", number)  # at once, not after the double-click window
    assert view["callback_id"] == "review_reject_modal"


async def test_a_server_error_on_views_open_is_retried(slack: Slack):
    number = await file_application(slack)
    slack.api.fail("views.open", status=500)
    view = await open_modal(slack, "approve", number)
    assert view["callback_id"] == "review_approve_modal"
    assert [c.status for c in slack.api.calls if c.method == "views.open"] == [500, 200]


async def test_modals_and_messages_follow_the_reviewers_slack_locale(slack: Slack):
    slack.api.users["UREV1"] = Profile("審査 一郎", locale="ja-JP")
    slack.api.users["UREV2"] = Profile("Ichiro Review", locale="en-US")
    number = await file_application(slack)

    english = await open_modal(slack, "return", number, user="UREV2")
    assert english["title"]["text"] == "Return"
    assert json.loads(english["private_metadata"])["lang"] == "en"
    status, body = await slack.submit(english, {"reason": {"reason": typed(" ")}}, user="UREV2")
    assert json.loads(body)["errors"] == {"reason": "Please enter the reason."}
    japanese = await open_modal(slack, "approve", number, user="UREV1")
    assert japanese["title"]["text"] == "承認"

    status, body = await slack.submit(japanese, {"start_date": {"start_date": select("2027-01-04")}}, user="UREV1")
    assert (status, body) == (200, "")
    await click_review(slack, "reject", number, user="UREV2")
    late = await until(lambda: slack.api.to("chat.postEphemeral", user="UREV2"))
    assert "already" in late[-1]["text"] and "<@UREV1>" in late[-1]["text"]
    # users.info was asked once per reviewer (cached), with the locale
    asked = slack.api.to("users.info", user="UREV2")
    assert len(asked) == 1 and str(asked[0].get("include_locale")).lower() in ("1", "true")


async def test_a_reviewer_without_a_known_locale_gets_webnaccs_lang(slack: Slack):
    slack.api.users["UREV2"] = Profile("審査 二郎", locale="fr-FR")
    number = await file_application(slack)
    view = await open_modal(slack, "reject", number, user="UREV2")
    assert view["title"]["text"] == "却下"


async def test_a_decision_saved_late_is_answered_in_time_and_told_when_saved(
        slack: Slack, monkeypatch: pytest.MonkeyPatch):
    number = await file_application(slack)
    view = await open_modal(slack, "approve", number)
    gate = held(monkeypatch, slack.bot.service, "decide")  # the lock or the save takes long
    submitting = asyncio.ensure_future(
        slack.submit(view, {"start_date": {"start_date": select("2027-01-04")}}, user="UREV1"))
    try:
        done, _ = await asyncio.wait({submitting}, timeout=WAIT / 2)
        assert submitting in done, "Slack got no answer while the decision was being saved"
        status, body = submitting.result()
        answer = json.loads(body)
        assert status == 200 and answer["response_action"] == "update"
        assert "保存しています" in json.dumps(answer["view"], ensure_ascii=False)
        assert slack.bot.service.find(number).state == "under_review"
    finally:
        gate.set()
        await submitting
    told = await until(lambda: slack.api.to("chat.postEphemeral", user="UREV1", channel=REVIEW_CHANNEL))
    assert f"申込受付番号 {number} の承認を登録しました" in told[-1]["text"]
    assert slack.bot.service.find(number).state == "approved"


async def test_a_decision_that_cannot_be_saved_says_so_in_the_modal(slack: Slack, monkeypatch: pytest.MonkeyPatch):
    number = await file_application(slack)
    view = await open_modal(slack, "reject", number)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(slack.bot.service, "decide", broken)
    status, body = await slack.submit(view, {"reason": {"reason": typed("重複した申込のため")}}, user="UREV1")
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "update"
    assert "保存できませんでした" in json.dumps(answer["view"], ensure_ascii=False)
    assert slack.bot.service.find(number).state == "under_review"


async def test_a_closed_modal_opens_again_at_once_and_a_decided_one_says_who_decided(slack: Slack):
    number = await file_application(slack)
    view = await open_modal(slack, "approve", number)
    assert view.get("notify_on_close") is True
    status, _ = await slack.interact({"type": "view_closed", "team": {"id": "T1"}, "api_app_id": "A1",
                                      "token": "legacy", "user": {"id": "UREV1", "team_id": "T1"},
                                      "view": {**view, "id": "V1"}, "is_cleared": False})
    assert status == 200
    view = await open_modal(slack, "approve", number)  # within the double-click window, after the close
    status, body = await slack.submit(view, {"start_date": {"start_date": select("2027-01-04")}}, user="UREV1")
    assert (status, body) == (200, "")
    await click_review(slack, "approve", number)  # the same button again, still within the window
    late = await until(lambda: slack.api.to("chat.postEphemeral", user="UREV1"))
    assert "すでに <@UREV1> さん" in late[-1]["text"]
    assert len(slack.api.to("views.open")) == 2

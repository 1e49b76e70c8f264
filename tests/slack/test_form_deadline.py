"""The form modal is answered within Slack's 3 s (issue 15.11), also when users.info sits in a
Retry-After or the save is slow; the outcome then comes in the DM."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.slack.conftest import WAIT, Slack, held, until

VIEW = {"type": "modal", "callback_id": "application_form_modal",
        "private_metadata": json.dumps({"app_id": None, "lang": "ja"})}
VALUES: dict[str, Any] = {
    "industry": {"type": "static_select", "selected_option": {"value": "non_life"}},
    "company_name": "ABC損害保険株式会社", "office_name": "本店", "user_code": "abc12",
    "netnaccs_terminals": "3",
    "change_items": {"type": "checkboxes", "selected_options": [{"value": "webnaccs_terminals"}]},
    "desired_start_date": {"type": "static_select", "selected_option": {"value": "2027-01-04"}},
    "change_reason": "WebNACCSを利用するため端末を追加します。", "applicant_name": "佐藤 次郎",
    "applicant_department": "業務部", "applicant_email": "jiro@example.co.jp", "applicant_phone": "03-1234-5678",
    "admin_name": "鈴木 花子", "admin_email": "hanako@example.co.jp", "name_kanji": "", "name_kana": "",
    "name_english": "", "certificate_count": "2", "remarks": "",
}


def state(values: dict[str, Any]) -> dict[str, Any]:
    return {k: {k: x if isinstance(x, dict) else {"type": "plain_text_input", "value": x}} for k, x in values.items()}


async def answered_in_time(submitting: asyncio.Future[tuple[int, str]]) -> dict[str, Any]:
    done, _ = await asyncio.wait({submitting}, timeout=WAIT / 2)
    assert submitting in done, "Slack got no answer while the form was being saved"
    status, body = submitting.result()
    assert status == 200 and body, "no answer within Slack's 3 s (Bolt gives up: 404)"
    return dict(json.loads(body))


async def test_the_form_is_answered_while_users_info_waits_out_a_retry_after(slack: Slack):
    slack.api.fail("users.info", status=429, retry_after=4, user="UAPP2")  # a person never looked up
    submitting = asyncio.ensure_future(slack.submit(VIEW, state(VALUES), user="UAPP2"))
    answer = await answered_in_time(submitting)
    assert answer["response_action"] == "update"
    assert "保存しています" in json.dumps(answer["view"], ensure_ascii=False)
    summary = await until(lambda: [q for q in slack.questions("UAPP2")
                                   if q["metadata"]["event_payload"]["field"] == "confirm"])
    assert "ABC損害保険株式会社" in json.dumps(summary[-1]["blocks"], ensure_ascii=False)
    assert [c.status for c in slack.api.calls if c.method == "users.info" and c.args.get("user") == "UAPP2"][:2] == [
        429, 200]


async def test_a_form_saved_late_with_a_refused_field_says_so_in_the_dm(slack: Slack, monkeypatch: pytest.MonkeyPatch):
    gate = held(monkeypatch, slack.bot.service, "fill")  # the lock or the save takes long
    submitting = asyncio.ensure_future(slack.submit(VIEW, state({**VALUES, "applicant_email": "jiro@"}), user="UAPP2"))
    try:
        answer = await answered_in_time(submitting)
        assert answer["response_action"] == "update"
    finally:
        gate.set()
        await submitting
    told = await until(lambda: [p for p in slack.posts("UAPP2") if "保存できませんでした" in p["text"]])
    assert "メールアドレスの形式" in told[0]["text"]
    asked = await until(lambda: slack.questions("UAPP2"))
    assert asked[-1]["metadata"]["event_payload"]["field"] == "applicant_email"  # the DM asks for it


async def test_the_form_opens_without_waiting_for_a_profile_that_waits_out_a_retry_after(slack: Slack):
    slack.api.fail("users.info", status=429, retry_after=4, user="UAPP2")
    status, _ = await slack.command("form", user="UAPP2")
    assert status == 200
    opened = await until(lambda: slack.api.to("views.open"))
    assert opened[0]["view"]["callback_id"] == "application_form_modal"
    await until(lambda: slack.api.to("users.info", user="UAPP2"))  # the profile still comes, for later
    order = [c.method for c in slack.api.calls if c.method in ("views.open", "users.info") and c.status == 200]
    assert order[:2] == ["views.open", "users.info"]  # the trigger id was used while users.info waited

"""The Slack adapter's pieces on their own: text both ways, buttons, the form, errors."""

from __future__ import annotations

import json
from types import SimpleNamespace

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from bot.application import Application
from bot.conversation import Reply
from handlers.outbox import Permanent, Retry
from handlers.render import Renderer
from handlers.slack import form, review_views
from handlers.slack.client import failure
from handlers.slack.messages import read_answer, reply_message
from handlers.slack.mrkdwn import escape, from_slack, mention, sections
from handlers.slack.senders import ReviewSender


@pytest.mark.parametrize("typed, meant", [
    ("&lt;!channel&gt; &amp; co", "<!channel> & co"),
    ("<mailto:taro@example.co.jp|taro@example.co.jp>", "taro@example.co.jp"),
    ("<tel:0312345678|03-1234-5678>", "03-1234-5678"),
    ("<https://example.com>", "https://example.com"),
    ("see <https://evil.example|公式>", "see 公式"),
    ("<!here> <@U123>", "<!here> <@U123>"),
])
def test_what_slack_sends_is_read_as_the_person_typed_it(typed, meant):
    assert from_slack(typed) == meant


def test_escaped_text_cannot_mention_or_link():
    assert escape("<!channel> <@U1> a&b <http://x|y>") == \
        "&lt;!channel&gt; &lt;@U1&gt; a&amp;b &lt;http://x|y&gt;"
    assert mention("slack:UREV1") == "<@UREV1>"
    assert mention("cli:<!channel>") == "cli:&lt;!channel&gt;"


def test_long_text_is_split_into_sections_under_the_limit():
    blocks = sections("\n".join(["あ" * 1000] * 7))
    assert len(blocks) == 4 and all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert sections("x" * 7000)[0]["text"]["text"] == "x" * 3000


def test_buttons_send_what_a_person_would_type(renderer: Renderer):
    date_question = Reply("question", field="desired_start_date", params={"dates": ["2027-01-04"], "number": 7,
                                                                          "total": 16}, choices=["2027-01-04"])
    message = reply_message(date_question, lang="en", app_id="app1", renderer=renderer)
    [button] = message["blocks"][-1]["elements"]
    assert button["text"]["text"] == "Mon 4 Jan 2027"
    assert read_answer(button["value"]) == {"a": "app1", "f": "desired_start_date", "m": "ask", "t": "2027-01-04",
                                            "o": "2027-01-04"}
    assert message["metadata"]["event_payload"] == {"application_id": "app1", "field": "desired_start_date"}

    cancel = reply_message(Reply("cancel_confirm", choices=["yes", "no"]), lang="ja", app_id="app1",
                           renderer=renderer)
    values = [read_answer(b["value"]) for b in cancel["blocks"][-1]["elements"]]
    assert [(v["m"], v["t"]) for v in values] == [("confirm_cancel", "はい"), ("confirm_cancel", "いいえ")]
    assert [v["o"] for v in values] == ["yes", "no"]  # the option itself, not the typed word
    assert "metadata" not in cancel
    assert read_answer("not json") is None and read_answer('{"t": 1}') is None


def test_the_form_passes_every_filled_field_and_flags_the_empty_ones():
    answers, errors = form.for_the_core({"industry": "non_life", "company_name": " ", "remarks": "",
                                         "change_items": "webnaccs_terminals", "name_kana": "カナ"})
    assert answers["industry"] == "non_life" and answers["remarks"] == ""
    assert "name_kana" not in answers and "name_kana" not in errors  # no user code: not asked
    assert errors["company_name"] == {"code": "required"}
    _, errors = form.for_the_core({"change_items": "webnaccs_terminals,user_code"})
    assert {"name_kanji", "name_kana", "name_english"} <= set(errors)


def slack_error(status: int, error: str, headers: dict | None = None) -> SlackApiError:
    response = SimpleNamespace(status_code=status, data={"ok": False, "error": error}, headers=headers or {})
    return SlackApiError("failed", response)


def test_api_failures_mean_retry_later_or_give_up():
    limited = failure(slack_error(429, "ratelimited", {"Retry-After": "12"}))
    assert isinstance(limited, Retry) and limited.after == 12
    assert isinstance(failure(slack_error(503, "service_unavailable")), Retry)
    assert isinstance(failure(aiohttp.ClientConnectionError()), Retry)
    assert isinstance(failure(TimeoutError()), Retry)
    revoked = failure(slack_error(200, "token_revoked"))
    assert isinstance(revoked, Retry) and revoked.after == 300  # kept until the operator fixes it
    gone = failure(slack_error(200, "channel_not_found"))
    assert isinstance(gone, Permanent) and str(gone) == "channel_not_found"


def test_the_review_card_escapes_what_the_applicant_wrote(renderer: Renderer):
    app = Application(id="a1", created_at="2026-11-26T10:00:00+09:00", state="under_review",
                      acceptance_number="260001A", filed_at="2026-11-26T10:00:00+09:00",
                      people=["slack:UAPP1"], answers={"industry": "non_life", "company_name": "<!channel>社",
                                                       "change_items": ["webnaccs_terminals"]})
    card = review_views.card(app, lang="ja", renderer=renderer)
    shown = json.dumps(card, ensure_ascii=False)
    assert "&lt;!channel&gt;社" in shown and "<!channel>" not in shown and "<@UAPP1>" in shown
    decided = review_views.card(app, lang="en", renderer=renderer, outcome={
        "action": "decided", "review": {"decision": "return", "by": "slack:UREV1",
                                        "at": "2026-11-26T11:05:00+09:00", "reason": "<b>電話</b>"}})
    result = next(b for b in decided["blocks"] if b.get("block_id") == "review_result")["text"]["text"]
    assert result == "*Return*: <@UREV1> (Thu 26 Nov 2026 11:05)\nReason: &lt;b&gt;電話&lt;/b&gt;"


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def chat_postMessage(self, **kwargs):
        self.calls.append(("chat.postMessage", kwargs))
        return {"channel": "CREVIEW", "ts": "1.1"}


async def test_a_card_already_posted_is_not_posted_again(renderer: Renderer, service):
    client = RecordingClient()
    sender = ReviewSender(client=client, service=service, renderer=renderer, store=service.store,
                          channel="CREVIEW", lang="ja")
    service.find = lambda number: Application(id="a1", created_at="x", acceptance_number=number)  # type: ignore
    await sender.send({"action": "request", "acceptance_number": "260001A", "app_id": "a1", "id": "r1",
                       "slack_ts": "1.0", "slack_channel": "CREVIEW"})
    assert client.calls == []


def test_the_manifest_asks_for_what_the_app_uses():
    from pathlib import Path

    manifest = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text(encoding="utf-8"))
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/webnaccs"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"message.im", "app_home_opened"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert {"chat:write", "commands", "im:history", "users:read", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])

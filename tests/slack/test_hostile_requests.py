"""Requests to ``/slack/events`` that Slack did not sign, or signed but malformed: refused with
401 or 400 before anything is parsed, never handed to Bolt, and logged in one short line without
the body; a flood of them writes only a few lines. Oversized bodies get 413."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from handlers.logs import RateLimitedLog
from handlers.slack import requests
from tests.slack.conftest import APPLICANT, DM, SIGNING_SECRET, Slack, sign

MARKER = "BODY-MARKER-7f3a"  # in every body: it must never reach the log


@pytest.fixture(autouse=True)
def fresh_refusals(monkeypatch: pytest.MonkeyPatch) -> RateLimitedLog:
    """Each test starts with a full allowance of refusal lines."""
    fresh = RateLimitedLog(requests.log, per_minute=requests.REFUSALS.per_minute)
    monkeypatch.setattr(requests, "REFUSALS", fresh)
    return fresh


async def post_bytes(slack: Slack, body: bytes, content_type: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(
            slack.url, data=body, headers={"Content-Type": content_type, **headers}) as response:
        return response.status, await response.text()


def signed_bytes(body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """``sign`` for a body that is not text."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def dm_body(slack: Slack, text: str = MARKER) -> str:
    return slack.event_body({"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                             "text": text, "ts": "1.0"})


def bolt_saw_nothing(slack: Slack) -> bool:
    """No Web API call (but the start's auth.test), no application, nothing in the inbox."""
    calls = [c for c in slack.api.calls if c.method != "auth.test"]
    return not calls and list(slack.bot.store.all_ids()) == []


async def test_unsigned_requests_get_401_without_reaching_bolt_and_without_a_traceback(slack: Slack, caplog):
    caplog.set_level(logging.DEBUG)
    body = dm_body(slack)
    good = sign(body)
    cases = {
        "no headers": {},
        "forged": sign(body, secret="not-the-secret"),
        "stale": sign(body, timestamp=int(time.time()) - 6 * 60),
        "from the future": sign(body, timestamp=int(time.time()) + 6 * 60),
        "timestamp not a number": {**good, "X-Slack-Request-Timestamp": "soon"},
        "timestamp in full-width digits": {**good, "X-Slack-Request-Timestamp": str(int(time.time())).translate(
            str.maketrans("0123456789", "０１２３４５６７８９"))},
        "empty timestamp": {**good, "X-Slack-Request-Timestamp": ""},
        "signature not ASCII": {**good, "X-Slack-Signature": "v0=ü" + good["X-Slack-Signature"][4:]},
        "no signature": {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},
    }
    for name, headers in cases.items():
        status, text = await slack.post(body, "application/json", headers)
        assert status == 401, name
        assert MARKER not in text
    raw = b'{"text": "' + MARKER.encode() + b'\xff"}'  # not UTF-8, and not signed by Slack
    forged = {**signed_bytes(raw), "X-Slack-Signature": sign(body, secret="not-the-secret")["X-Slack-Signature"]}
    assert (await post_bytes(slack, raw, "application/json", forged))[0] == 401
    assert bolt_saw_nothing(slack)
    assert "Traceback" not in caplog.text and MARKER not in caplog.text
    assert SIGNING_SECRET not in caplog.text and good["X-Slack-Signature"][3:] not in caplog.text


@pytest.mark.parametrize(("body", "content_type"), [
    (b"[1]", "application/json"),
    (b'"' + MARKER.encode() + b'"', "application/json"),
    (b"null", "application/json"),
    (b"{" + MARKER.encode(), "application/json"),
    (b'{"a": ' + b"[" * 100_000 + MARKER.encode(), "application/json"),
    (json.dumps({"type": "event_callback", "event_id": "Ev1", "event": None, "x": MARKER}).encode(),
     "application/json"),
    (json.dumps({"type": "event_callback", "event_id": "Ev1", "event": [MARKER]}).encode(), "application/json"),
    (json.dumps({"type": "event_callback", "event_id": "Ev1", "team_id": MARKER,
                 "authorizations": "all"}).encode(), "application/json"),
    (b"payload=%7B" + MARKER.encode(), "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps([MARKER])}).encode(), "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps({"type": "view_submission", "view": None, "x": MARKER})}).encode(),
     "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": MARKER, "actions": None})}).encode(),
     "application/x-www-form-urlencoded"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U1"}, "team": 3,
                                       "actions": [MARKER]})}).encode(), "application/x-www-form-urlencoded"),
    (b'{"text": "' + MARKER.encode() + b'\xff\xfe"}', "application/json"),
    (b"payload=%FF%FE" + MARKER.encode(), "application/x-www-form-urlencoded"),
    (b"\xff\xfe" + MARKER.encode(), "text/plain"),
], ids=["list", "string", "null", "truncated", "nested-deep", "event-null", "event-list", "authorizations-string",
        "payload-truncated", "payload-list", "view-null", "actions-null", "action-not-object",
        "bad-utf8-json", "bad-utf8-payload", "not-slack-at-all"])
async def test_signed_but_malformed_bodies_get_400_without_reaching_bolt(slack: Slack, caplog,
                                                                         body: bytes, content_type: str):
    caplog.set_level(logging.DEBUG)
    status, text = await post_bytes(slack, body, content_type, signed_bytes(body))
    assert status == 400
    assert MARKER not in text
    assert bolt_saw_nothing(slack)
    assert "Traceback" not in caplog.text and MARKER not in caplog.text
    assert [r.levelno for r in caplog.records if r.name == "webnaccs.slack.requests"] == [logging.WARNING]


async def test_a_hundred_bad_requests_write_at_most_the_limit_of_lines_and_no_body(
        slack: Slack, caplog, fresh_refusals: RateLimitedLog):
    caplog.set_level(logging.DEBUG)
    big = json.dumps({"type": "event_callback", "event": {"text": MARKER * 20_000}})  # about 320 kB
    async with aiohttp.ClientSession() as session:
        for i in range(100):
            body, headers = (big, {}) if i % 2 else ("[1]", sign("[1]"))
            async with session.post(slack.url, data=body.encode(),
                                    headers={"Content-Type": "application/json", **headers}) as response:
                assert response.status == (401 if i % 2 else 400)
    lines = [r for r in caplog.records if r.name == "webnaccs.slack.requests"]
    assert 1 <= len(lines) <= fresh_refusals.per_minute
    assert MARKER not in caplog.text and "Traceback" not in caplog.text
    assert sum(len(r.getMessage()) for r in caplog.records) < 100 * fresh_refusals.per_minute
    assert fresh_refusals.suppressed == 100 - len(lines)

    fresh_refusals.flush()  # what the timer does once the minute is over
    summary = [r.getMessage() for r in caplog.records if r.name == "webnaccs.slack.requests"][-1]
    assert f"{100 - len(lines)} more" in summary and "suppressed" in summary
    assert fresh_refusals.suppressed == 0
    assert bolt_saw_nothing(slack)


async def test_after_the_minute_refusals_are_logged_again(slack: Slack, caplog,
                                                          fresh_refusals: RateLimitedLog):
    now = [1000.0]
    fresh_refusals.clock = lambda: now[0]
    fresh_refusals.tokens, fresh_refusals.stamp = 0.0, now[0]  # the allowance is used up
    caplog.set_level(logging.INFO)
    assert (await slack.post("[1]", "application/json", {}))[0] == 401
    assert [r.name for r in caplog.records].count("webnaccs.slack.requests") == 0
    now[0] += 60.0
    assert (await slack.post("[1]", "application/json", {}))[0] == 401
    messages = [r.getMessage() for r in caplog.records if r.name == "webnaccs.slack.requests"]
    assert len(messages) == 2 and "1 more" in messages[0] and "suppressed" in messages[0]
    assert "401" in messages[1] and "timestamp" in messages[1]


async def test_a_body_over_the_cap_gets_413_unread(slack: Slack, caplog):
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"type": "event_callback", "event": {"text": MARKER * (requests.MAX_BODY // len(MARKER))}})
    assert len(body.encode()) > requests.MAX_BODY
    status, _ = await slack.post(body, "application/json", sign(body))
    assert status == 413
    # sent in chunks, without a Content-Length: counted as it arrives

    async def chunks():
        data = body.encode()
        for i in range(0, len(data), 65536):
            yield data[i:i + 65536]

    async with aiohttp.ClientSession() as session, session.post(
            slack.url, data=chunks(), headers={"Content-Type": "application/json", **sign(body)}) as response:
        assert response.status == 413
    assert bolt_saw_nothing(slack)
    assert MARKER not in caplog.text and "Traceback" not in caplog.text


async def test_genuine_requests_still_work_after_a_flood(slack: Slack):
    for _ in range(30):
        assert (await slack.post("[1]", "application/json", {}))[0] == 401
    await slack.dm("こんにちは")
    assert slack.posts() and "申込" in slack.posts()[0]["text"]
    status, _ = await slack.command("")
    assert status == 200

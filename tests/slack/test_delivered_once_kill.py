"""The same with a real process and a real SIGKILL (issue 15 item 10): ``serve`` posts a reply
that Slack carries out, and is killed before the answer comes back — so before anything can
record it; the next ``serve`` on that data directory finds the post in the DM and does not post
it again. (The loopback mock holds its answer back, so the kill always lands in that moment.)"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests import waiting
from tests.integration.cli_helpers import make_env
from tests.slack.conftest import APPLICANT, BOT_TOKEN, DM, SIGNING_SECRET, sign
from tests.slack.mock_slack import MockSlack, Profile

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # generous: every wait ends as soon as what it waits for is there


class Serve:
    """``python -m handlers serve`` with Slack in HTTP mode against the mock."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "handlers", "serve"], env=env, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def url(self) -> str:
        seen: list[str] = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                seen.append(self.lines.get(timeout=1))
            except queue.Empty:
                continue
            if found := re.search(r"(http://127\.0\.0\.1:\d+)", seen[-1]):
                return found.group(1)
        raise AssertionError(f"serve did not start: {seen}")

    def end(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=WAIT)


@pytest.fixture
async def api() -> AsyncIterator[MockSlack]:
    mock = MockSlack(users={APPLICANT: Profile("山田 太郎", "taro@example.co.jp")})
    mock.now = time.time  # the service runs on the real clock
    await mock.start()
    yield mock
    await mock.stop()


def pending(env: dict[str, str]) -> list[dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "handlers", "outbox", "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


async def dm(url: str, text: str) -> int:
    body = json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": "Ev0001", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": DM, "channel_type": "im", "user": APPLICANT,
                                 "text": text, "ts": f"{time.time():.6f}"}})
    async with aiohttp.ClientSession() as session, session.post(
            f"{url}/slack/events", data=body.encode(),
            headers={"Content-Type": "application/json", **sign(body)}) as response:
        return response.status


def parts(api: MockSlack) -> list[tuple[str | None, int | None]]:
    payloads = [(m.get("metadata") or {}).get("event_payload") or {} for m in api.history.get(DM, [])]
    return [(p.get("outbox_id"), p.get("part")) for p in payloads]


async def test_a_reply_posted_just_before_a_sigkill_is_not_posted_again(tmp_path, api):
    env = {**make_env(tmp_path), "WEBNACCS_HTTP_PORT": "0", "WEBNACCS_SMTP_PORT": "0",
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api.url}
    release = api.hold("chat.postMessage")  # Slack posts it; the answer never reaches the process
    first = Serve(env)
    try:
        assert await dm(await asyncio.to_thread(first.url), "WebNACCSの申込をしたいです") == 200
        await waiting.until(lambda: api.held, timeout=WAIT)
        await asyncio.to_thread(first.end, signal.SIGKILL)
    finally:
        release.set()
        await asyncio.to_thread(first.end, signal.SIGKILL)
    assert len(api.history[DM]) == 1  # the guidance is in the DM
    assert api.to("conversations.history") == []  # a first attempt looks at nothing

    second = Serve(env)
    try:
        await asyncio.to_thread(second.url)
        await waiting.until(lambda: len(parts(api)) >= 2, timeout=WAIT)
        await waiting.until(lambda: pending(env) == [], timeout=WAIT, in_thread=True)
    finally:
        await asyncio.to_thread(second.end)
    assert len(api.history[DM]) == 2  # the guidance once, then the first question
    [(ref, _), _] = parts(api)
    assert ref and parts(api) == [(ref, 0), (ref, 1)]
    assert len([c for c in api.calls if c.method == "chat.postMessage"]) == 2
    assert api.to("conversations.history", channel=DM)

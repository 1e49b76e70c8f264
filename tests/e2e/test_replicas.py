"""Two ``serve`` replicas on one PostgreSQL database, as an operator runs them: Slack events and
mails go to either; one replica is SIGKILLed in the middle of the conversations and the people
finish on the other. Afterwards every acknowledged answer is there, each application is filed
once with its own number, and every notice arrived once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiosmtpd.smtp import SMTP

from tests import pg, waiting
from tests.conftest import WITHOUT_USER_CODE
from tests.email.mailer import Sink, parse
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, sign
from tests.slack.mock_slack import MockSlack, Profile

ROOT = Path(__file__).resolve().parents[2]
BOT = "webnaccs@replicas.test"
ANSWERS = [*WITHOUT_USER_CODE[:6], "1", *WITHOUT_USER_CODE[7:], "登録"]  # "1": the first open date
WAIT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    def __init__(self, name: str, workdir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.http, self.smtp = free_port(), free_port()
        data = workdir / name
        data.mkdir()
        self.env = {**env, "WEBNACCS_DATA_DIR": str(data), "WEBNACCS_HTTP_PORT": str(self.http),
                    "WEBNACCS_SMTP_PORT": str(self.smtp), "WEBNACCS_PUBLIC_URL": f"http://127.0.0.1:{self.http}"}
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "handlers", "serve"], env=self.env, cwd=ROOT,
                                         stdout=log, stderr=subprocess.STDOUT)

        async def up() -> bool:
            try:
                async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{self.http}/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
                return False

        deadline = time.monotonic() + WAIT
        while not await up():
            assert time.monotonic() < deadline, self.log.read_text()
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
async def stack(tmp_path: Path):
    pg.require()
    api = MockSlack(users={"UAPP1": Profile("山田 太郎", "taro@example.co.jp")})
    await api.start()
    sink = Sink()
    relay_port = free_port()
    loop = asyncio.get_running_loop()
    relay = await loop.create_server(lambda: SMTP(sink, hostname="relay.test", loop=loop), "127.0.0.1", relay_port)
    with pg.fresh_schema() as url:
        env = {**os.environ, "WEBNACCS_DATABASE_URL": url, "WEBNACCS_MAIL_ADDRESS": BOT,
               "WEBNACCS_SMTP_RELAY": f"127.0.0.1:{relay_port}", "WEBNACCS_SMTP_TLS": "none",
               "WEBNACCS_SECRET": "replicas-share-this-secret", "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api.url,
               "WEBNACCS_REVIEW_CHANNEL": "CREVIEW", "WEBNACCS_REVIEWERS": "UREV1", "WEBNACCS_LANG": "ja"}
        replicas = [Replica("a", tmp_path, env), Replica("b", tmp_path, env)]
        try:
            await asyncio.gather(*(r.start() for r in replicas))
            yield replicas, api, sink, url
        finally:
            for r in replicas:
                r.stop()
            relay.close()
            await api.stop()


async def dm(replica: Replica, text: str, event_id: str) -> int:
    body = json.dumps({"token": "t", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()),
                       "event": {"type": "message", "channel": "DAPP1", "channel_type": "im", "user": "UAPP1",
                                 "text": text, "ts": f"{time.time():.6f}"},
                       "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})
    try:
        async with aiohttp.ClientSession() as s, s.post(
                f"http://127.0.0.1:{replica.http}/slack/events", data=body.encode(),
                headers={"Content-Type": "application/json", **sign(body)}) as r:
            return r.status
    except aiohttp.ClientError:
        return 0  # the replica is gone: Slack sends it again


def send_mail(replica: Replica, to: str, text: str, *, reply_to: EmailMessage | None = None) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "hanako@example.co.jp", to, "申込"
    msg["Message-ID"] = f"<{time.time_ns()}@example.co.jp>"
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
    msg.set_content(text)
    with smtplib.SMTP("127.0.0.1", replica.smtp, timeout=30) as s:
        s.send_message(msg, from_addr="hanako@example.co.jp", to_addrs=[to])


def questions(api: MockSlack) -> list[dict[str, Any]]:
    return [c for c in api.to("chat.postMessage", channel="UAPP1")
            if (c.get("metadata") or {}).get("event_type") == "webnaccs_question"]


def mails_to(sink: Sink, who: str) -> list[EmailMessage]:
    return [parse(raw) for _, rcpts, raw in sink.received if who in rcpts]


async def test_two_replicas_share_the_work_and_one_may_die(stack):
    replicas, api, sink, url = stack
    a, b = replicas
    # Slack: alternate between the replicas, message by message
    texts = ["申込をお願いします", *ANSWERS]
    mail_question: EmailMessage | None = None
    for n, text in enumerate(texts):
        alive = [r for r in replicas if r.proc and r.proc.poll() is None]
        target = alive[n % len(alive)]
        before = len(questions(api))
        status = await dm(target, text, f"EvR{n:03d}")
        if status != 200:  # as Slack does: the same event again, to whoever answers
            status = await dm(alive[-1], text, f"EvR{n:03d}")
        assert status == 200
        if text != "登録":
            await waiting.until(lambda before=before: len(questions(api)) > before, timeout=WAIT)
        # mail: one answer per Slack answer, also alternating
        if n < len(ANSWERS):
            mailer = alive[(n + 1) % len(alive)]
            if mail_question is None:
                send_mail(mailer, BOT, "WebNACCSの申込をお願いします。")
            else:
                send_mail(mailer, str(mail_question["Reply-To"]), ANSWERS[n - 1] if n else "", reply_to=mail_question)
            got = len(mails_to(sink, "hanako@example.co.jp"))
            await waiting.until(lambda got=got: len(mails_to(sink, "hanako@example.co.jp")) > got, timeout=WAIT)
            mail_question = mails_to(sink, "hanako@example.co.jp")[-1]
        if n == 8:
            a.kill()  # in the middle of both conversations; everything it acknowledged is in the database
    send_mail(b, str(mail_question["Reply-To"]), ANSWERS[-1], reply_to=mail_question)  # 登録 by mail
    await waiting.until(lambda: len([c for c in api.to("chat.postMessage", channel="CREVIEW")]) >= 2, timeout=WAIT)

    from store.postgres import PgStore

    store = PgStore(url)
    try:
        apps = [store.get(i) for i in store.all_ids()]
        filed = [r for r in apps if r and r["state"] == "under_review"]
        assert len(filed) == 2 and len({r["acceptance_number"] for r in filed}) == 2
        slack_app = next(r for r in filed if "slack:UAPP1" in r["people"])
        assert all(f"slack-event:EvR{n:03d}" in slack_app["inbound"] for n in range(len(texts)))
        assert slack_app["answers"]["company_name"] == "ABC損害保険株式会社"
        # every notice once: the acknowledgments, at the mock and at the sink
        await waiting.until(lambda: not store.pending_outbox(["email", "slack", "review"]), timeout=WAIT)
        received = [parse(raw) for *_, raw in sink.received]
        acks = Counter((m["To"], m["X-WebNACCS-Acceptance-Number"]) for m in received
                       if m["X-WebNACCS-Notice"] == "acknowledgment")
        assert len(acks) == 4 and set(acks.values()) == {1}  # two people of each application, once
        assert len(questions(api)) == len(texts) - 1  # one question per answer (登録 gets a notice)
        asked_by_mail = [m for m in received if m["X-WebNACCS-Field"] and m["To"] == "hanako@example.co.jp"]
        assert len(asked_by_mail) == len(ANSWERS)  # the first mail and each answer but 登録: one each
        cards = [c for c in api.to("chat.postMessage", channel="CREVIEW")]
        assert sorted(c["metadata"]["event_payload"]["acceptance_number"] for c in cards) == \
            sorted(r["acceptance_number"] for r in filed)
    finally:
        store.close()

"""The mocks every Slack and email benchmark talks to, in the benchmark's own process:

* ``BenchSlack``: the tests' Slack Web API mock (``tests.slack.mock_slack.MockSlack``) that also
  stamps when each call arrives and hands it to whoever waits for it.
* ``BenchSink``: the tests' relay sink (``tests.email.mailer.Sink``) doing the same for mail.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.email.mailer import Sink
from tests.slack.mock_slack import Call, MockSlack, Profile


class Waiters:
    """Per-key queues of (arrival time, item), filled as things arrive."""

    def __init__(self) -> None:
        self.queues: defaultdict[str, asyncio.Queue[tuple[float, Any]]] = defaultdict(asyncio.Queue)

    def put(self, key: str, at: float, item: Any) -> None:
        self.queues[key].put_nowait((at, item))

    def clear(self, key: str) -> None:
        q = self.queues[key]
        while not q.empty():
            q.get_nowait()

    async def next(self, key: str, timeout: float) -> tuple[float, Any]:
        return await asyncio.wait_for(self.queues[key].get(), timeout)


class BenchSlack(MockSlack):
    """The tests' Web API mock, plus: every call is stamped on arrival and queued by its
    channel (``chat.*``) or user (``views.publish``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.waiters = Waiters()
        self.count: defaultdict[str, int] = defaultdict(int)

    async def _api(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        method = request.match_info["method"]
        if method == "users.info":  # every bench user has a profile
            user = request.query.get("user") or dict(parse_qsl(await request.text())).get("user", "")
            if user and user not in self.users:
                self.users[user] = Profile(f"申込 {user}", f"{user.lower()}@example.co.jp")
        response = await super()._api(request)
        call: Call = self.calls[-1]  # no await since it was appended: it is this request's
        self.count[method] += 1
        if call.status == 200:
            key = str(call.args.get("channel") or call.args.get("user_id") or "")
            self.waiters.put(key, arrived, call)
        return response

    def forget(self) -> None:
        """Drop the record of calls (long runs keep memory flat)."""
        self.calls.clear()


def is_question(call: Call) -> bool:
    return (call.args.get("metadata") or {}).get("event_type") == "webnaccs_question"


def question_field(call: Call) -> str | None:
    meta = call.args.get("metadata") or {}
    return (meta.get("event_payload") or {}).get("field") if meta.get("event_type") == "webnaccs_question" else None


def notice_of(call: Call) -> str | None:
    meta = call.args.get("metadata") or {}
    return (meta.get("event_payload") or {}).get("notice") if meta.get("event_type") == "webnaccs_notice" else None


@dataclass
class Mail:
    at: float
    to: list[str]
    raw: bytes
    headers: Any  # email.message.Message (headers only)

    @property
    def field(self) -> str | None:
        return self.headers.get("X-WebNACCS-Field")

    @property
    def notice(self) -> str | None:
        return self.headers.get("X-WebNACCS-Notice")

    @property
    def message_id(self) -> str:
        return str(self.headers.get("Message-ID") or "")


@dataclass
class BenchSink(Sink):
    """The tests' relay sink, plus: every mail is stamped on arrival and queued by recipient."""

    waiters: Waiters = field(default_factory=Waiters)
    keep: bool = True

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        arrived = time.perf_counter()
        answer = await super().handle_DATA(server, session, envelope)
        raw = envelope.original_content or b""
        mail = Mail(arrived, list(envelope.rcpt_tos), raw, BytesHeaderParser().parsebytes(raw))
        if not self.keep:
            self.received.clear()
        for rcpt in envelope.rcpt_tos:
            self.waiters.put(rcpt.lower(), arrived, mail)
        return answer


async def start_sink(sink: BenchSink) -> tuple[asyncio.base_events.Server, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="relay.bench", loop=loop,
                                                   enable_SMTPUTF8=True), "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])

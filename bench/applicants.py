"""Simulated applicants: a person in a Slack DM (signed ``message.im`` events over HTTP) and a
person replying to the bot's mails (SMTP), each walking the whole conversation to filing.

Each step sends one message and waits for the answer to arrive at the mock (Slack) or the sink
(mail). ``Step`` keeps what a benchmark needs: when it was sent, when it was acknowledged (HTTP
200 / SMTP 250) and when the first answer arrived. Sending survives a service that is down or
being killed: it retries, as Slack and mail servers do (same event id, same Message-ID), until
acknowledged. In the crash drill (``Hooks``) a message that was acknowledged by a process that
was then killed, and that the store does not have, is lost: the applicant types it again as a
new message (what a person does when no answer comes), and the loss is counted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiohttp
import aiosmtplib

from bench.stack import BOT_ADDRESS, SIGNING_SECRET, BenchSink, BenchSlack, Mail, is_question, question_field
from tests.conftest import WITHOUT_USER_CODE
from tests.email.mailer import gmail_reply, new_mail, outlook_reply, thunderbird_reply
from tests.slack.conftest import sign
from tests.slack.mock_slack import Call

FIELDS = ["industry", "company_name", "office_name", "user_code", "netnaccs_terminals", "change_items",
          "desired_start_date", "change_reason", "applicant_name", "applicant_department",
          "applicant_email", "applicant_phone", "admin_name", "admin_email", "certificate_count",
          "remarks", "confirm"]
FILED = "申込受付番号"
_ids = itertools.count(1)


def answers(start_date: str, email: str, admin: str) -> list[str]:
    """The answers of ``tests.conftest.WITHOUT_USER_CODE`` with a date valid today and this
    applicant's own addresses, then 登録."""
    values = list(WITHOUT_USER_CODE)
    values[6], values[10], values[13] = start_date, email, admin
    return [*values, "登録"]


@dataclass
class Step:
    text: str
    key: str  # slack-event:Ev… / <Message-ID>
    sent: float = 0.0  # perf_counter when the (first) send began
    acked: float | None = None  # when HTTP 200 / SMTP 250 came back
    answered: float | None = None  # when the first answer arrived at the mock / sink
    ack_latencies: list[float] = field(default_factory=list)  # every request's (retries too)
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    resent_as: str | None = None  # the key of the message sent again when no answer came
    incarnation: Any = 0  # which process acknowledged it (crash drill: replica and start)

    @property
    def turn(self) -> float:
        assert self.answered is not None
        return self.answered - self.sent


class Lost(Exception):
    """An acknowledged message the service is known to have lost (crash drill)."""


class Late(Exception):
    """No answer within the patience."""


class Hooks:
    """For the crash drill: which process answered at an endpoint (a URL or an SMTP port;
    stamped on each ack), and a check run while an answer is late — True when the message is
    known to be lost (the process that acknowledged it is dead and the store does not have it)."""

    def __init__(self, incarnation: Callable[[Any], Any] | None = None,
                 lost: Callable[[Any, Step], Awaitable[bool]] | None = None) -> None:
        self.incarnation = incarnation or (lambda endpoint: 0)
        self.lost = lost


NO_HOOKS = Hooks()


async def _next_answer(waiters: Any, key: str, step: Step, owner: Any, patience: float,
                       hooks: Hooks) -> tuple[float, Any]:
    """The next arrival for ``key`` after the step was sent; raises Lost when ``hooks`` says the
    message was lost, Late after ``patience`` seconds without an answer."""
    deadline = time.monotonic() + patience
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Late(f"{key}: no answer to {step.text!r} within {patience:.0f}s")
        try:
            at, item = await waiters.next(key, min(left, 1.0) if hooks.lost else left)
        except TimeoutError:
            if hooks.lost is not None and await hooks.lost(owner, step):
                raise Lost(f"{key}: {step.text!r} was acknowledged and lost") from None
            continue
        if at >= step.sent:
            return at, item


# --- Slack --------------------------------------------------------------------------------------


async def _until_answered(owner: Any, waiters: Any, key: str, step: Step, done: Callable[[Any], bool]) -> None:
    """Take arrivals for ``key`` until ``done`` accepts one; the first arrival times the step."""
    while True:
        at, item = await _next_answer(waiters, key, step, owner, owner.patience, owner.hooks)
        if step.answered is None:
            step.answered = at
        if done(item):
            return


class SlackApplicant:
    def __init__(self, user: str, *, url: str, session: aiohttp.ClientSession, mock: BenchSlack,
                 start_date: str, patience: float = 60.0, ack_timeout: float = 10.0,
                 hooks: Hooks = NO_HOOKS, fallback: Sequence[str] = ()) -> None:
        self.user = user
        self.hooks = hooks
        self.url = url
        self.urls = [url, *fallback]  # a retry goes to the next (replicas behind a balancer)
        self.session = session
        self.mock = mock
        self.patience = patience
        self.ack_timeout = ack_timeout
        self.texts = ["WebNACCSの申込をしたいです",
                      *answers(start_date, f"{user.lower()}@example.co.jp", f"admin-{user.lower()}@example.co.jp")]
        self.steps: list[Step] = []
        self.acceptance_number: str | None = None

    def body(self, text: str, event_id: str) -> str:
        event = {"type": "message", "channel": f"D{self.user[1:]}", "channel_type": "im", "user": self.user,
                 "text": text, "ts": f"{time.time():.6f}"}
        return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id, "event_time": int(time.time()), "event": event,
                           "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]},
                          ensure_ascii=False)

    async def post(self, step: Step, body: str, *, retry: bool) -> None:
        """POST until acknowledged (200). A refused connection, a timeout or a 5xx is retried
        with the same event id, as Slack does (to the next of ``urls``, as a balancer would);
        anything else is recorded and not retried."""
        attempt = 0
        while True:
            url = self.urls[attempt % len(self.urls)]
            headers = {"Content-Type": "application/json", **sign(body, secret=SIGNING_SECRET)}
            if attempt:
                headers["X-Slack-Retry-Num"] = str(attempt)
                headers["X-Slack-Retry-Reason"] = "http_error"
            began = time.perf_counter()
            try:
                async with self.session.post(url, data=body.encode(), headers=headers,
                                             timeout=aiohttp.ClientTimeout(total=self.ack_timeout)) as r:
                    await r.read()
                    step.ack_latencies.append(time.perf_counter() - began)
                    step.statuses.append(r.status)
                    if r.status == 200:
                        step.acked = time.perf_counter()
                        step.incarnation = self.hooks.incarnation(url)
                        return
                    if r.status < 500 or not retry:
                        step.errors.append(f"http {r.status}")
                        return
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                step.errors.append(type(e).__name__)
                if not retry:
                    return
            attempt += 1
            await asyncio.sleep(0.1)

    async def say(self, text: str, *, retry: bool = True) -> Step:
        event_id = f"Ev{next(_ids):08d}"
        step = Step(text, f"slack-event:{event_id}")
        self.mock.waiters.clear(self.user)
        step.sent = time.perf_counter()
        await self.post(step, self.body(text, event_id), retry=retry)
        return step

    async def wait(self, step: Step, index: int) -> None:
        """Until the answer to message ``index`` has arrived: the next question (by the field in
        its metadata), or the filing reply; ``step.answered`` is the first post's arrival."""
        want = FIELDS[index] if index < len(FIELDS) else None
        await _until_answered(self, self.mock.waiters, self.user, step, lambda call: self._done(call, want))

    def _done(self, call: Call, want: str | None) -> bool:
        if call.method != "chat.postMessage":
            return False
        if want is not None:
            return is_question(call) and question_field(call) == want
        text = str(call.args.get("text") or "")
        kind = (call.args.get("metadata") or {}).get("event_type")
        if FILED in text and kind in (None, "webnaccs_reply"):  # a reply, not the 受付完了 notice
            self.acceptance_number = text.split(FILED, 1)[1].lstrip("：: ").split()[0][:7]
            return True
        return False

    async def walk(self, *, pace: float = 0.0, resend: bool = False) -> list[Step]:
        """The whole conversation. With ``resend``, a message whose answer never comes is sent
        again as a new message (what a person does), and the walk goes on."""
        for index, text in enumerate(self.texts):
            step = await self.say(text)
            self.steps.append(step)
            while True:
                try:
                    await self.wait(step, index)
                    break
                except Lost:
                    if not resend:
                        raise
                    again = await self.say(text)
                    step.resent_as = again.key
                    self.steps.append(again)
                    step = again
            if pace:
                await asyncio.sleep(pace)
        return self.steps


# --- email --------------------------------------------------------------------------------------

CLIENTS = [outlook_reply, gmail_reply, thunderbird_reply]


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


class MailApplicant:
    def __init__(self, address: str, *, port: int, sink: BenchSink, start_date: str,
                 patience: float = 60.0, timeout: float = 10.0, hooks: Hooks = NO_HOOKS,
                 fallback: Sequence[int] = ()) -> None:
        self.address = address.lower()
        self.hooks = hooks
        self.port = port
        self.ports = [port, *fallback]  # a retry goes to the next (several MX hosts)
        self.sink = sink
        self.patience = patience
        self.timeout = timeout
        local = self.address.split("@")[0]
        self.texts = ["WebNACCSの追加を申し込みます。",
                      *answers(start_date, self.address, f"admin-{local}@example.co.jp")]
        self.steps: list[Step] = []
        self.question: EmailMessage | None = None
        self.acceptance_number: str | None = None

    async def send(self, step: Step, raw: bytes, to: str, *, retry: bool = True) -> None:
        """One SMTP transaction, retried (same Message-ID) until DATA is answered 250.
        ``ack_latencies`` time DATA alone: from the client sending it to the 250. A failed
        attempt is retried at the next of ``ports``, as a mail server tries the next MX host."""
        attempt = 0
        while True:
            port = self.ports[attempt % len(self.ports)]
            attempt += 1
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=self.timeout)
            try:
                await client.connect()
                await client.ehlo()
                await client.mail(self.address)
                await client.rcpt(to)
                began = time.perf_counter()
                if not step.sent:
                    step.sent = began
                response = await client.data(raw)
                step.ack_latencies.append(time.perf_counter() - began)
                step.statuses.append(response.code)
                step.acked = time.perf_counter()
                step.incarnation = self.hooks.incarnation(port)
                return
            except aiosmtplib.SMTPResponseException as e:
                step.statuses.append(e.code)
                step.errors.append(f"smtp {e.code} {e.message}")
                if e.code >= 500 or not retry:
                    return
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as e:
                step.errors.append(type(e).__name__)
                if not retry:
                    return
            finally:
                if client.is_connected:
                    try:
                        await client.quit()
                    except Exception:
                        client.close()
            await asyncio.sleep(0.1)

    def mail_for(self, index: int, text: str) -> tuple[bytes, str, str]:
        """(raw, recipient, Message-ID) of message ``index``."""
        message_id = make_msgid(domain="example.co.jp")
        if index == 0:
            raw = new_mail(sender=self.address, to=BOT_ADDRESS, subject="申込",
                           body=text, name="申込 太郎", message_id=message_id)
            return raw, BOT_ADDRESS, message_id
        assert self.question is not None
        client = CLIENTS[index % len(CLIENTS)]
        options: dict[str, Any] = {"message_id": message_id} if client is outlook_reply else {}
        raw = client(self.question, text, sender=self.address, **options)
        if client is not outlook_reply:
            message_id = str(parse(raw)["Message-ID"])
        return raw, str(self.question["Reply-To"]), message_id

    async def say(self, index: int, text: str) -> Step:
        raw, to, message_id = self.mail_for(index, text)
        step = Step(text, message_id)
        self.sink.waiters.clear(self.address)
        await self.send(step, raw, to)
        return step

    async def wait(self, step: Step, index: int) -> None:
        want = FIELDS[index] if index < len(FIELDS) else None
        await _until_answered(self, self.sink.waiters, self.address, step, lambda mail: self._done(mail, want))

    def _done(self, mail: Mail, want: str | None) -> bool:
        if want is not None:
            if mail.field == want:
                self.question = parse(mail.raw)
                return True
            return False
        number = mail.headers.get("X-WebNACCS-Acceptance-Number")
        if number and mail.notice in (None, "acknowledgment"):  # the filing's reply, or its 受付完了
            self.acceptance_number = str(number)
            return True
        return False

    async def walk(self, *, pace: float = 0.0, resend: bool = False) -> list[Step]:
        for index, text in enumerate(self.texts):
            step = await self.say(index, text)
            self.steps.append(step)
            while True:
                try:
                    await self.wait(step, index)
                    break
                except Lost:
                    if not resend:
                        raise
                    again = await self.say(index, text)
                    step.resent_as = again.key
                    self.steps.append(again)
                    step = again
            if pace:
                await asyncio.sleep(pace)
        return self.steps

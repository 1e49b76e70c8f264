"""ONE running service with both channels, end to end: the Slack Web API mock on loopback
(``tests.slack.mock_slack``), signed Slack requests to ``/slack/events``, the inbound SMTP server
on loopback and real SMTP out to a relay sink on loopback (aiosmtpd), the ID通知 page over HTTP,
and an injected clock that the tests move.

Every log record of every logger is captured at DEBUG (aiosmtpd's ``mail.log`` included), so
the no-secret sweep sees what an operator's DEBUG log would hold.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiosmtpd.smtp import SMTP
from pypdf import PdfReader

from bot.config import Config
from handlers import bootstrap, server
from handlers.email import EmailChannel
from tests.email.mailer import Sink, parse, text_of
from tests.fakes import FixedClock, clock_at
from tests.slack import conftest as slack_conftest
from tests.slack.conftest import (
    APPLICANT,
    BOT_TOKEN,
    REVIEW_CHANNEL,
    REVIEWERS,
    SCHEDULE,
    SIGNING_SECRET,
    Slack,
    until,
)
from tests.slack.mock_slack import MockSlack
from tests.web.forms import form_fields

api = slack_conftest.api  # the Slack Web API mock on loopback, as a fixture here too

BOT = "webnaccs@bot.example.jp"
TARO = "taro@example.co.jp"  # the applicant: the Slack profile's email (Taro@Example.co.jp)
HANAKO = "hanako@example.co.jp"  # the administrator: by mail only
SECRET = "e2e-secret-for-links-tokens-and-the-vault"
BOTH = (TARO, HANAKO)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def attachments(mail: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in mail.iter_attachments()}


def mail_texts(mail: EmailMessage) -> list[str]:
    """Everything a reader could see in a mail: headers, every text part decoded, PDFs' text."""
    out = [str(value) for _, value in mail.items()]
    for part in mail.walk():
        if part.is_multipart():
            continue
        out += [str(value) for _, value in part.items()]
        content = part.get_content()
        if isinstance(content, str):
            out.append(content)
        elif part.get_content_type() == "application/pdf":
            out.append(pdf_text(content))
        else:
            out.append(content.decode("utf-8", "replace"))
    return out


@dataclass
class World:
    bot: bootstrap.Bot
    running: server.Running
    email: EmailChannel
    slack: Slack
    api: MockSlack
    sink: Sink
    relay: asyncio.base_events.Server | None  # None: mail is written to DATA_DIR/mail instead
    data_dir: Path
    caplog: pytest.LogCaptureFixture

    @property
    def clock(self) -> FixedClock:
        return self.bot.service.clock  # type: ignore[return-value]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.running.port}"

    async def settled(self) -> None:
        """Every inbound mail processed, every message that is due delivered on every channel
        (a message behind one waiting for its retry, to the same recipient, is not due), and
        App Home refreshes done."""
        await self.email.drain()
        now = self.clock.now().isoformat()
        senders = self.running.dispatcher.senders

        def due() -> list[dict[str, Any]]:
            found, waiting = [], set()
            for m in self.bot.store.pending_outbox():
                recipient = (m.get("channel"), m.get("to"))
                if m.get("channel") not in senders or recipient in waiting:
                    continue
                if m.get("next_at") and m["next_at"] > now:
                    waiting.add(recipient)
                    continue
                found.append(m)
            return found

        self.running.dispatcher.wake()
        await until(lambda: not due())
        await self.slack.channel.home.settle()

    async def remind(self, at: str) -> int:
        """Move the clock to ``at`` (Japan time) and run the reminders, as the scheduler does."""
        self.clock.current = clock_at(at).now()
        taken = await asyncio.to_thread(self.bot.service.run_reminders)
        await self.settled()
        return taken

    # --- mail -------------------------------------------------------------------------------

    def delivered_mails(self) -> list[tuple[list[str], EmailMessage]]:
        """(recipients, mail) of every mail sent, oldest first: what the relay accepted, or
        (without a relay) the .eml files in DATA_DIR/mail, by their Date."""
        if self.relay is not None:
            return [(recipients, parse(raw)) for _, recipients, raw in self.sink.received]
        found = [parse(path.read_bytes()) for path in sorted((self.data_dir / "mail").glob("*.eml"))]
        found.sort(key=lambda mail: parsedate_to_datetime(str(mail["Date"])))
        return [([str(mail["To"])], mail) for mail in found]

    def mails(self, to: str | None = None, *, notice: str | None = None) -> list[EmailMessage]:
        """Mails sent, oldest first; to one recipient, of one notice kind."""
        found = []
        for recipients, mail in self.delivered_mails():
            if to is not None and to not in recipients:
                continue
            if notice is not None and mail["X-WebNACCS-Notice"] != notice:
                continue
            found.append(mail)
        return found

    def id_link(self, mail: EmailMessage) -> str:
        """The ID通知 page link of a mail, pointed at the running server (the signed part is
        the path; WEBNACCS_PUBLIC_URL is the reverse proxy's address in real life)."""
        links = re.findall(r"https?://\S+/id/\S+", text_of(mail))
        assert len(links) == 1, links
        return self.base_url + urlsplit(links[0]).path

    # --- Slack ------------------------------------------------------------------------------

    def dm_notices(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [p for p in self.slack.posts(APPLICANT)
                if (p.get("metadata") or {}).get("event_type") == "webnaccs_notice"
                and (kind is None or p["metadata"]["event_payload"]["notice"] == kind)]

    # --- the ID通知 page --------------------------------------------------------------------

    async def page(self, method: str, url: str) -> tuple[int, str]:
        """As a browser: a POST sends the form of the page first shown by a GET (its token)."""
        async with aiohttp.ClientSession() as http:
            fields: dict[str, str] = {}
            if method == "POST":
                async with http.get(url) as shown:
                    fields = form_fields(await shown.text())
            async with http.request(method, url, data=fields or None) as response:
                return response.status, await response.text()


@pytest.fixture
async def world(request: pytest.FixtureRequest, tmp_path: Path, api: MockSlack,
                caplog: pytest.LogCaptureFixture) -> AsyncIterator[World]:
    """The service; mail goes out through a relay on loopback, or (``indirect`` parameter
    ``"folder"``) into DATA_DIR/mail as .eml files."""
    caplog.set_level(logging.DEBUG)  # every logger, through the root
    caplog.set_level(logging.DEBUG, logger="mail.log")  # aiosmtpd's, which the channel would quieten
    loop = asyncio.get_running_loop()
    sink = Sink()
    relay = None
    if getattr(request, "param", "relay") == "relay":
        relay = await loop.create_server(lambda: SMTP(sink, hostname="relay.test", loop=loop), "127.0.0.1", 0)
    schedule = tmp_path / "schedule.txt"
    schedule.write_text(SCHEDULE, encoding="utf-8")
    config = Config(data_dir=tmp_path / "data", schedule=schedule, http_port=0, smtp_port=0, mail_address=BOT,
                    smtp_relay=f"127.0.0.1:{relay.sockets[0].getsockname()[1]}" if relay is not None else None,
                    secret=SECRET, review_channel=REVIEW_CHANNEL, reviewers=REVIEWERS, lang="ja",
                    slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api.url)
    bot = bootstrap.build(config, clock=clock_at("2026-11-26T10:00"))  # a Thursday, in Japan
    email, slack = bootstrap.email_channel(bot, port=0), bootstrap.slack_channel(bot)
    running = await server.start(bot, [email, slack])
    try:
        yield World(bot, running, email, Slack(running, slack, api), api, sink, relay, config.data_dir, caplog)
    finally:
        await running.stop()
        if relay is not None:
            relay.close()
            await relay.wait_closed()
        bot.store.close()


def one_notice_each(world: World, kind: str, number: str, *, mail_to: tuple[str, ...] = BOTH,
                    times: int = 1) -> dict[str, Any]:
    """The notice went ``times`` times (once, unless said) to each recipient — the applicant's DM
    and each address of ``mail_to``, and to no other address. Returns the latest of each."""
    posts = world.dm_notices(kind)
    assert len(posts) == times, [p["text"] for p in posts]
    found: dict[str, Any] = {"dm": posts[-1] if posts else None}
    for address in (TARO, HANAKO):
        mails = world.mails(address, notice=kind)
        assert len(mails) == (times if address in mail_to else 0), (kind, address, len(mails))
        if mails:
            assert all(m["X-WebNACCS-Acceptance-Number"] == number for m in mails)
            found[address] = mails[-1]
    return found


# --- the sweep for secrets ---------------------------------------------------------------------


def secrets_of(codes: list[dict[str, Any]]) -> list[str]:
    """Every access key and authentication code (and logical terminal name) of an ID通知."""
    return [s for c in codes for s in (c["access_key"], c["logical_terminal"], *c["auth_codes"])]


def found_in(secret: str, text: str) -> bool:
    """A code as a whole (8 digits inside a longer number, a timestamp say, is not a code)."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text) is not None


def id_notice_post(call: Any) -> bool:
    return (call.method == "chat.postMessage" and call.args.get("channel") == APPLICANT
            and (call.args.get("metadata") or {}).get("event_payload", {}).get("notice") == "id_notification")


def leaks(world: World, secrets: list[str]) -> list[str]:
    """Where any secret shows up outside the applicant's ID通知 DM: stored files, mails, Slack
    calls and uploads, log records."""
    places: list[tuple[str, str]] = []
    for path in sorted(p for p in world.data_dir.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        places.append((str(path.relative_to(world.data_dir)), raw.decode("utf-8", "replace")))
        if raw[:5] == b"%PDF-":
            places.append((f"{path.name} (pdf)", pdf_text(raw)))
        elif path.suffix in (".eml", ".mail"):  # a spooled mail: its envelope line, then the mail
            mail = raw.split(b"\n", 1)[-1] if path.suffix == ".mail" else raw
            places += [(f"{path.name} (decoded)", t) for t in mail_texts(parse(mail))]
    for n, (_, _, raw) in enumerate(world.sink.received):
        places.append((f"relay mail {n}", raw.decode("utf-8", "replace")))
        places += [(f"relay mail {n} decoded", t) for t in mail_texts(parse(raw))]
    for n, call in enumerate(world.api.calls):
        body = json.dumps(call.args, ensure_ascii=False)
        if id_notice_post(call):
            body = json.dumps({k: v for k, v in call.args.items() if k != "blocks"}, ensure_ascii=False)
        places.append((f"slack call {n} {call.method}", body))
    for upload in world.api.uploads.values():
        if upload.data:
            places.append((f"slack upload {upload.filename}", pdf_text(upload.data)))
    places += [("slack response_url", json.dumps(r, ensure_ascii=False)) for r in world.api.responses]
    places += [("socket", json.dumps(m, ensure_ascii=False)) for m in world.api.socket_messages]
    for record in world.caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(getattr(record, "args", ""))
        places.append((f"log {record.name}", text))
    places.append(("log text", world.caplog.text))
    return [f"{secret} in {where}" for secret in secrets for where, text in places if found_in(secret, text)]

"""Reviewers by mail (issue 12 item 9): the review-request mail over real SMTP on loopback, and
the review page over HTTP against the running service — approve, return, reject, a second
reviewer, double POST, forged and expired links, a reviewer not configured, the form token and
the same-origin check."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP
from pypdf import PdfReader

from bot.config import BUNDLED_SCHEDULE, Config
from bot.service import Person
from handlers import bootstrap, server
from handlers.links import FORM_TOKEN_SECONDS, LinkSigner
from tests.email.conftest import BOT, HANAKO, SECRET, TARO
from tests.email.mailer import Sink, eventually, gmail_reply, send, text_of
from tests.email.test_mail_safety import values_for_a_whole_application
from tests.fakes import clock_at
from tests.web.forms import form_fields, read

REV1, REV2 = "rev1@example.co.jp", "rev2@example.co.jp"
PUBLIC = "https://bot.example.co.jp"  # WEBNACCS_PUBLIC_URL: the links' base, the origin of the pages
OWN = {"Origin": PUBLIC}  # what a browser sends with the page's own form


@dataclass
class World:
    bot: bootstrap.Bot
    running: server.Running
    sink: Sink
    smtp_port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.running.port}"

    def local(self, link: str) -> str:
        """A link of a mail, pointed at the running server (the signed part is the path)."""
        parts = urlsplit(link)
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def mails(self, to: str | None = None, review: str | None = None) -> list[EmailMessage]:
        found = [m for m in self.sink.mails() if to is None or str(m["To"]) == to]
        return [m for m in found if review is None or m["X-WebNACCS-Review"] == review]

    async def file(self, who: str = TARO, **changes: str) -> str:
        person = Person(key=f"email:{who}", channel="email", prefill={"applicant_email": who}, address=who)
        values = {**values_for_a_whole_application(), "applicant_email": who, **changes}
        await asyncio.to_thread(self.bot.service.fill, person, values)
        outcome = await asyncio.to_thread(self.bot.service.handle, person, "登録")
        assert outcome.filed
        return outcome.acceptance_number

    async def request_mail(self, number: str, reviewer: str) -> EmailMessage:
        def arrived() -> list[EmailMessage]:
            return [m for m in self.mails(reviewer, "request") if m["X-WebNACCS-Acceptance-Number"] == number]

        await eventually(arrived, what=f"the review request of {number} to {reviewer}")
        return arrived()[-1]

    def links(self, mail: EmailMessage) -> dict[str, str]:
        """The review links of a mail's text part, by the decision they open."""
        found = re.findall(r"https?://\S+/review/\S+", text_of(mail))
        return {urlsplit(u).query.removeprefix("decision=") or "page": self.local(u) for u in found}

    def state(self, number: str) -> str:
        return str(self.bot.service.find(number).state)

    def transitions(self, number: str) -> list[tuple[str, str, str]]:
        app = self.bot.service.find(number)
        return [(e["from"], e["to"], e["actor"]) for e in self.bot.store.audit(app.id) if e["action"] == "transition"]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    loop = asyncio.get_running_loop()
    sink = Sink()
    relay = await loop.create_server(lambda: SMTP(sink, hostname="relay.test", loop=loop), "127.0.0.1", 0)
    config = Config(data_dir=tmp_path / "data", schedule=BUNDLED_SCHEDULE, http_port=0, smtp_port=0,
                    mail_address=BOT, secret=SECRET, public_url=PUBLIC,
                    smtp_relay=f"127.0.0.1:{relay.sockets[0].getsockname()[1]}", reviewer_emails=(REV1, REV2))
    bot = bootstrap.build(config, clock=clock_at("2026-11-26T10:00"))
    # What the composition root passes once wired: Service(review_channels=config.review_channels).
    bot.service.core.review_channels = config.review_channels
    channel = bootstrap.email_channel(bot, port=0)
    running = await server.start(bot, [channel])
    try:
        yield World(bot, running, sink, channel.port)
    finally:
        await running.stop()
        bot.store.close()
        relay.close()
        await relay.wait_closed()


async def fetch(method: str, url: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.request(method, url, data=data, headers=headers) as r:
        return r.status, await r.text(), r.headers


def attachments(mail: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in mail.iter_attachments()}


def html_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()


async def test_a_mail_reviewer_approves_on_the_page_the_second_one_sees_who_did(world):
    number = await world.file()
    app = world.bot.service.find(number)
    mail1, mail2 = await world.request_mail(number, REV1), await world.request_mail(number, REV2)

    # --- the request: the whole application, the form attached, three ways in -----------------
    text = text_of(mail1)
    for shown in (number, "ABC損害保険株式会社", "本店", "山田 太郎", "taro@example.co.jp", "鈴木 花子",
                  "2027年1月4日（月）", "WebNACCSを利用するため端末を追加します。"):
        assert shown in text, shown
    assert number in str(mail1["Subject"]) and mail1["Auto-Submitted"] == "auto-generated"
    links1, links2 = world.links(mail1), world.links(mail2)
    assert set(links1) == {"approve", "return", "reject"}
    assert all(PUBLIC + urlsplit(u).path in text for u in links1.values())  # WEBNACCS_PUBLIC_URL is the base
    assert set(links1.values()).isdisjoint(links2.values())  # each reviewer has their own link
    html = html_of(mail1)
    buttons = re.findall(r'<a href="([^"]+)" style="display: inline-block;[^"]*">([^<]+)</a>', html)
    assert [label for _, label in buttons] == ["承認", "差戻し", "却下"]
    in_html = [world.local(u.replace("&amp;", "&")) for u, _ in buttons]
    assert in_html == [links1[d] for d in ("approve", "return", "reject")]
    [(name, pdf)] = attachments(mail1).items()
    assert name == f"{number}-application-form.pdf" and pdf[:5] == b"%PDF-"
    assert "ABC損害保険株式会社" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert len(world.mails(REV1, "request")) == len(world.mails(REV2, "request")) == 1  # once each
    assert [m for m in world.mails() if m["X-WebNACCS-Review"] and str(m["To"]) in (TARO, HANAKO)] == []
    # no Slack here: nothing waits for a Slack review channel
    assert [m for m in world.bot.store.outbox(app.id) if m["channel"] == "review"] == []

    # --- GET only shows: the application and the form, the desired date chosen --------------
    status, page, headers = await fetch("GET", links1["approve"])
    assert status == 200 and headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "same-origin"
    assert "ABC損害保険株式会社" in page and "承認する" in page
    form = read(page)
    assert form.selected["start_date"] == "2027-01-04" and "2027-01-04" in form.options["start_date"]
    assert all(d > "2026-11-26" for d in form.options["start_date"])
    fields = form_fields(page)
    assert fields["decision"] == "approve" and fields["form_token"]
    _, before, _ = await fetch("GET", links2["approve"])  # the second reviewer opens the page too
    assert world.state(number) == "under_review"  # opening decides nothing

    # --- POST decides, once; the reviewer is in the audit trail --------------------------------
    fields["start_date"] = "2027-01-18"
    fields["comment"] = "ご希望日の翌々週で承認します。"
    status, page, _ = await fetch("POST", links1["approve"], fields, OWN)
    assert status == 200 and "承認しました" in page
    app = world.bot.service.find(number)
    assert app.state == "approved" and app.review["start_date"] == "2027-01-18"
    assert app.review["by"] == f"email:{REV1}" and app.review["comment"] == "ご希望日の翌々週で承認します。"
    assert world.transitions(number)[-1] == ("under_review", "approved", f"email:{REV1}")

    status, page, _ = await fetch("POST", links1["approve"], fields, OWN)  # the same POST again
    assert status == 409 and REV1 in page and "（あなた）" in page
    status, page, _ = await fetch("POST", links2["reject"], {**form_fields(before), "decision": "reject",
                                                              "reason": "遅れて却下"}, OWN)
    assert status == 409 and f"{REV1} さんが" in page and "承認しました" in page
    assert [t[1] for t in world.transitions(number)] == ["under_review", "approved"]  # one decision

    status, page, _ = await fetch("GET", links2["return"])  # a GET after the decision shows it
    assert status == 200 and f"{REV1} さんが" in page and "2027年1月18日" in page and read(page).forms == 0

    # --- the other mail reviewer hears who decided; the one who decided saw it on the page -----
    await eventually(lambda: world.mails(REV2, "decided"), what="the decided mail to the second reviewer")
    [decided] = world.mails(REV2, "decided")
    assert REV1 in text_of(decided) and "承認しました" in text_of(decided) and "2027年1月18日" in text_of(decided)
    await eventually(lambda: [m for m in world.mails(TARO) if m["X-WebNACCS-Notice"] == "confirmation"],
                     what="the confirmation to the applicant")
    assert world.mails(REV1, "decided") == []


async def test_return_needs_a_reason_and_reject_works_from_the_other_reviewer(world):
    number = await world.file()
    links = world.links(await world.request_mail(number, REV1))
    mail = world.mails(REV1, "request")[-1]
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):  # a reply decides nothing, and says so
        await send(world.smtp_port, gmail_reply(mail, "承認します", sender=REV1, name="審査 一郎"),
                   sender=REV1, to=str(mail["Reply-To"]))
    status, page, _ = await fetch("GET", links["return"])
    assert status == 200 and 'name="reason"' in page and "差し戻す" in page
    fields = form_fields(page)
    assert fields["decision"] == "return"
    status, page, _ = await fetch("POST", links["return"], {**fields, "reason": "  "}, OWN)
    assert status == 400 and "理由を入力してください" in page and world.state(number) == "under_review"
    fields = form_fields(page)  # the form again, with a fresh token
    fields["reason"] = "部署名をご確認ください。　"
    status, page, _ = await fetch("POST", links["return"], fields, OWN)
    assert status == 200 and "差し戻しました" in page
    app = world.bot.service.find(number)
    assert app.state == "returned" and app.review["reason"] == "部署名をご確認ください。"
    assert world.transitions(number)[-1] == ("under_review", "returned", f"email:{REV1}")
    await eventually(lambda: [m for m in world.mails(TARO) if m["X-WebNACCS-Notice"] == "returned"],
                     what="the returned notice")

    second = await world.file(who="jiro@example.co.jp")
    links2 = world.links(await world.request_mail(second, REV2))
    status, page, _ = await fetch("GET", links2["reject"])
    status, page, _ = await fetch("POST", links2["reject"], {**form_fields(page), "reason": "対象外の業種です。"}, OWN)
    assert status == 200 and "却下しました" in page
    assert world.transitions(second)[-1] == ("under_review", "rejected", f"email:{REV2}")
    await eventually(lambda: world.mails(REV1, "decided"), what="the decided mail to the first reviewer")
    assert "却下しました" in text_of(world.mails(REV1, "decided")[-1])


async def test_a_page_opened_before_the_application_was_filed_again_decides_nothing(world):
    number = await world.file()
    links = world.links(await world.request_mail(number, REV1))
    _, old, _ = await fetch("GET", links["approve"])
    assert world.bot.service.decide(number, decision="return", actor="cli:op", reason="備考を追記してください").applied
    taro = Person(key=f"email:{TARO}", channel="email", prefill={"applicant_email": TARO}, address=TARO)
    await asyncio.to_thread(world.bot.service.fill, taro, {"remarks": "追記しました"})
    assert (await asyncio.to_thread(world.bot.service.handle, taro, "登録")).filed
    status, page, _ = await fetch("POST", links["approve"], form_fields(old), OWN)
    assert status == 409 and "再登録されました" in page and "追記しました" in page
    assert world.state(number) == "under_review"
    status, page, _ = await fetch("POST", links["approve"], form_fields(page), OWN)  # now seen: it counts
    assert status == 200 and world.state(number) == "approved"


async def test_forged_expired_and_foreign_links_and_posts_are_refused(world):
    number = await world.file()
    app = world.bot.service.find(number)
    links = world.links(await world.request_mail(number, REV1))
    good = links["approve"].split("?")[0]
    _, page, _ = await fetch("GET", good)
    fields = form_fields(page)
    base = world.base
    signer = LinkSigner(world.bot.secret, base)
    expires = urlsplit(good).path.split("/")[4]
    tag1, tag2 = signer.reviewer_tag(REV1), signer.reviewer_tag(REV2)
    forged = [
        good[:-1] + ("0" if good[-1] != "0" else "1"),  # altered signature
        LinkSigner(b"another secret", base).review_url(app.id, REV1, expires),  # another key
        good.replace(tag1, tag2),  # another reviewer's tag under this signature
        signer.review_url(app.id, REV1, "2099-12-31").replace("2099-12-31", expires),  # another expiry's signature
        good.replace(app.id, "0123456789abcdef"),  # another application
        signer.review_url("0123456789abcdef", REV1, expires),  # genuine, for no application
    ]
    for url in forged:
        for method in ("GET", "POST"):
            status, page, _ = await fetch(method, url, fields if method == "POST" else None, OWN)
            assert status == 404, (method, url)
            assert "無効" in page and "ABC損害保険株式会社" not in page
    status, _, _ = await fetch("POST", f"{base}/review/../../etc/passwd/x", fields, OWN)
    assert status == 404

    # a genuine link of someone who is not (or no longer) a configured reviewer
    outsider = signer.review_url(app.id, "outsider@example.co.jp", expires)
    status, page, _ = await fetch("GET", outsider)
    assert status == 403 and "審査の権限がありません" in page and "ABC損害保険株式会社" not in page
    status, page, _ = await fetch("POST", outsider, {**fields, "decision": "approve"}, OWN)
    assert status == 403 and world.state(number) == "under_review"
    assert world.bot.store.audit(app.id)[-1]["action"] == "decision_refused"

    # the page's own form only: no token, a wrong one, another page's, a foreign origin
    links2 = world.links(await world.request_mail(number, REV2))
    _, page2, _ = await fetch("GET", links2["approve"])
    for data, headers in (({k: v for k, v in fields.items() if k != "form_token"}, OWN),
                          ({**fields, "form_token": "1.abc"}, OWN),
                          ({**fields, "form_token": form_fields(page2)["form_token"]}, OWN),  # REV2's page
                          (fields, {"Origin": "https://evil.example"}),
                          (fields, {"Origin": "null"}),
                          (fields, {"Referer": "https://evil.example/review"})):
        status, page, _ = await fetch("POST", good, data, headers)
        assert status == 403, (data, headers)
        assert "受け付けられませんでした" in page
    assert world.state(number) == "under_review"

    # expired: after the last day of the link, GET and POST
    world.bot.service.clock.advance(days=31)
    for method in ("GET", "POST"):
        status, page, _ = await fetch(method, good, fields if method == "POST" else None, OWN)
        assert status == 410 and "有効期限" in page
    assert world.state(number) == "under_review"


async def test_a_page_left_open_too_long_keeps_what_was_typed_and_what_people_typed_stays_text(world):
    number = await world.file(remarks='<script>alert("x")</script>')
    mail = await world.request_mail(number, REV1)
    assert "<script>" not in html_of(mail) and "&lt;script&gt;" in html_of(mail)
    links = world.links(mail)
    status, page, _ = await fetch("GET", links["reject"])
    assert "<script>" not in page and "&lt;script&gt;" in page
    fields = {**form_fields(page), "reason": "理由を<b>書きました</b>"}
    world.bot.service.clock.advance(seconds=FORM_TOKEN_SECONDS + 1)
    status, page, _ = await fetch("POST", links["reject"], fields, OWN)
    assert status == 200 and "まだ判断を登録していません" in page and world.state(number) == "under_review"
    again = form_fields(page)
    assert again["reason"] == "理由を<b>書きました</b>" and again["form_token"] != fields["form_token"]
    status, page, _ = await fetch("POST", links["reject"], again, OWN)
    assert status == 200 and "却下しました" in page and "理由を&lt;b&gt;書きました&lt;/b&gt;" in page
    assert world.bot.service.find(number).review["reason"] == "理由を<b>書きました</b>"

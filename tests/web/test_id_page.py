"""The ID通知 page over real HTTP: GET shows no secret, POST does; altered or expired links fail."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.config import BUNDLED_SCHEDULE, Config
from bot.service import Person
from handlers.bootstrap import build
from handlers.links import FORM_TOKEN_SECONDS, LinkSigner
from handlers.server import start
from tests.conftest import file_application
from tests.fakes import clock_at
from tests.web.forms import form_fields


@pytest.fixture
async def running(tmp_path: Path):
    config = Config(data_dir=tmp_path / "data", schedule=BUNDLED_SCHEDULE, http_port=0,
                    secret="test-secret")
    bot = build(config, clock=clock_at("2026-11-26T10:00"))
    server = await start(bot, [])
    yield bot, server
    await server.stop()


def approve(bot) -> str:
    number = file_application(bot.service, Person(key="console:a", channel="console")).acceptance_number
    assert bot.service.decide(number, decision="approve", actor="cli:op", start_date="2027-01-04").applied
    return number


async def test_get_shows_a_button_and_post_shows_the_codes(running):
    bot, server = running
    app = bot.service.find(approve(bot))
    codes = bot.service.id_codes(app)
    signer = LinkSigner(bot.secret, f"http://127.0.0.1:{server.port}")
    url = signer.url(app.id, app.id_notice["expires_on"])
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            html = await page.text()
            assert page.status == 200 and "<form method=\"post\">" in html
            assert page.headers["Cache-Control"] == "no-store"
            assert not any(c["access_key"] in html for c in codes)
            fields = form_fields(html)  # the form token, as a browser would post it
        async with http.post(url, data=fields) as page:
            html = await page.text()
            assert page.status == 200
            for c in codes:
                assert c["access_key"] in html and all(code in html for code in c["auth_codes"])
    assert bot.store.audit(app.id)[-1]["action"] == "id_revealed"


async def test_altered_or_foreign_links_are_refused(running):
    bot, server = running
    app = bot.service.find(approve(bot))
    signer = LinkSigner(bot.secret, f"http://127.0.0.1:{server.port}")
    good = signer.url(app.id, app.id_notice["expires_on"])
    forged = LinkSigner(b"another secret", f"http://127.0.0.1:{server.port}").url(
        app.id, app.id_notice["expires_on"])
    later = signer.url(app.id, "2099-01-01")  # genuine signature, but not this notice's expiry
    async with aiohttp.ClientSession() as http:
        for url in (good[:-1] + ("0" if good[-1] != "0" else "1"), forged, later,
                    f"http://127.0.0.1:{server.port}/id/../../etc/passwd/x/y"):
            async with http.post(url) as page:
                html = await page.text()
                assert page.status == 404, url
                codes = bot.service.id_codes(app)
                assert not any(c["access_key"] in html for c in codes)


async def test_expired_link_is_refused(running):
    bot, server = running
    app = bot.service.find(approve(bot))
    url = LinkSigner(bot.secret, f"http://127.0.0.1:{server.port}").url(app.id, app.id_notice["expires_on"])
    bot.service.clock.current = bot.service.clock.current.replace(year=2027, month=1, day=6)
    async with aiohttp.ClientSession() as http, http.post(url) as page:
        assert page.status == 410 and "有効期限" in await page.text()


async def test_healthz(running):
    _, server = running
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{server.port}/healthz") as r:
        assert r.status == 200 and (await r.json()) == {"status": "ok"}


def test_no_secret_in_the_stored_files(tmp_path):
    config = Config(data_dir=tmp_path / "data", schedule=BUNDLED_SCHEDULE, secret="s")
    bot = build(config, clock=clock_at("2026-11-26T10:00"))
    app = bot.service.find(approve(bot))
    stored = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "data").rglob("*.json"))
    for c in bot.service.id_codes(app):
        assert c["access_key"] not in stored
        assert not any(re.search(code, stored) for code in c["auth_codes"])


# --- the form token and the same-origin check (issue 15 item 12) ------------------------------


async def _id_page(bot, server):
    app = bot.service.find(approve(bot))
    url = LinkSigner(bot.secret, f"http://127.0.0.1:{server.port}").url(app.id, app.id_notice["expires_on"])
    return app, url


def _revealed(bot, app) -> int:
    return sum(1 for e in bot.store.audit(app.id) if e["action"] == "id_revealed")


async def test_a_post_without_the_pages_token_or_with_a_wrong_one_is_refused(running):
    bot, server = running
    app, url = await _id_page(bot, server)
    other = bot.service.find(approve(bot))  # a token rendered for another application's page
    other_url = LinkSigner(bot.secret, f"http://127.0.0.1:{server.port}").url(other.id, other.id_notice["expires_on"])
    secrets = [c["access_key"] for c in bot.service.id_codes(app)]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            token = form_fields(await page.text())["form_token"]
        async with http.get(other_url) as page:
            foreign_token = form_fields(await page.text())["form_token"]
        issued, _, mac = token.partition(".")
        for data in ({}, {"form_token": ""}, {"form_token": "x"}, {"form_token": foreign_token},
                     {"form_token": f"{int(issued) + 1}.{mac}"}, {"form_token": f"{issued}.{'0' * len(mac)}"},
                     {"form_token": "１２３.ａｂｃ"}):
            async with http.post(url, data=data) as page:
                html = await page.text()
                assert page.status == 403, data
                assert "受け付けられませんでした" in html and not any(s in html for s in secrets)
                assert page.headers["Cache-Control"] == "no-store"
        assert _revealed(bot, app) == 0  # nothing shown, nothing recorded as shown
        async with http.post(url, data={"form_token": token}) as page:
            html = await page.text()
            assert page.status == 200 and all(s in html for s in secrets)
        async with http.post(url, data={"form_token": token}) as page:  # shown again: recorded again
            assert page.status == 200
    assert _revealed(bot, app) == 2


async def test_a_post_from_another_origin_is_refused(running):
    bot, server = running
    app, url = await _id_page(bot, server)
    secrets = [c["access_key"] for c in bot.service.id_codes(app)]
    own = bot.config.public_url  # WEBNACCS_PUBLIC_URL (here the default, from the HTTP port)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            fields = form_fields(await page.text())
            assert page.headers["Referrer-Policy"] == "same-origin"  # so the browser sends its Origin
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                        {"Origin": own.replace("http://", "https://")}, {"Referer": "https://evil.example/x"},
                        {"Origin": "https://evil.example", "Referer": own + "/id/x"}):
            async with http.post(url, data=fields, headers=headers) as page:
                html = await page.text()
                assert page.status == 403, headers
                assert "ほかのサイトから" in html and not any(s in html for s in secrets)
        assert _revealed(bot, app) == 0
        for headers in ({"Origin": own}, {"Referer": own + urlsplit(url).path}, {}):
            async with http.post(url, data=fields, headers=headers) as page:
                html = await page.text()
                assert page.status == 200 and all(s in html for s in secrets), headers
    assert _revealed(bot, app) == 3


async def test_a_page_left_open_too_long_shows_the_button_again(running):
    bot, server = running
    app, url = await _id_page(bot, server)
    secrets = [c["access_key"] for c in bot.service.id_codes(app)]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            old = form_fields(await page.text())
        bot.service.clock.current += timedelta(seconds=FORM_TOKEN_SECONDS + 1)
        async with http.post(url, data=old) as page:
            html = await page.text()
            assert page.status == 200 and "もう一度ボタンを押してください" in html
            assert not any(s in html for s in secrets)
            fresh = form_fields(html)
        assert fresh["form_token"] != old["form_token"]
        async with http.post(url, data=fresh) as page:
            html = await page.text()
            assert page.status == 200 and all(s in html for s in secrets)
    assert _revealed(bot, app) == 1

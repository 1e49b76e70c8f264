"""The ID通知 page over real HTTP: GET shows no secret, POST does; altered or expired links fail."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from bot.config import BUNDLED_SCHEDULE, Config
from bot.service import Person
from handlers.bootstrap import build
from handlers.links import LinkSigner
from handlers.server import start
from tests.conftest import file_application
from tests.fakes import clock_at


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
        async with http.post(url) as page:
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

"""Slow and numerous clients over real sockets on 127.0.0.1: a connection that sends half a header
or half a body is closed after its (here short) timeout; past the connection limit the oldest
idle or slow connection makes room, so ``/healthz`` still answers; keep-alive still works for
clients that behave. And what the SMTP listener does with a client that stalls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.smtp import SMTP

from bot.config import BUNDLED_SCHEDULE, Config
from handlers import bootstrap, http_guard, server
from handlers.bootstrap import Bot, build
from handlers.email import channel as email_channel
from handlers.outbox import Sender
from tests import waiting
from tests.fakes import clock_at

WAIT = 20.0  # an upper bound only: each wait ends as soon as the server has acted
CAP = 8
HALF_HEADER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
GET_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


class Probe:
    """A channel with two test routes: one that reads its body, one that waits to be released."""

    name = "probe"
    def __init__(self) -> None:
        self.senders: dict[str, Sender] = {}
        self.release = asyncio.Event()
        self.waiting = 0

    def routes(self, app: web.Application) -> None:
        async def echo(request: web.Request) -> web.Response:
            return web.json_response({"bytes": len(await request.read())})

        async def hold(request: web.Request) -> web.Response:
            self.waiting += 1
            await self.release.wait()
            return web.json_response({"released": True})

        app.router.add_post("/echo", echo)
        app.router.add_get("/hold", hold)

    async def start(self) -> None: ...

    async def stop(self) -> None:
        self.release.set()

    async def close(self) -> None:
        pass


@pytest.fixture
def make_bot(tmp_path: Path) -> Callable[[], Bot]:
    def make() -> Bot:
        config = Config(data_dir=tmp_path / "data", schedule=BUNDLED_SCHEDULE, http_port=0, smtp_port=0,
                        secret="test-secret")
        return build(config, clock=clock_at("2026-11-26T10:00"))
    return make


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the listener's limits the way an operator does: WEBNACCS_HTTP_* in the environment."""
    def set_limits(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"WEBNACCS_HTTP_{name.upper()}", str(value))
    set_limits(header_timeout=0.5, body_timeout=0.5, max_connections=CAP)
    return set_limits


@pytest.fixture
async def start(make_bot: Callable[[], Bot], limits: Callable[..., None]
                ) -> AsyncIterator[Callable[[], Any]]:
    started: list[server.Running] = []

    async def go() -> tuple[server.Running, Probe]:
        probe = Probe()
        running = await server.start(make_bot(), [probe])
        started.append(running)
        return running, probe

    yield go
    for running in started:
        await running.stop()


def guard_of(running: server.Running) -> http_guard.Guard:
    return running.runner.app[http_guard.GUARD]


async def connect(running: server.Running) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", running.port)


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection (fails if it never does)."""
    return await asyncio.wait_for(reader.read(), WAIT)


async def response(reader: asyncio.StreamReader) -> bytes:
    """One response to a GET /healthz (headers and its small body)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    return head + await asyncio.wait_for(reader.readexactly(length), WAIT)


async def healthz(running: server.Running) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{running.port}/healthz") as r:
        return r.status


async def test_half_a_header_is_cut_off_after_the_header_timeout(start, caplog):
    caplog.set_level(logging.INFO)
    running, _ = await start()
    reader, writer = await connect(running)
    writer.write(HALF_HEADER)
    await writer.drain()
    assert await closed_by_server(reader) == b""
    silent, quiet_writer = await connect(running)  # one that sends nothing at all
    assert await closed_by_server(silent) == b""
    assert "no complete request header within 0.5 s" in caplog.text
    assert "Traceback" not in caplog.text
    writer.close()
    quiet_writer.close()
    assert await healthz(running) == 200


async def test_a_header_dribbled_byte_by_byte_does_not_restart_the_clock(start):
    running, _ = await start()
    reader, writer = await connect(running)

    async def dribble() -> None:
        for byte in HALF_HEADER * 100:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    dribbling = asyncio.create_task(dribble())
    try:
        assert await closed_by_server(reader) == b""
    finally:
        dribbling.cancel()
        writer.close()


async def test_half_a_body_is_cut_off_after_the_body_timeout_without_a_traceback(start, caplog):
    caplog.set_level(logging.INFO)
    running, _ = await start()
    reader, writer = await connect(running)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    await writer.drain()
    assert b" 200 " not in await closed_by_server(reader)
    assert "the body was not received within 0.5 s" in caplog.text
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text
    writer.close()
    async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{running.port}/echo",
                                                          data=b"y" * 5000) as r:
        assert r.status == 200 and (await r.json()) == {"bytes": 5000}


async def test_keep_alive_outlasts_the_header_timeout_for_a_client_that_behaves(start):
    running, _ = await start()
    reader, writer = await connect(running)
    for _ in range(3):
        writer.write(GET_HEALTHZ)
        await writer.drain()
        answer = await response(reader)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"status": "ok"}')
        await asyncio.sleep(1.0)  # idle for twice the header timeout: within keep-alive (75 s)
    assert not reader.at_eof()
    writer.close()


async def test_past_the_limit_the_oldest_slow_connections_make_room_and_healthz_answers(start, limits, caplog):
    limits(header_timeout=60)  # they would stay for a minute: only the limit can close them
    running, _ = await start()
    slow = []
    for _ in range(CAP + 4):
        reader, writer = await connect(running)
        writer.write(HALF_HEADER)
        await writer.drain()
        slow.append((reader, writer))
    assert await healthz(running) == 200
    for reader, _ in slow[:5]:  # the four extra ones and /healthz each closed the oldest
        assert await closed_by_server(reader) == b""
    assert len(guard_of(running).open) <= CAP
    assert "connections open (the limit): closed the oldest idle one" in caplog.text
    for _, writer in slow:
        writer.close()


async def test_when_every_connection_is_inside_a_request_a_new_one_gets_503(start):
    running, probe = await start()
    held = []
    for _ in range(CAP):
        reader, writer = await connect(running)
        writer.write(b"GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        held.append((reader, writer))
    await waiting.until(lambda: probe.waiting == CAP, timeout=WAIT)
    reader, writer = await connect(running)
    assert (await closed_by_server(reader)).startswith(b"HTTP/1.1 503 Service Unavailable")
    writer.close()
    probe.release.set()
    for reader, writer in held:  # the requests in progress were not cut
        assert (await response(reader)).startswith(b"HTTP/1.1 200")
        writer.close()
    assert await healthz(running) == 200


async def test_a_request_aiohttp_cannot_parse_gets_400_and_one_short_line(start, caplog):
    caplog.set_level(logging.DEBUG)
    running, _ = await start()
    secret = b"Authorization-Bearer-SECRET-4242"
    for raw in [b"GET / HTTP/1.1\r\n" + secret + b"\r\n\r\n", b"GET /" + secret * 300 + b" HTTP/1.1\r\n\r\n",
                b"GET / HTTP/1.1\r\nX: " + secret * 300 + b"\r\n\r\n"]:
        reader, writer = await connect(running)
        writer.write(raw)
        await writer.drain()
        assert (await closed_by_server(reader)).startswith(b"HTTP/1.0 400 Bad Request")
        writer.close()
    assert "Traceback" not in caplog.text and secret.decode() not in caplog.text
    lines = [r.getMessage() for r in caplog.records if r.name == "webnaccs.http"]
    assert len(lines) == 3 and all("answered 400 to a malformed request from 127.0.0.1" in m for m in lines)


def test_limits_come_from_the_environment_and_bad_values_are_refused():
    assert http_guard.Limits.from_env({}) == http_guard.Limits(10.0, 30.0, 75.0, 512)
    got = http_guard.Limits.from_env({"WEBNACCS_HTTP_HEADER_TIMEOUT": " 2.5 ", "WEBNACCS_HTTP_MAX_CONNECTIONS": "64"})
    assert got.header_timeout == 2.5 and got.max_connections == 64 and got.body_timeout == 30.0
    for name, value in [("MAX_CONNECTIONS", "1.5"), ("BODY_TIMEOUT", "0"), ("HEADER_TIMEOUT", "-1"),
                        ("KEEPALIVE_TIMEOUT", "soon")]:
        with pytest.raises(ValueError, match=f"WEBNACCS_HTTP_{name}"):
            http_guard.Limits.from_env({f"WEBNACCS_HTTP_{name}": value})


async def test_smtp_cuts_a_stalled_client_off_after_its_idle_timeout(make_bot, monkeypatch: pytest.MonkeyPatch):
    """aiosmtpd closes a connection that sends no complete command for ``timeout`` seconds
    (EmailChannel sets 120; it is not restarted by the lines of a DATA body either). The test
    shortens it to see it act."""
    given: list[Any] = []

    class Recording(SMTP):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            given.append(kwargs.get("timeout"))
            super().__init__(*args, **{**kwargs, "timeout": 0.5})

    monkeypatch.setattr(email_channel, "SMTP", Recording)
    bot = make_bot()
    mail = bootstrap.email_channel(bot, port=0, process=False)
    running = await server.start(bot, [mail])
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", mail.port)
        assert (await asyncio.wait_for(reader.readline(), WAIT)).startswith(b"220")
        writer.write(b"EHLO half-a-comm")  # no CRLF
        await writer.drain()
        assert await closed_by_server(reader) == b""
        writer.close()
    finally:
        await running.stop()
    assert given == [email_channel.IDLE_TIMEOUT] and email_channel.IDLE_TIMEOUT < 300

"""A Slack Web API on 127.0.0.1 (port 0) for tests, in the manner of bolt-python's own mock
server: it records every call, answers like Slack, can be told to fail (429 with Retry-After,
5xx, an error code), and serves a Socket Mode WebSocket (``apps.connections.open`` points to it)."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    authorization: str | None
    status: int = 200


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    skip: int = 0  # let this many calls through first
    when: dict[str, Any] = field(default_factory=dict)  # only calls with these arguments


@dataclass
class Profile:
    real_name: str
    email: str | None = None


@dataclass
class MockSlack:
    users: dict[str, Profile] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # POSTs to response_url
    socket_messages: list[dict[str, Any]] = field(default_factory=list)  # what the app sent
    socket_connections: int = 0

    def __post_init__(self) -> None:
        self._failures: dict[str, list[Failure]] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0
        self.connected = asyncio.Event()

    # --- control ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             retry_after: int | None = None, skip: int = 0, **when: Any) -> None:
        """The next call of ``method`` (after ``skip`` good ones; with the arguments ``when``)
        fails this way, once."""
        self._failures.setdefault(method, []).append(Failure(status, error, retry_after, skip, when))

    def to(self, method: str, **match: Any) -> list[dict[str, Any]]:
        """Arguments of the successful calls of a method whose arguments include ``match``."""
        return [c.args for c in self.calls if c.method == method and c.status == 200
                and all(c.args.get(k) == v for k, v in match.items())]

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        await self._sockets[-1].send_str(json.dumps(envelope))

    # --- server -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if raw.lstrip().startswith("{"):
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "metadata", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, args, request.headers.get("Authorization"))
        self.calls.append(call)
        failure = self._next_failure(method, args)
        if failure is not None:
            call.status = failure.status if failure.status != 200 else 299  # 299: answered with an error
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream trouble", content_type="text/plain")
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            error = failure.error or ("ratelimited" if failure.status == 429 else "fatal_error")
            return web.json_response({"ok": False, "error": error}, status=failure.status, headers=headers)
        if not (call.authorization or "").startswith(("Bearer xoxb-", "Bearer xapp-")):
            call.status = 299
            return web.json_response({"ok": False, "error": "not_authed"})
        return web.json_response(self._answer(method, args))

    def _next_failure(self, method: str, args: dict[str, Any]) -> Failure | None:
        queue = [f for f in self._failures.get(method, ())
                 if all(args.get(k) == v for k, v in f.when.items())]
        if not queue:
            return None
        if queue[0].skip > 0:
            queue[0].skip -= 1
            return None
        self._failures[method].remove(queue[0])
        return queue[0]

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1764100000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "webnaccs",
                    "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False}
        if method == "users.info":
            user = args.get("user", "")
            profile = self.users.get(user)
            if profile is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "real_name": profile.real_name, "profile": {
                "real_name": profile.real_name, **({"email": profile.email} if profile.email else {})}}}
        if method in ("chat.postMessage", "chat.update"):
            channel = str(args.get("channel", ""))
            channel = "D" + channel[1:] if channel.startswith("U") else channel
            return {"ok": True, "channel": channel, "ts": args.get("ts") or ts,
                    "message": {"text": args.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(args.get("view") or {})}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections += 1
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "connection_info": {"app_id": "A1"},
                                      "debug_info": {"host": "mock", "approximate_connection_time": 3600}}))
        self.connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_messages.append(json.loads(message.data))
        return ws

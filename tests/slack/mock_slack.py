"""A Slack Web API on 127.0.0.1 (port 0) for tests, in the manner of bolt-python's own mock
server: it records every call, answers like Slack, can be told to fail (429 with Retry-After,
5xx, an error code), and serves a Socket Mode WebSocket (``apps.connections.open`` points to it).

File uploads go the way ``files_upload_v2`` takes them: ``files.getUploadURLExternal`` hands out
an upload URL on this server, the bytes are POSTed there (``fail("upload", …)`` makes that
fail), and ``files.completeUploadExternal`` shares them in a channel — like Slack, only a
channel id (C…, G…, D…, Z…), never a user id.

What was posted is kept per conversation, as Slack keeps it: ``conversations.history`` answers
from it (newest first, ``oldest``/``latest``, ``limit`` and a cursor; message metadata only with
``include_all_metadata``; ``conversations.replies`` for a thread), and ``conversations.open``
gives a user's DM its id (``D`` + the user id's tail, the channel chat.postMessage to that user
answers with). ``hold`` keeps the
answer to a call that Slack already carried out, so a test can kill the app in between; ``now``
(seconds; the real time unless a test sets its clock) is when a message is posted: its ts."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
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
    carried_out: bool = False  # Slack did it all the same (a post is there), then answered this way
    drop: bool = False  # carried out, then the connection is closed without an answer


@dataclass
class Profile:
    real_name: str
    email: str | None = None
    locale: str | None = None  # answered only to users.info with include_locale, like Slack


@dataclass
class Upload:
    """A file announced with files.getUploadURLExternal; ``data`` once its bytes arrived,
    ``channel_id`` once files.completeUploadExternal shared it."""

    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel_id: str | None = None


def dm_of(channel: str) -> str:
    """Where a post to a user id goes: that user's DM (``U123`` → ``D123``)."""
    return "D" + channel[1:] if channel.startswith("U") else channel


CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]+$")  # Slack's check, minus the length (our ids are short)


@dataclass
class MockSlack:
    users: dict[str, Profile] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # POSTs to response_url
    socket_messages: list[dict[str, Any]] = field(default_factory=list)  # what the app sent
    socket_connections: int = 0
    uploads: dict[str, Upload] = field(default_factory=dict)  # by file id
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel id → messages, oldest first
    now: Callable[[], float] = time.time  # Slack's ts is the time of the post (tests may set a clock)
    scopes: list[str] | None = None  # the token's scopes, sent as X-OAuth-Scopes (None: no header)

    def __post_init__(self) -> None:
        self._failures: dict[str, list[Failure]] = {}
        self._holds: list[tuple[str, dict[str, Any], asyncio.Event]] = []
        self.held: list[Call] = []  # calls carried out whose answer is being kept back
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
             retry_after: int | None = None, skip: int = 0, carried_out: bool = False, drop: bool = False,
             **when: Any) -> None:
        """The next call of ``method`` (after ``skip`` good ones; with the arguments ``when``)
        fails this way, once; with ``carried_out`` after Slack did what it asked (a 5xx or a
        timeout that comes after the post); with ``drop`` the connection is lost after that."""
        self._failures.setdefault(method, []).append(
            Failure(status, error, retry_after, skip, when, carried_out or drop, drop))

    def hold(self, method: str, **when: Any) -> asyncio.Event:
        """The next call of ``method`` (with the arguments ``when``) is carried out, but its answer
        waits until the returned event is set."""
        release = asyncio.Event()
        self._holds.append((method, when, release))
        return release

    def to(self, method: str, **match: Any) -> list[dict[str, Any]]:
        """Arguments of the successful calls of a method whose arguments include ``match``."""
        return [c.args for c in self.calls if c.method == method and c.status == 200
                and all(c.args.get(k) == v for k, v in match.items())]

    def files(self, channel: str | None = None) -> list[Upload]:
        """Files shared (upload completed), in the order they were shared; in ``channel`` only
        when given."""
        shared = [u for u in self.uploads.values() if u.channel_id is not None]
        return [u for u in shared if channel is None or u.channel_id == channel]

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        await self._sockets[-1].send_str(json.dumps(envelope))

    # --- server -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
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
        for key in ("blocks", "metadata", "view", "files"):
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
            if failure.carried_out:
                self._answer(method, args)
            if failure.drop and request.transport is not None:
                call.status = 0
                request.transport.close()
                return web.Response(status=500)  # never reaches the client
            call.status = failure.status if failure.status != 200 else 299  # 299: answered with an error
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream trouble", content_type="text/plain")
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            error = failure.error or ("ratelimited" if failure.status == 429 else "fatal_error")
            return web.json_response({"ok": False, "error": error}, status=failure.status, headers=headers)
        if not (call.authorization or "").startswith(("Bearer xoxb-", "Bearer xapp-")):
            call.status = 299
            return web.json_response({"ok": False, "error": "not_authed"})
        answer = self._answer(method, args)
        headers = {"X-OAuth-Scopes": ",".join(self.scopes)} if self.scopes is not None else {}
        hold = next((h for h in self._holds if h[0] == method
                     and all(args.get(k) == v for k, v in h[1].items())), None)
        if hold is not None:
            self._holds.remove(hold)
            self.held.append(call)
            await hold[2].wait()
        return web.json_response(answer, headers=headers)

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
        ts = f"{int(self.now())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "webnaccs",
                    "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False}
        if method == "users.info":
            user = args.get("user", "")
            profile = self.users.get(user)
            if profile is None:
                return {"ok": False, "error": "user_not_found"}
            with_locale = str(args.get("include_locale", "")).lower() in ("1", "true")
            return {"ok": True, "user": {"id": user, "real_name": profile.real_name, "profile": {
                "real_name": profile.real_name, **({"email": profile.email} if profile.email else {})},
                **({"locale": profile.locale} if with_locale and profile.locale else {})}}
        if method in ("chat.postMessage", "chat.update"):
            channel = dm_of(str(args.get("channel", "")))
            if method == "chat.postMessage":
                self._keep(channel, {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": ts,
                                     "text": args.get("text"),
                                     **({"thread_ts": str(args["thread_ts"])} if args.get("thread_ts") else {}),
                                     **({"metadata": args["metadata"]} if args.get("metadata") else {})})
            return {"ok": True, "channel": channel, "ts": args.get("ts") or ts,
                    "message": {"text": args.get("text"), "ts": ts}}
        if method == "conversations.open":
            users = str(args.get("users") or "")
            if not users or "," in users:
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "channel": {"id": dm_of(users)}}
        if method in ("conversations.history", "conversations.replies"):
            return self._history(args, thread=str(args.get("ts") or "") if method == "conversations.replies" else None)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(args.get("view") or {})}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "files.getUploadURLExternal":
            return self._upload_url(args)
        if method == "files.completeUploadExternal":
            return self._complete(args)
        return {"ok": True}

    def _keep(self, channel: str, message: dict[str, Any]) -> None:
        self.history.setdefault(channel, []).append(message)

    def _history(self, args: dict[str, Any], *, thread: str | None = None) -> dict[str, Any]:
        """conversations.history (replies in threads left out, as Slack does), or with ``thread``
        conversations.replies (that thread's replies; newest first here too, enough for us)."""
        channel = str(args.get("channel") or "")
        if not CHANNEL_ID.match(channel):
            return {"ok": False, "error": "channel_not_found"}
        inclusive = str(args.get("inclusive")).lower() in ("1", "true")
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 1e12)
        metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        found = [m for m in reversed(self.history.get(channel, []))
                 if (m.get("thread_ts") == thread if thread else m.get("thread_ts") in (None, m["ts"]))
                 and (oldest <= float(m["ts"]) if inclusive else oldest < float(m["ts"]))
                 and (float(m["ts"]) <= latest if inclusive else float(m["ts"]) < latest)]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = [m if metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in found[start:start + limit]]
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(args.get("length") or 0)
        except ValueError:
            length = 0
        if not args.get("filename") or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        self.uploads[file_id] = Upload(file_id, str(args["filename"]), length)
        return {"ok": True, "file_id": file_id, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}"}

    def _complete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel_id") or "")
        if not CHANNEL_ID.match(channel):
            return {"ok": False, "error": "invalid_arguments"}
        files = args.get("files") if isinstance(args.get("files"), list) else []
        uploads = [self.uploads.get(str(f.get("id"))) for f in files]
        if not uploads or any(u is None or u.data is None or len(u.data) != u.length or u.channel_id is not None
                               for u in uploads):
            return {"ok": False, "error": "file_not_found"}
        shared = []
        for upload, spec in zip(uploads, files, strict=True):
            assert upload is not None
            upload.title, upload.channel_id = spec.get("title") or upload.filename, channel
            shared.append({"id": upload.file_id, "name": upload.filename, "title": upload.title,
                           "size": upload.length, "channels": [channel]})
        self._keep(channel, {"type": "message", "subtype": "file_share", "user": "UBOT", "bot_id": "BBOT",
                             "ts": f"{int(self.now())}.{next(self._ts):06d}", "text": "",
                             "files": [{k: f[k] for k in ("id", "name", "title")} for f in shared]})
        return {"ok": True, "files": shared}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: the file's bytes, in the request body."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        call = Call("upload", {"file_id": file_id, "bytes": len(data)}, request.headers.get("Authorization"))
        self.calls.append(call)
        failure = self._next_failure("upload", call.args)
        if failure is not None:
            call.status = failure.status
            return web.Response(status=failure.status, text="upload failed", content_type="text/plain")
        upload = self.uploads.get(file_id)
        if upload is None or upload.channel_id is not None:
            call.status = 404
            return web.Response(status=404, text="not found", content_type="text/plain")
        upload.data = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

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

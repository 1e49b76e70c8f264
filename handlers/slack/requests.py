"""Requests to ``/slack/events``, checked before anything in them is parsed.

Order: size (413), then Slack's signature over the raw bytes and its timestamp (401), then the
body's shape (400). Only a signed, well-formed request reaches Bolt. A refusal is one short
warning — the reason and the peer, never the body or a header — and at most ``REFUSALS``'s
limit of them a minute, so unsigned traffic costs neither log space nor a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import fastjsonschema
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from handlers.logs import RateLimitedLog

log = logging.getLogger("webnaccs.slack.requests")
MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; a message is at most 40,000 characters
MAX_AGE = 5 * 60  # seconds between Slack's timestamp and now, either way (Slack's own rule)
REFUSALS = RateLimitedLog(log, per_minute=10)
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}", re.ASCII)
# What Bolt's request internals and our listeners index into, with the type they assume there
# (slack_bolt.request.internals, handlers/slack/applicants.py, reviewers.py). Anything else
# may be present and is not looked at.
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_ID_OBJECT = {"type": "object", "properties": {"id": _STR}, "required": ["id"]}
_OBJECTS = {"type": "array", "items": {"type": "object"}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{key: _STR for key in ("type", "event_id", "team_id", "api_app_id", "token", "trigger_id",
                                 "response_url", "enterprise_id", "user_id", "channel_id", "command",
                                 "text", "callback_id", "action_id", "block_id", "value", "action_ts",
                                 "message_ts", "hash", "event_context")},
        "is_enterprise_install": {"type": ["boolean", "string"]},
        "event": {"type": "object", "properties": {
            **{key: _STR for key in ("type", "subtype", "text", "ts", "thread_ts", "event_ts", "channel_type",
                                     "bot_id", "tab", "function_execution_id", "bot_access_token")},
            "user": {"anyOf": [_STR, _ID_OBJECT]}, "channel": {"anyOf": [_STR, _ID_OBJECT]},
            "team": _STR_OR_NULL, "user_team": _STR_OR_NULL,
            "message": {"type": "object"}, "previous_message": {"type": "object"},
            "item": {"type": "object"}, "files": _OBJECTS, "blocks": _OBJECTS,
            "inputs": {"type": "object"}, "view": {"type": "object"}}},
        "authorizations": _OBJECTS,
        "team": {"anyOf": [{"type": ["string", "null"]}, _ID_OBJECT]},
        "enterprise": {"anyOf": [{"type": ["string", "null"]}, _ID_OBJECT]},
        "user": _ID_OBJECT,
        "channel": {"anyOf": [{"type": "null"}, _ID_OBJECT]},
        "container": {"type": "object"},
        "message": {"type": "object"},
        "state": {"type": "object"},
        "actions": {"type": "array", "minItems": 1, "items": {
            "type": "object", "properties": {key: _STR for key in ("action_id", "block_id", "value", "type")}}},
        "view": {"type": "object", "properties": {
            **{key: _STR for key in ("id", "type", "callback_id", "private_metadata", "hash")},
            "team_id": _STR_OR_NULL, "state": {"type": "object", "properties": {"values": {"type": "object"}}}}},
        "response_urls": {"type": "array", "items": {
            "type": "object", "properties": {"response_url": _STR}, "required": ["response_url"]}},
        "function_data": {"type": "object"},
    },
}
# Compiled to Python once (fastjsonschema): about 9 µs per request where jsonschema's
# interpreting validator took 240 µs, on every signed request (issue 10: CPU per turn).
_VALIDATE = fastjsonschema.compile(SCHEMA)

@dataclass(frozen=True)
class Signed:
    """A request Slack signed, with its parsed body."""

    body: str
    data: dict[str, Any]
    request: web.Request

    @property
    def is_event_callback(self) -> bool:
        return self.data.get("type") == "event_callback"


def refuse(request: web.Request, status: int, reason: str) -> web.Response:
    REFUSALS.warning("Slack: refused a request to %s from %s with %d: %s",
                     request.path, request.remote or "?", status, reason)
    return web.json_response({"error": reason}, status=status)


async def check(request: web.Request, verifier: SignatureVerifier | None) -> Signed | web.Response:
    """The signed request, or the response that refuses it."""
    if verifier is None:
        return refuse(request, 401, "no signing secret is configured")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return refuse(request, 413, f"body over {MAX_BODY} bytes")
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        return refuse(request, 401, "no valid timestamp")
    if not _SIGNATURE.fullmatch(signature):
        return refuse(request, 401, "no valid signature")
    if abs(verifier.clock.now() - int(timestamp)) > MAX_AGE:
        return refuse(request, 401, "timestamp more than five minutes away")
    raw = await _read(request)
    if raw is None:
        return refuse(request, 413, f"body over {MAX_BODY} bytes")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        # slack_sdk's verifier decodes the body first (and raises): the same HMAC over the bytes
        signed = _sign(verifier.signing_secret, timestamp, raw)
        return refuse(request, *((400, "body is not UTF-8") if hmac.compare_digest(signed, signature)
                                 else (401, "bad signature")))
    if not verifier.is_valid(body, timestamp, signature):
        return refuse(request, 401, "bad signature")
    data = parse(body, request.content_type)
    if isinstance(data, str):
        return refuse(request, 400, data)
    return Signed(body, data, request)


def _sign(secret: str, timestamp: str, raw: bytes) -> str:
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return "v0=" + digest.hexdigest()


async def _read(request: web.Request) -> bytes | None:
    """The body (aiohttp keeps it for Bolt's ``request.text()``), or None when it is over
    ``MAX_BODY`` or the app's ``client_max_size``: aiohttp stops reading at that size."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return None
    return None if len(raw) > MAX_BODY else raw


def parse(body: str, content_type: str) -> dict[str, Any] | str:
    """The body as Bolt will read it (slack_bolt.request.internals.parse_body), or what is
    wrong with it. Bolt indexes into what it parsed without checking types; here they are."""
    try:
        if content_type == "application/json" or body.startswith("{"):
            data: Any = json.loads(body)
        elif "payload" in body:
            payload = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
            data = {} if payload is None else json.loads(payload)
        else:
            data = dict(parse_qsl(body, keep_blank_values=True))
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return "body is not valid JSON or form data"
    if not isinstance(data, dict):
        return "body is not a JSON object"
    try:
        _VALIDATE(data)
    except fastjsonschema.JsonSchemaValueException as e:  # where and which rule, never the value
        return f"${(e.name or 'data').removeprefix('data')} fails {e.rule}"
    return data

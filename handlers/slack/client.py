"""The Slack Web API client, and what its failures mean for the outbox.

Two clients share the settings: the one Bolt uses for interactive calls (views.open, users.info,
views.publish …) retries connection errors, rate limits and a 500/503 in place (a person who
clicked is waiting, and a trigger id lives only 3 s); the one the outbox senders use reports
them instead, so the dispatcher keeps the message and tries again after the
server's Retry-After — durable across a restart, and never posted twice (after a failure that
may have posted it, the next attempt looks for it first: ``handlers.slack.history``).
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from handlers.outbox import Permanent, Retry

SLACK_API = "https://slack.com/api/"
TRANSIENT = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error",
                       "service_unavailable", "request_timeout"})
# Retrying cannot help until the operator fixes the app, and then the message should still go.
NEEDS_OPERATOR = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                            "token_expired", "missing_scope", "no_permission"})
OPERATOR_DELAY = 300.0
# Slack's own words: "it's possible some aspect of the operation succeeded" — the post may be there.
UNSURE = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
SERVER_ERROR_PAUSE = BackoffRetryIntervalCalculator(backoff_factor=0.25)  # 0.25 s + up to 1 s of jitter


def quiet_logger(name: str) -> logging.Logger:
    """A logger for the Slack libraries that never goes below INFO. At DEBUG they write whole
    payloads — the Web API client every request and response body, Bolt every skipped self
    event, the Socket Mode client every envelope — and the ID通知 DM with its codes is among
    them (SPEC §6: never in a log). Bolt's middlewares copy their level from the app's logger."""
    logger = logging.getLogger(name)
    logger.setLevel(max(logger.level, logging.INFO))
    return logger


def base_url(config: Config) -> str:
    return (config.slack_api_url or SLACK_API).rstrip("/") + "/"


def web_client(config: Config, *, retry_in_place: bool) -> AsyncWebClient:
    # Not the outbox's: a connection lost after the request went out may have posted it, and
    # an in-place retry would post it again; the dispatcher's retry looks first (MAYBE_SENT).
    handlers: list[AsyncRetryHandler] = []
    if retry_in_place:
        handlers += [AsyncConnectionErrorRetryHandler(max_retry_count=2),
                     AsyncRateLimitErrorRetryHandler(max_retry_count=2),
                     # once, soon: a views.open must land within its trigger id's 3 s
                     AsyncServerErrorRetryHandler(max_retry_count=1, interval_calculator=SERVER_ERROR_PAUSE)]
    return AsyncWebClient(token=config.slack_bot_token, base_url=base_url(config),
                          retry_handlers=handlers, timeout=30, logger=quiet_logger("webnaccs.slack.api"))


def error_code(e: SlackApiError) -> str:
    data = getattr(e.response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def failure(e: BaseException) -> Exception:
    """What a failed call means for the outbox: ``Retry`` (when), or ``Permanent``."""
    if isinstance(e, SlackApiError):
        status = getattr(e.response, "status_code", 0) or 0
        code = error_code(e) or f"http_{status}"
        if status == 429 or code in ("ratelimited", "rate_limited"):
            return Retry(code, after=_retry_after(e))
        if status >= 500 or code in TRANSIENT:
            return Retry(code, maybe_sent=status >= 500 or code in UNSURE)
        if code in NEEDS_OPERATOR:
            return Retry(code, after=OPERATOR_DELAY)
        return Permanent(code)
    if isinstance(e, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError | OSError):
        return Retry(type(e).__name__, maybe_sent=True)  # the request may have reached Slack
    return Permanent(f"{type(e).__name__}: {e}")


def _retry_after(e: SlackApiError) -> float:
    headers = getattr(e.response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("Retry-After") or headers.get("retry-after") or 30))
    except (TypeError, ValueError):
        return 30.0

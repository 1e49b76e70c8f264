"""The checks that ask another server: Slack (``auth.test``, ``conversations.info``) and the
outgoing mail relay (connect, EHLO, STARTTLS, login — then QUIT: no mail is sent)."""

from __future__ import annotations

import re

import aiohttp
import aiosmtplib
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from handlers.doctor.checks import Check, fail, ok, skip, warn
from handlers.doctor.local import reason_of
from handlers.email.outbound import certificate_error, client_context, parse_relay, quit_quietly
from handlers.slack.client import base_url, error_code, quiet_logger

SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")  # what Slack's app settings show
# The bot scopes of manifest.json: DMs, the review card, files, profiles, and the histories the
# outbox reads before it posts a message a kill may have posted already (README "Each message once").
SCOPES = ("channels:history", "chat:write", "commands", "files:write", "groups:history", "im:history",
          "im:write", "users:read", "users:read.email")


async def slack(config: Config, *, timeout: float) -> list[Check]:
    if not (config.slack_bot_token or config.slack_signing_secret or config.slack_app_token):
        return [skip("slack_off")]
    checks = _token_shapes(config)
    if any(c.status == "fail" for c in checks):
        return checks
    client = AsyncWebClient(token=config.slack_bot_token, base_url=base_url(config), timeout=int(timeout),
                            logger=quiet_logger("webnaccs.doctor.slack"))
    try:
        auth = await client.auth_test()
    except SlackApiError as e:
        return [*checks, fail("slack_auth_failed", error=error_code(e) or str(e))]
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        return [*checks, fail("slack_unreachable", url=base_url(config), error=reason_of(e))]
    checks.append(ok("slack_auth_ok", team=auth.get("team"), user=auth.get("user")))
    checks += _scopes({str(k).lower(): str(v) for k, v in (auth.headers or {}).items()})
    return [*checks, *await _review_channel(client, config)]


def _scopes(headers: dict[str, str]) -> list[Check]:
    """What the token lacks of the manifest's scopes (Slack names a token's scopes in the
    ``X-OAuth-Scopes`` header of every answer); nothing when the header is not there."""
    granted = headers.get("x-oauth-scopes")
    if granted is None:
        return []
    missing = [scope for scope in SCOPES if scope not in {g.strip() for g in granted.split(",")}]
    return [warn("slack_scopes_missing", scopes=", ".join(missing))] if missing else [ok("slack_scopes_ok")]


def _token_shapes(config: Config) -> list[Check]:
    checks: list[Check] = []
    if not config.slack_bot_token:
        checks.append(fail("slack_no_bot_token"))
    elif not config.slack_bot_token.startswith("xoxb-"):
        checks.append(fail("slack_token_shape", name="SLACK_BOT_TOKEN", prefix="xoxb-"))
    if config.slack_app_token and not config.slack_app_token.startswith("xapp-"):
        checks.append(fail("slack_token_shape", name="SLACK_APP_TOKEN", prefix="xapp-"))
    if not (config.slack_signing_secret or config.slack_app_token):
        checks.append(fail("slack_no_transport"))
    elif config.slack_signing_secret and not SIGNING_SECRET.fullmatch(config.slack_signing_secret):
        checks.append(warn("slack_signing_shape"))
    return checks


async def _review_channel(client: AsyncWebClient, config: Config) -> list[Check]:
    channel = config.review_channel
    if not channel:
        return [warn("review_channel_unset")]
    reviewers = [] if config.reviewers else [warn("reviewers_unset")]
    try:
        info = await client.conversations_info(channel=channel)
    except SlackApiError as e:
        return [fail("review_channel_error", channel=channel, error=error_code(e) or str(e)), *reviewers]
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        return [fail("review_channel_error", channel=channel, error=reason_of(e)), *reviewers]
    found = info.get("channel") or {}
    name = found.get("name") or channel
    if not found.get("is_member"):
        return [fail("review_channel_not_member", channel=channel, name=name), *reviewers]
    return [ok("review_channel_ok", channel=channel, name=name), *reviewers]


async def relay(config: Config, *, timeout: float) -> list[Check]:
    if not config.smtp_relay:
        return [warn("relay_off", mail_dir=str((config.data_dir / "mail").resolve()))]
    try:
        host, port = parse_relay(config.smtp_relay)
        context = client_context(config.smtp_ca_file) if config.smtp_tls != "none" else None
    except ValueError as e:
        return [fail("relay_bad", error=str(e))]
    where = {"host": host, "port": port}
    mode = config.smtp_tls
    client = aiosmtplib.SMTP(hostname=host, port=port, timeout=timeout, use_tls=mode == "tls",
                             start_tls=False, tls_context=context,
                             local_hostname=config.mail_address.rpartition("@")[2] or "localhost")
    try:
        await client.connect()
        checks = await _secure(client, mode, bool(config.smtp_user), where)
        if any(c.status == "fail" for c in checks):
            return checks
        if config.smtp_user:
            await client.login(config.smtp_user, config.smtp_password or "")
        tls = _tls_used(client, mode)
        await quit_quietly(client)
    except aiosmtplib.SMTPAuthenticationError as e:
        return [fail("relay_login_failed", **where, error=f"{e.code} {e.message}")]
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as e:
        untrusted = certificate_error(e)
        if untrusted is not None:
            return [fail("relay_untrusted", **where, error=untrusted.verify_message or str(untrusted))]
        return [fail("relay_unreachable", **where, error=reason_of(e))]
    finally:
        client.close()
    return [*checks, ok("relay_ok", **where, tls=tls, login=bool(config.smtp_user))]


async def _secure(client: aiosmtplib.SMTP, mode: str | None, login: bool, where: dict[str, object]) -> list[Check]:
    """STARTTLS as ``handlers.email.outbound.MailSender`` would use it."""
    if mode in ("tls", "none"):
        return [warn("relay_plain", **where, chosen=True)] if mode == "none" else []
    await client.ehlo()
    if client.supports_extension("starttls"):
        await client.starttls()
        return []
    if mode == "starttls":
        return [fail("relay_no_starttls_required", **where)]
    if login:
        return [fail("relay_no_starttls_login", **where)]
    return [warn("relay_plain", **where, chosen=False)]


def _tls_used(client: aiosmtplib.SMTP, mode: str | None) -> str:
    transport = client.transport
    if transport is not None and transport.get_extra_info("sslcontext") is not None:
        return "tls" if mode == "tls" else "starttls"
    return "none"


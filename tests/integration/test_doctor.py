"""``webnaccs-bot doctor`` against loopback servers (issue 13 item 10): Slack's Web API mock,
a TLS relay with its own CA, and a web server for the public URL; and the data directory on
disk, which it reads and never changes."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.smtp import AuthResult

from bot.config import Config
from handlers import bootstrap
from tests.email import test_relay_tls as tls
from tests.integration.cli_helpers import invoke, make_env
from tests.slack.mock_slack import MockSlack

pki = tls.pki  # the relay's CA and certificate, and the relay itself (aiosmtpd on loopback)
relay = tls.relay
BOT_TOKEN, SIGNING = "xoxb-doctor-test-token", "0123456789abcdef0123456789abcdef"


@dataclass
class Slack(MockSlack):
    """The Web API mock, with the channels the bot is a member of."""

    joined: set[str] = field(default_factory=set)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.info":
            channel = str(args.get("channel"))
            return {"ok": True, "channel": {"id": channel, "name": "webnaccs-review",
                                            "is_member": channel in self.joined}}
        return super()._answer(method, args)


@pytest.fixture
async def slack() -> AsyncIterator[Slack]:
    mock = Slack()
    await mock.start()
    yield mock
    await mock.stop()


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A web server answering /healthz like the service (the public URL's target)."""
    app = web.Application()

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def a_data_dir(env: dict[str, str]) -> Path:
    bot = bootstrap.build(Config.from_env(env))  # what serve lays out: 0700, files 0600, a key
    bot.store.close()
    return Path(env["WEBNACCS_DATA_DIR"])


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mode for p in [root, *root.rglob("*")]}


async def doctor(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    result = await asyncio.to_thread(invoke, ["doctor", "--timeout", "5", *args], env)
    return result.exit_code, result.stdout.splitlines()


def line(lines: list[str], words: str) -> str:
    return next(x for x in lines if words in x)


async def test_a_fresh_local_setup_passes_with_warnings_and_nothing_changes(tmp_path):
    env = make_env(tmp_path)
    root = a_data_dir(env)
    before = tree(root)
    code, lines = await doctor(env)
    assert code == 0, lines
    assert line(lines, "データディレクトリ").startswith("✓") and "0700" in line(lines, "データディレクトリ")
    assert line(lines, "鍵：").startswith("✓")
    assert line(lines, "スケジュール").startswith("⚠") and "12か月" in line(lines, "スケジュール")
    assert line(lines, "Slack").startswith("-")
    assert line(lines, "送信メール").startswith("⚠") and str(root / "mail") in line(lines, "送信メール")
    assert line(lines, "WEBNACCS_PUBLIC_URL").startswith("⚠")
    assert all(x[0] in "✓⚠✗-" for x in lines[:-1]) and lines[-1].startswith("問題はありません")
    assert tree(root) == before


async def test_files_open_to_others_fail_and_are_left_as_they_are(tmp_path):
    env = make_env(tmp_path)
    root = a_data_dir(env)
    os.chmod(root / "secret.key", 0o644)
    os.chmod(root, 0o755)
    before = tree(root)
    code, lines = await doctor(env, "--lang", "en")
    assert code == 1
    assert line(lines, "has mode 0755").startswith("✗")
    assert "secret.key" in line(lines, "open to others") and "0644" in line(lines, "open to others")
    assert lines[-1].startswith("2 problem(s)")
    assert tree(root) == before  # reported, not repaired


async def test_a_missing_data_directory_is_a_warning_and_is_not_made(tmp_path):
    env = make_env(tmp_path)
    code, lines = await doctor(env)
    assert code == 0 and line(lines, "まだありません").startswith("⚠")
    assert not Path(env["WEBNACCS_DATA_DIR"]).exists()


async def test_applications_without_their_key_fail(tmp_path):
    env = make_env(tmp_path)
    root = a_data_dir(env)
    (root / "secret.key").unlink()
    code, lines = await doctor(env)
    assert code == 1 and "復号できません" in line(lines, "鍵")


def slack_env(tmp_path: Path, slack: Slack, site: str) -> dict[str, str]:
    """A data dir and a Slack set up in full: tokens, review channel (the bot in it), reviewers."""
    env = {**make_env(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING,
           "SLACK_API_URL": slack.url, "WEBNACCS_REVIEW_CHANNEL": "CREVIEW", "WEBNACCS_REVIEWERS": "UREV1",
           "WEBNACCS_PUBLIC_URL": site}
    a_data_dir(env)
    slack.joined.add("CREVIEW")
    return env


async def test_slack_token_channel_and_membership(tmp_path, slack, site):
    env = slack_env(tmp_path, slack, site)
    code, lines = await doctor(env)
    assert code == 0, lines
    assert line(lines, "Slack：").startswith("✓") and "webnaccs" in line(lines, "Slack：")
    assert line(lines, "審査チャンネル").startswith("✓") and "#webnaccs-review" in line(lines, "審査チャンネル")
    assert line(lines, "公開URL").startswith("✓")
    assert slack.to("conversations.info", channel="CREVIEW")

    slack.joined.clear()
    code, lines = await doctor(env)
    assert code == 1 and line(lines, "審査チャンネル").startswith("✗") and "/invite" in line(lines, "審査チャンネル")

    slack.fail("conversations.info", error="channel_not_found")
    code, lines = await doctor(env)
    assert code == 1 and "channel_not_found" in line(lines, "審査チャンネル")

    slack.fail("auth.test", error="invalid_auth")
    code, lines = await doctor(env)
    assert code == 1 and line(lines, "Slack：").startswith("✗") and "invalid_auth" in line(lines, "Slack：")


async def test_a_token_without_the_manifests_scopes_is_a_warning_naming_them(tmp_path, slack, site):
    from handlers.doctor.remote import SCOPES

    manifest = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])  # the doctor's copy
    env = slack_env(tmp_path, slack, site)
    slack.scopes = [s for s in SCOPES if not s.endswith(":history")]  # installed before the lookup
    code, lines = await doctor(env)
    warning = line(lines, "権限")
    assert code == 0 and warning.startswith("⚠"), lines
    assert "channels:history, groups:history, im:history" in warning and "chat:write" not in warning

    slack.scopes = list(SCOPES)
    code, lines = await doctor(env)
    assert code == 0 and line(lines, "権限").startswith("✓")


async def test_slack_tokens_of_the_wrong_shape_fail_before_any_call(tmp_path, slack):
    env = {**make_env(tmp_path), "SLACK_BOT_TOKEN": "xoxp-a-user-token", "SLACK_APP_TOKEN": "xoxb-not-an-app-token",
           "SLACK_API_URL": slack.url}
    code, lines = await doctor(env, "--lang", "en")
    assert code == 1
    assert "SLACK_BOT_TOKEN" in line(lines, "xoxb-") and "SLACK_APP_TOKEN" in line(lines, "xapp-")
    assert slack.calls == []


async def test_slack_unreachable_fails_with_the_reason(tmp_path):
    env = {**make_env(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING,
           "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    code, lines = await doctor(env)
    assert code == 1 and line(lines, "Slack：").startswith("✗")


async def test_the_relay_starttls_certificate_and_login(tmp_path, relay, pki, monkeypatch):
    login = tls.TlsSink.authenticate

    def answering(self: tls.TlsSink, *args: Any) -> AuthResult:  # the sink's refusal goes unanswered
        return AuthResult(success=login(self, *args).success, handled=False)

    monkeypatch.setattr(tls.TlsSink, "authenticate", answering)
    address, sink = await relay(starttls=True)
    env = {**make_env(tmp_path), "WEBNACCS_SMTP_RELAY": address, "WEBNACCS_SMTP_CA_FILE": str(pki.ca_file),
           "WEBNACCS_SMTP_USER": tls.USER, "WEBNACCS_SMTP_PASSWORD": tls.PASSWORD}
    code, lines = await doctor(env)
    assert code == 0, lines
    assert line(lines, "送信メール").startswith("✓")
    assert "STARTTLS、証明書確認済み、ログイン成功" in line(lines, "送信メール")
    assert sink.logins == [(tls.USER, tls.PASSWORD, True)] and sink.received == []  # nothing sent

    code, lines = await doctor({**env, "WEBNACCS_SMTP_PASSWORD": "wrong"})
    assert code == 1 and "ログインに失敗" in line(lines, "送信メール")

    untrusted = {k: v for k, v in env.items() if k != "WEBNACCS_SMTP_CA_FILE"}
    code, lines = await doctor(untrusted)
    assert code == 1 and "WEBNACCS_SMTP_CA_FILE" in line(lines, "送信メール")


async def test_a_relay_without_starttls(tmp_path, relay):
    address, _ = await relay(auth_require_tls=False)
    env = {**make_env(tmp_path), "WEBNACCS_SMTP_RELAY": address}
    code, lines = await doctor(env)
    assert code == 0 and line(lines, "送信メール").startswith("⚠") and "暗号化されません" in line(lines, "送信メール")
    code, lines = await doctor({**env, "WEBNACCS_SMTP_USER": tls.USER, "WEBNACCS_SMTP_PASSWORD": tls.PASSWORD})
    assert code == 1 and "平文" in line(lines, "送信メール")
    code, lines = await doctor({**env, "WEBNACCS_SMTP_TLS": "starttls"})
    assert code == 1 and "WEBNACCS_SMTP_TLS=starttls" in line(lines, "送信メール")


async def test_a_relay_that_is_not_there(tmp_path):
    env = {**make_env(tmp_path), "WEBNACCS_SMTP_RELAY": "127.0.0.1:9"}
    code, lines = await doctor(env)
    assert code == 1 and line(lines, "送信メール").startswith("✗") and "127.0.0.1:9" in line(lines, "送信メール")


async def test_the_public_url(tmp_path, site):
    env = {**make_env(tmp_path), "WEBNACCS_PUBLIC_URL": site + "/"}
    code, lines = await doctor(env, "--lang", "en")
    assert line(lines, "public URL").startswith("✓")
    code, lines = await doctor({**env, "WEBNACCS_PUBLIC_URL": "http://127.0.0.1:9"}, "--lang", "en")
    assert line(lines, "cannot be reached").startswith("⚠") and code == 0
    code, lines = await doctor({**env, "WEBNACCS_PUBLIC_URL": "ftp://example.jp"}, "--lang", "en")
    assert code == 1 and line(lines, "not an http").startswith("✗")
    code, lines = await doctor({**env, "WEBNACCS_PUBLIC_URL": "http://webnaccs.example.invalid"}, "--lang", "en")
    assert line(lines, "plain http").startswith("⚠")

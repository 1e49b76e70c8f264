"""Bolt's warning at every start ("As you gave client as well, token will be unused") is gone
when SLACK_BOT_TOKEN is in the environment, as it is under systemd (issue 13 item 7); its other
warnings still come through."""

from __future__ import annotations

import logging

from bot.config import Config
from handlers import bootstrap

TOKEN = "xoxb-quiet-start-test"


def test_no_token_warning_at_start_and_other_warnings_kept(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)  # Bolt reads it itself, besides our client
    config = Config(data_dir=tmp_path / "data", secret="s", slack_bot_token=TOKEN,
                    slack_signing_secret="0123456789abcdef0123456789abcdef")
    bot = bootstrap.build(config)
    with caplog.at_level(logging.INFO):
        channel = bootstrap.slack_channel(bot)
        channel.app.logger.warning("another warning")
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "token" in m and "unused" in m], said
    assert "another warning" in said
    bot.store.close()

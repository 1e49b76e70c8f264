"""The operator's command line run beside a service under test, on its data (or database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from handlers.bootstrap import Bot

ROOT = Path(__file__).resolve().parents[1]


def cli(bot: Bot, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m handlers ARGS`` on ``bot``'s data directory, database and secret."""
    config = bot.config
    env = {**os.environ, "WEBNACCS_DATA_DIR": str(config.data_dir), "WEBNACCS_SECRET": config.secret or "",
           "WEBNACCS_LANG": "ja", "WEBNACCS_DATABASE_URL": config.database_url or ""}
    return subprocess.run([sys.executable, "-m", "handlers", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def listed(bot: Bot) -> list[dict[str, Any]]:
    """``applications list --json``, oldest first."""
    result = cli(bot, "applications", "list", "--json")
    assert result.returncode == 0, result.stderr
    return list(reversed(json.loads(result.stdout)))

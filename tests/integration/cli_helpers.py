"""Shared by the operator CLI tests: a data directory with filed applications, on today's dates."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from bot.config import Config
from bot.dates import JST
from bot.service import Person
from handlers import bootstrap
from handlers.cli import main

ANSWERS = ["損害保険会社", "ＡＢＣ損害保険株式会社", "本店", "abc12", "３台", "1", "1",
           "WebNACCSを利用するため端末を追加します。", "山田 太郎", "業務部", "taro@example.co.jp",
           "03-1234-5678", "鈴木 花子", "hanako@example.co.jp", "2", "なし"]
# The same with a new user code (the name tab: kanji, kana, English).
WITH_USER_CODE = [*ANSWERS[:5], "1,2", *ANSWERS[6:14], "ＡＢＣ損害保険", "えーびーしー", "ABC Fire", "2", "なし"]


def today_jst() -> date:
    return datetime.now(JST).date()


def first_date() -> date:
    """The first registration date of the test schedule (what answer "1" picks)."""
    return today_jst() + timedelta(days=20)


def make_env(tmp_path: Path) -> dict[str, str]:
    """A data dir and a schedule whose dates are open whatever day the tests run."""
    start = today_jst()
    rows = [f"{start + timedelta(days=d)}, {start + timedelta(days=d - 10)}" for d in (20, 35, 50, 65)]
    schedule = tmp_path / "schedule.txt"
    schedule.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBNACCS_", "SLACK_"))}
    return {**env, "WEBNACCS_DATA_DIR": str(tmp_path / "data"), "WEBNACCS_SCHEDULE": str(schedule),
            "WEBNACCS_LANG": "ja"}


def file_application(env: dict[str, str], answers: list[str] = ANSWERS, who: str = "t") -> str:
    """An application filed through the core (as `chat` would); returns its acceptance number."""
    bot = bootstrap.build(Config.from_env(env))
    person = Person(key=f"console:{who}", channel="console")
    try:
        bot.service.start(person)
        for text in [*answers, "登録"]:
            outcome = bot.service.handle(person, text)
        assert outcome.acceptance_number, "the application was not filed"
        return outcome.acceptance_number
    finally:
        bot.store.close()


def invoke(args: list[str], env: dict[str, str], cwd: Path | None = None) -> Result:
    """The command in this process, with exactly ``env`` as its environment."""
    runner = CliRunner()
    unset = {k: None for k in os.environ if k not in env}
    if cwd is None:
        return runner.invoke(main, args, env={**unset, **env}, catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, args, env={**unset, **env}, catch_exceptions=False)
    finally:
        os.chdir(old)

"""The terminal chat as a person meets it (`python -m handlers chat`, piped): coming back after
filing, and withdrawing."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.test_cli import ANSWERS, run, today_jst


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """As in test_cli: a data dir, and registration dates 20, 35, 50 and 65 days from today."""
    start = today_jst()
    rows = [f"{start + timedelta(days=d)}, {start + timedelta(days=d - 10)}" for d in (20, 35, 50, 65)]
    schedule = tmp_path / "schedule.txt"
    schedule.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {**os.environ, "WEBNACCS_DATA_DIR": str(tmp_path / "data"),
            "WEBNACCS_SCHEDULE": str(schedule), "WEBNACCS_LANG": "ja"}


def filed(env: dict[str, str]) -> str:
    result = run(["chat"], env, "\n".join([*ANSWERS, "登録"]) + "\n")
    assert result.returncode == 0, result.stderr
    return re.findall(r"申込受付番号：(\d{6}A)", result.stdout)[0]


def listed_states(env: dict[str, str]) -> list[str]:
    listed = run(["applications", "list"], env).stdout
    return re.findall(r"\b(draft|under_review|withdrawn|closed)\b", listed)


def test_coming_back_after_filing_shows_the_application_and_stores_nothing(env):
    number = filed(env)
    again = run(["chat"], env, "状況\n")
    assert again.returncode == 0, again.stderr
    assert f"申込受付番号 {number}" in again.stdout and "内容確認中" in again.stdout
    assert "【1/" not in again.stdout and "「新規」" in again.stdout  # a new one only on request
    assert listed_states(env) == ["under_review"]  # no empty draft
    started = run(["chat"], env, "新規\n")
    assert "【1/16】" in started.stdout
    assert listed_states(env) == ["under_review"]  # the question was shown, nothing stored
    answered = run(["chat"], env, "新規\n損害保険会社\n")
    assert "【2/16】" in answered.stdout
    assert sorted(listed_states(env)) == ["draft", "under_review"]  # stored with its first answer
    resumed = run(["chat"], env, "")
    assert "続きから" in resumed.stdout and "【2/16】" in resumed.stdout


def test_withdrawing_in_the_chat_is_confirmed_before_the_chat_ends(env):
    number = filed(env)
    result = run(["chat"], env, "承認通知\n取下げ\nはい\nもう読まれない行\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "まだ承認されていない" in out  # 承認通知 before approval: told why, the chat goes on
    assert f"申込受付番号 {number} の申込を取り下げてよろしいですか" in out
    assert "取り下げました" in out
    assert listed_states(env) == ["withdrawn"]

"""The terminal chat as a person meets it (`python -m handlers chat`, piped): coming back after
filing, withdrawing, the industry gate, the progress counter and the dates offered."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.cli_helpers import make_env, today_jst
from tests.integration.test_cli import ANSWERS, run

WITH_USER_CODE = [*ANSWERS[:5], "1,2", *ANSWERS[6:14], "ＡＢＣ損害保険", "えーびーしー", "ABC Fire", *ANSWERS[14:]]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """As in test_cli: a data dir, and registration dates 20, 35, 50 and 65 days from today."""
    return make_env(tmp_path)


def filed(env: dict[str, str]) -> str:
    result = run(["chat"], env, "\n".join([*ANSWERS, "登録"]) + "\n")
    assert result.returncode == 0, result.stderr
    return re.findall(r"申込受付番号：(\d{6}A)", result.stdout)[0]


def listed_states(env: dict[str, str]) -> list[str]:
    listed = json.loads(run(["applications", "list", "--json"], env).stdout)
    return [a["state"] for a in reversed(listed)]  # oldest first


def test_coming_back_after_filing_shows_the_application_and_stores_nothing(env):
    number = filed(env)
    again = run(["chat"], env, "状況\n")
    assert again.returncode == 0, again.stderr
    assert f"申込受付番号 {number}" in again.stdout and "内容確認中" in again.stdout
    assert "【1/" not in again.stdout and "「新規」" in again.stdout  # a new one only on request
    assert listed_states(env) == ["under_review"]  # no empty draft
    started = run(["chat"], env, "新規\n")
    assert "【1/16〜19】" in started.stdout
    assert listed_states(env) == ["under_review"]  # the question was shown, nothing stored
    answered = run(["chat"], env, "新規\n損害保険会社\n")
    assert "【2/16〜19】" in answered.stdout
    assert sorted(listed_states(env)) == ["draft", "under_review"]  # stored with its first answer
    resumed = run(["chat"], env, "")
    assert "続きから" in resumed.stdout and "【2/16〜19】" in resumed.stdout


def test_withdrawing_in_the_chat_is_confirmed_before_the_chat_ends(env):
    number = filed(env)
    result = run(["chat"], env, "承認通知\n取下げ\nはい\nもう読まれない行\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "まだ承認されていない" in out  # 承認通知 before approval: told why, the chat goes on
    assert f"申込受付番号 {number} の申込を取り下げてよろしいですか" in out
    assert "取り下げました" in out
    assert listed_states(env) == ["withdrawn"]


def chat_lines(env: dict[str, str], who: str, *texts: str) -> list[dict]:
    result = run(["chat", "--jsonl", "--as", who], env,
                 "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("industry", ["銀行", "生命保険会社", "通関業者", "a freight forwarder",
                                      "ABC航空株式会社"])
def test_another_industry_ends_politely_with_the_reason(env, industry):
    _, question, *rest = chat_lines(env, "other", industry, "損害保険会社")
    assert question["field"] == "industry"
    [ended] = rest  # the chat ended: 損害保険会社 afterwards is not read
    assert ended["field"] is None and "ここで終了" in ended["text"]
    assert listed_states(env) == ["closed"]


@pytest.mark.parametrize("industry", ["損保", "損害保険株式会社", "non-life", "東京海上日動火災保険"])
def test_a_non_life_answer_in_own_words_continues(env, industry):
    out = chat_lines(env, "insurer", industry)
    assert out[-1]["field"] == "company_name" and "【2/16〜19】" in out[-1]["text"]


def test_nonsense_is_asked_again(env):
    _, _, again = chat_lines(env, "nonsense", "あいうえお")
    assert again["field"] == "industry" and "選択肢にない回答です" in again["text"]
    assert listed_states(env) == []  # nothing answered, nothing stored


def test_the_counter_never_jumps_and_a_refused_date_offers_its_neighbours(env):
    start = today_jst()
    wanted = start + timedelta(days=40)  # between the registration dates +35 and +50
    answers = [*WITH_USER_CODE[:6], f"{wanted.year}年{wanted.month}月{wanted.day}日", "1", *WITH_USER_CODE[7:]]
    result = run(["chat", "--jsonl", "--as", "counter"], env,
                 "".join(json.dumps({"text": a}, ensure_ascii=False) + "\n" for a in answers))
    counters = re.findall(r"【(\d+)/(\d+)(?:〜(\d+))?】", result.stdout)
    assert counters[0] == ("1", "16", "19") and counters[5] == ("6", "16", "19")
    assert counters[6][:2] == ("7", "19")
    totals = [int(m or t) for _, t, m in counters]
    assert all(t == 19 for t in totals), totals  # announced from the start, never more
    refused = next(line for line in result.stdout.splitlines() if "システム登録日ではありません" in line)
    near = [start + timedelta(days=d) for d in (50, 35, 20)]  # after it first, then the nearest before
    shown = re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", refused.split("ご希望日に近い")[1])
    assert [f"{int(y):04d}-{int(m):02d}-{int(d):02d}" for y, m, d in shown[:3]] == [d.isoformat() for d in near]
    assert '"field": "change_reason"' in result.stdout
    assert near[0].isoformat() in run(["applications", "list"], env).stdout  # "1" picked the first shown

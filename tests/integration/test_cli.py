"""The command line as an operator or a script uses it: real processes on a temporary data dir."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from handlers.cli import main
from tests.integration.cli_helpers import make_env, today_jst

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A data dir and a schedule whose dates are open whatever day the tests run."""
    return make_env(tmp_path)


def run(args: list[str], env: dict[str, str], stdin: str = "", cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "handlers", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120, cwd=cwd or ROOT)


ANSWERS = ["損害保険会社", "ＡＢＣ損害保険株式会社", "本店", "abc12", "３台", "1", "1",
           "WebNACCSを利用するため端末を追加します。", "山田 太郎", "業務部", "taro@example.co.jp",
           "03-1234-5678", "鈴木 花子", "hanako@example.co.jp", "2", "なし"]


def test_piped_chat_files_an_application_and_prints_its_number(env):
    result = run(["chat"], env, "\n".join([*ANSWERS, "登録"]) + "\n")
    assert result.returncode == 0, result.stderr
    year = today_jst().year % 100
    numbers = re.findall(r"申込受付番号：(\d{6}A)", result.stdout)
    assert numbers == [f"{year:02d}0001A"]
    # the name tab may still come until the change items are known (issue 12): 16 or 19 questions
    assert "【1/16〜19】" in result.stdout and "【7/16】" in result.stdout
    assert "申込内容をご確認ください。" in result.stdout
    listed = run(["applications", "list"], env)
    assert numbers[0] in listed.stdout and "内容確認中" in listed.stdout  # states in words (issue 13 item 6)
    shown = run(["applications", "show", numbers[0]], env)
    assert "ABC損害保険株式会社" in shown.stdout and "下書き → 内容確認中" in shown.stdout


def test_jsonl_chat_speaks_json_lines(env):
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in [*ANSWERS, "登録"]]
    script = [*lines[:3], "not json", *lines[3:]]
    result = run(["chat", "--jsonl", "--as", "script"], env, "\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(set(o) >= {"field", "text", "choices", "acceptance_number"} for o in out)
    assert out[1]["field"] == "industry" and out[1]["choices"] == ["損害保険会社", "その他"]
    assert any(o.get("error") == "bad_input" for o in out)
    assert [o["field"] for o in out if o["field"]][-1] == "confirm"
    assert re.fullmatch(r"\d{6}A", out[-1]["acceptance_number"])


def test_a_draft_survives_a_restart_at_the_same_question(env):
    first = run(["chat", "--jsonl"], env, "\n".join(json.dumps({"text": t}, ensure_ascii=False)
                                                    for t in ANSWERS[:5]) + "\n")
    assert json.loads(first.stdout.splitlines()[-1])["field"] == "change_items"
    second = run(["chat", "--jsonl"], env, "")
    out = [json.loads(line) for line in second.stdout.splitlines()]
    assert "続きから" in out[0]["text"] and out[-1]["field"] == "change_items"


def test_applications_show_unknown_number_fails_cleanly(env):
    run(["chat"], env, "")  # a data directory to look in (a missing one is refused: issue 13 item 5)
    result = run(["applications", "show", "269999A"], env)
    assert result.returncode == 1 and "見つかりませんでした" in result.stderr


@pytest.mark.parametrize("text, iso", [
    ("2026年12月1日", "2026-12-01"), ("２０２６年１２月１日", "2026-12-01"), ("20261201", "2026-12-01"),
    ("12月1日", "2026-12-01"), ("12/1", "2026-12-01"), ("令和8年12月1日", "2026-12-01"),
    ("R8.12.1", "2026-12-01"), ("来月1日", "2026-12-01"), ("来週の火曜日", "2026-12-01"),
    ("明日", "2026-11-27"), ("1月4日", "2027-01-04"), ("Dec 1, 2026", "2026-12-01"),
    ("next Tuesday", "2026-12-01"),
])
def test_dates_command_reads_the_forms(text, iso):
    result = CliRunner().invoke(main, ["dates", text, "--today", "2026-11-26"])
    assert result.exit_code == 0 and result.stdout.strip() == iso


@pytest.mark.parametrize("text, words", [("2026年12月", "日にち"), ("2月30日", "存在しません"),
                                         ("よろしく", "日付として")])
def test_dates_command_rejects_with_the_reason_on_stderr(text, words):
    result = CliRunner().invoke(main, ["dates", text, "--today", "2026-11-26", "--lang", "ja"])
    assert result.exit_code == 1 and result.stdout == "" and words in result.stderr


def test_schedule_check_reports_each_line_at_fault(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-01-04, 2026-12-15\n2026-12-16, 2026-12-20\n2026-12-16, 2026-12-01\n",
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["schedule", "check", str(bad), "--lang", "ja"])
    assert result.exit_code == 1
    assert "2行目" in result.stderr and "3行目" in result.stderr and "重複" in result.stderr
    good = CliRunner().invoke(main, ["schedule", "check", "--lang", "en"])
    assert good.exit_code == 0 and "is fine" in good.stdout


def test_help_everywhere():
    for args in (["--help"], ["chat", "--help"], ["dates", "--help"], ["schedule", "check", "--help"],
                 ["applications", "list", "--help"], ["applications", "show", "--help"], ["serve", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "Usage" in result.stdout


def test_review_from_the_command_line(env):
    result = run(["chat"], env, "\n".join([*ANSWERS, "登録"]) + "\n")
    number = re.findall(r"申込受付番号：(\d{6}A)", result.stdout)[0]
    refused = run(["review", "return", number, "--reason", " "], env)
    assert refused.returncode == 1 and "理由" in refused.stderr
    wrong_date = run(["review", "approve", number, "--start-date", "2000-01-01"], env)
    assert wrong_date.returncode == 1 and "スケジュール" in wrong_date.stderr
    first = (today_jst() + timedelta(days=35)).isoformat()
    approved = run(["review", "approve", number, "--start-date", first, "--comment", "OK"], env)
    assert approved.returncode == 0 and "承認しました" in approved.stdout
    again = run(["review", "reject", number, "--reason", "重複"], env)
    assert again.returncode == 1 and "すでに処理済み" in again.stderr and "cli:" in again.stderr
    shown = run(["applications", "show", number], env)
    assert "内容確認中 → 審査終了" in shown.stdout  # states in words (issue 13 item 6)


def test_pdf_command_writes_the_form_and_refuses_the_notice_before_approval(env, tmp_path):
    result = run(["chat"], env, "\n".join([*ANSWERS, "登録"]) + "\n")
    number = re.findall(r"申込受付番号：(\d{6}A)", result.stdout)[0]
    out = tmp_path / "form.pdf"
    made = run(["applications", "pdf", number, "--out", str(out)], env)
    assert made.returncode == 0 and out.read_bytes().startswith(b"%PDF")
    notice = run(["applications", "pdf", number, "--notice", "--out", str(tmp_path / "n.pdf")], env)
    assert notice.returncode == 1 and "承認されていない" in notice.stderr
    assert not (tmp_path / "n.pdf").exists()


def test_pdf_command_names_the_file_as_mails_and_slack_do(env, tmp_path):
    result = run(["chat"], env, "\n".join([*ANSWERS, "登録"]) + "\n")
    number = re.findall(r"申込受付番号：(\d{6}A)", result.stdout)[0]
    made = run(["applications", "pdf", number], env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"{number}-application-form.pdf"
    assert (tmp_path / f"{number}-application-form.pdf").read_bytes().startswith(b"%PDF")

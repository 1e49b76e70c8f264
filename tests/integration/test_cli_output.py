"""What the operator reads (issue 13 item 6): words for states, columns that line up in
Japanese, no glued lines, the form's order, Japan time, and --json for scripts."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from importlib.metadata import version

from bot.config import Config
from bot.dates import JST
from bot.fields import FIELDS
from bot.service import Person
from handlers import bootstrap
from handlers.cli.display import width
from tests.integration.cli_helpers import WITH_USER_CODE, file_application, first_date, invoke, make_env


def test_the_list_shows_states_in_words_and_its_columns_line_up(tmp_path):
    env = make_env(tmp_path)
    file_application(env, who="a")
    file_application(env, WITH_USER_CODE, who="b")
    result = invoke(["applications", "list"], env)
    assert result.exit_code == 0, result.stderr
    header, *rows, total = result.stdout.splitlines()
    assert total == "2件" and len(rows) == 2
    assert all("内容確認中" in r and "under_review" not in r for r in rows)
    column = width(header[:header.index("利用開始希望日")])
    for row in rows:
        assert width(row[:row.index(first_date().isoformat())]) == column  # full-width counts two
    english = invoke(["applications", "list", "--lang", "en"], env)
    assert "Under review" in english.stdout


def test_show_keeps_the_fixed_settings_apart_from_the_history_and_times_in_japan_time(tmp_path):
    env = make_env(tmp_path)
    number = file_application(env, WITH_USER_CODE)
    text = invoke(["applications", "show", number], env).stdout
    assert "すべて否履歴" not in text  # glued before
    lines = text.splitlines()
    assert lines[lines.index("履歴（日本時間）：") - 2].endswith("すべて否")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no raw ISO timestamps
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  console:t  状態の変更  下書き → 内容確認中$", text, re.M)
    labels = [line[1:].split("：")[0] for line in lines if line.startswith("・")][:5]
    assert labels == ["業種", "企業名", "事業所名", "利用者コード（現在）", "現在のnetNACCS台数"]


def test_show_lists_the_answers_in_the_forms_order_even_after_an_edit(tmp_path):
    env = make_env(tmp_path)
    bot = bootstrap.build(Config.from_env(env))
    person = Person(key="console:e", channel="console")
    bot.service.start(person)
    for text in WITH_USER_CODE:
        bot.service.handle(person, text)
    draft = bot.service.open_draft(person)
    draft.answers = dict(reversed(list(draft.answers.items())))  # as a record edited out of order
    bot.service.core.save(draft)
    bot.store.close()
    shown = invoke(["applications", "show", draft.id, "--json"], env)
    keys = list(json.loads(shown.stdout)["answers"])
    assert keys == [f.key for f in FIELDS if f.key in keys]
    text = invoke(["applications", "show", draft.id], env).stdout
    assert text.index("・業種") < text.index("・企業名") < text.index("・備考")


def test_json_for_scripts(tmp_path):
    env = make_env(tmp_path)
    number = file_application(env)
    [listed] = json.loads(invoke(["applications", "list", "--json"], env).stdout)
    assert listed["acceptance_number"] == number and listed["state"] == "under_review"
    assert datetime.fromisoformat(listed["filed_at"]).tzinfo is not None
    shown = json.loads(invoke(["applications", "show", number, "--json"], env).stdout)
    assert shown["answers"]["company_name"] == "ABC損害保険株式会社"
    assert [e["to"] for e in shown["audit"]] == ["draft", "under_review"]
    assert "conversation" not in shown
    queued = json.loads(invoke(["outbox", "--json"], env).stdout)
    assert {m["what"] for m in queued} == {"acknowledgment"}  # no review channel: no card waits (12.9)
    assert all(m["status"] == "pending" and "/" in m["ref"] for m in queued)
    checked = invoke(["schedule", "check", env["WEBNACCS_SCHEDULE"], "--json"], env)
    assert checked.exit_code == 0 and json.loads(checked.stdout)["open"][0] == first_date().isoformat()


def test_schedule_check_puts_the_coverage_note_on_its_own_line(tmp_path):
    env = make_env(tmp_path)  # a schedule of two months: short
    result = invoke(["schedule", "check", env["WEBNACCS_SCHEDULE"]], env)
    assert "）注意" not in result.stdout  # glued before: "（月）注意：…"
    assert any(line.startswith("注意：") for line in result.stdout.splitlines())
    bad = tmp_path / "bad.txt"
    bad.write_text("2026-13-01, 2026-12-01\n", encoding="utf-8")
    refused = invoke(["schedule", "check", str(bad), "--json"], env)
    found = json.loads(refused.stdout)
    assert refused.exit_code == 1 and found["ok"] is False and found["problems"][0]["line"] == 1


def test_version():
    result = invoke(["--version"], {})
    assert result.exit_code == 0 and result.stdout.strip() == f"webnaccs-bot {version('webnaccs-bot')}"


def test_reminders_lists_what_will_fire_and_when(tmp_path):
    env = make_env(tmp_path)
    number = file_application(env)
    bot = bootstrap.build(Config.from_env(env))
    person = Person(key="console:idle", channel="console")
    bot.service.start(person)
    bot.service.handle(person, "損害保険会社")
    draft = bot.service.open_draft(person)
    bot.service.decide(number, decision="approve", actor="cli:t", start_date=first_date().isoformat())
    bot.store.close()
    rows = json.loads(invoke(["reminders", "--json"], env).stdout)
    idle = datetime.fromisoformat(draft.active_at or draft.created_at) + timedelta(days=1)
    assert {"app_id": draft.id, "action": "idle_reminder", "at": idle.isoformat(), "overdue": False}.items() \
        <= next(r for r in rows if r["app_id"] == draft.id).items()
    start = next(r for r in rows if r["acceptance_number"] == number)
    assert start["action"] == "certificate"
    assert datetime.fromisoformat(start["at"]).astimezone(JST).date() < first_date()
    text = invoke(["reminders"], env).stdout
    assert "未回答のお知らせ" in text and "デジタル証明書取得のお願い" in text and number in text
    soon = json.loads(invoke(["reminders", "--json", "--until", "明日"], env).stdout)
    assert [r["app_id"] for r in soon] == [draft.id]


def test_full_width_numbers_and_references_are_read(tmp_path):
    env = make_env(tmp_path)
    number = file_application(env)
    wide = str.maketrans("0123456789ABCDEFabcdef/-", "０１２３４５６７８９ＡＢＣＤＥＦａｂｃｄｅｆ／－")
    assert invoke(["applications", "show", number.translate(wide)], env).exit_code == 0
    bot = bootstrap.build(Config.from_env(env))
    [message, *_] = bot.store.pending_outbox(["email"])
    bot.store.mark_outbox(message["app_id"], message["id"], "failed", last_error="550 no such user")
    bot.store.close()
    ref = f"{message['app_id']}/{message['id']}"
    result = invoke(["outbox", "retry", ref.translate(wide)], env)
    assert result.exit_code == 0, result.stderr

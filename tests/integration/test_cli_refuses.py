"""The command line refuses the wrong place, and reads every date it takes like the chat does
(issue 13 item 5, issue 15 item 9)."""

from __future__ import annotations

import pytest

from bot.config import Config
from handlers import bootstrap
from tests.integration.cli_helpers import file_application, first_date, invoke, make_env

COMMANDS = [["applications", "list"], ["applications", "show", "260001A"], ["applications", "pdf", "260001A"],
            ["outbox"], ["outbox", "retry", "a/b"], ["review", "reject", "260001A", "--reason", "x"],
            ["reminders"]]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_data_directory_is_refused_and_not_created(tmp_path, args):
    env = make_env(tmp_path)
    del env["WEBNACCS_DATA_DIR"]  # the default, ./data, in a directory that has none
    result = invoke(args, env, cwd=tmp_path)
    assert result.exit_code == 1
    assert str(tmp_path / "data") in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == [tmp_path / "schedule.txt"]  # nothing created


def test_a_directory_without_its_key_is_refused_unless_the_secret_is_set(tmp_path):
    env = make_env(tmp_path)
    (tmp_path / "data").mkdir()
    refused = invoke(["applications", "list"], env)
    assert refused.exit_code == 1 and "secret.key" in refused.stderr
    assert list((tmp_path / "data").iterdir()) == []  # no key made, no store laid out
    allowed = invoke(["applications", "list"], {**env, "WEBNACCS_SECRET": "a-secret-from-the-environment"})
    assert allowed.exit_code == 0, allowed.stderr


def test_a_data_directory_that_is_a_file_is_refused(tmp_path):
    env = make_env(tmp_path)
    (tmp_path / "data").write_text("not a directory")
    result = invoke(["applications", "list"], env)
    assert result.exit_code == 1 and str(tmp_path / "data") in result.stderr


def test_serve_and_chat_still_make_a_new_data_directory(tmp_path):
    env = make_env(tmp_path)
    result = invoke(["chat"], env)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "data" / "secret.key").is_file()
    assert invoke(["applications", "list"], env).exit_code == 0


# --- dates (issue 15 item 9) ---------------------------------------------------------------


@pytest.mark.parametrize("written", ["%Y%m%d", "%Y年%m月%d日", "%Y/%m/%d"])
def test_a_compact_start_date_is_stored_as_the_date_it_means(tmp_path, written):
    """Failed before: `--start-date 20261216` was stored as typed, and the confirmation then said
    the confirmed date differed from the desired one (which is the same day)."""
    env = make_env(tmp_path)
    number = file_application(env)
    typed = first_date().strftime(written)
    result = invoke(["review", "approve", number, "--start-date", typed], env)
    assert result.exit_code == 0, result.stderr
    bot = bootstrap.build(Config.from_env(env))
    app = bot.service.find(number)
    assert app.review["start_date"] == first_date().isoformat() == app.answers["desired_start_date"]
    [confirmation] = [m for m in bot.store.outbox(app.id)
                      if m.get("notice") == "confirmation" and m.get("role") == "applicant"]
    assert confirmation["params"]["start_date_differs"] is False
    bot.store.close()


def test_full_width_start_date_is_read_too(tmp_path):
    env = make_env(tmp_path)
    number = file_application(env)
    typed = first_date().strftime("%Y-%m-%d").translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    result = invoke(["review", "approve", number, "--start-date", typed], env)
    assert result.exit_code == 0, result.stderr


def test_an_unreadable_start_date_is_refused_with_the_reason_and_nothing_changes(tmp_path):
    env = make_env(tmp_path)
    number = file_application(env)
    result = invoke(["review", "approve", number, "--start-date", "2月30日"], env)
    assert result.exit_code != 0 and "存在しません" in result.stderr
    shown = invoke(["applications", "show", number, "--json"], env)
    assert '"state": "under_review"' in shown.stdout

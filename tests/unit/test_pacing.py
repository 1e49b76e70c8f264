"""The brake on mail loops (bot/pacing.py): turns that change nothing are counted, per sender
and per application; a turn that moves the application on is always answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.application import Application
from bot.pacing import Pace, Verdict, judge

NOW = datetime.fromisoformat("2026-11-26T10:00+09:00")
PACE = Pace(limit=3, window=600)


def fresh() -> Application:
    app = Application(id="a1", created_at=NOW.isoformat(), conversation={"field": "industry", "mode": "ask"})
    judge(app, "taro@example.co.jp", NOW, PACE)  # the first mail: answered, and remembered
    return app


def test_turns_that_change_nothing_are_answered_up_to_the_limit_then_paused_then_quiet():
    app = fresh()
    verdicts = [judge(app, "taro@example.co.jp", NOW + timedelta(seconds=n), PACE) for n in range(1, 8)]
    assert verdicts == [Verdict.ANSWER] * 3 + [Verdict.PAUSE] + [Verdict.QUIET] * 3


def test_a_turn_that_moves_on_is_answered_during_a_pause_and_the_pause_ends_with_its_window():
    app = fresh()
    for n in range(1, 5):
        judge(app, "taro@example.co.jp", NOW + timedelta(seconds=n), PACE)
    app.answers["industry"] = "損害保険会社"
    app.conversation["field"] = "company_name"
    assert judge(app, "taro@example.co.jp", NOW + timedelta(seconds=10), PACE) == Verdict.ANSWER
    assert judge(app, "taro@example.co.jp", NOW + timedelta(seconds=11), PACE) == Verdict.QUIET
    assert judge(app, "taro@example.co.jp", NOW + timedelta(seconds=605), PACE) == Verdict.ANSWER


def test_the_count_is_per_application_whichever_address_it_comes_from():
    app = fresh()
    assert [judge(app, f"a{n}@example.co.jp", NOW + timedelta(seconds=n), PACE) for n in range(1, 5)] == \
        [Verdict.ANSWER] * 3 + [Verdict.PAUSE]


def test_failed_tries_alone_are_no_progress():
    app = fresh()
    for n in range(1, 4):
        app.conversation["failures"] = n
        judge(app, "taro@example.co.jp", NOW + timedelta(seconds=n), PACE)
    app.conversation["failures"] = 4
    assert judge(app, "taro@example.co.jp", NOW + timedelta(seconds=5), PACE) == Verdict.PAUSE

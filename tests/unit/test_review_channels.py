"""Where review messages go (issue 12 item 9): only to channels that are configured — the Slack
review channel, and each reviewer by mail (WEBNACCS_REVIEWER_EMAILS)."""

from __future__ import annotations

import pytest

from bot.config import BUNDLED_SCHEDULE, Config
from bot.service import Person, Service
from handlers.bootstrap import load_schedule
from tests.conftest import file_application
from tests.fakes import MemoryStore, PlainVault

REV1, REV2 = "rev1@example.co.jp", "rev2@example.co.jp"
SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_reviewer_emails_are_read_lower_cased_once_each_full_width_accepted():
    config = Config.from_env({"WEBNACCS_REVIEWER_EMAILS": " Rev1@Example.co.jp ,ｒｅｖ２＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ，"
                                                          "rev1@example.co.jp,, <rev3@example.co.jp>"})
    assert config.reviewer_emails == (REV1, REV2, "rev3@example.co.jp")
    assert Config.from_env({}).reviewer_emails == ()


def test_a_reviewer_email_that_is_not_an_address_is_refused_with_its_place():
    with pytest.raises(ValueError, match=r"WEBNACCS_REVIEWER_EMAILS: entry 2 \('taro'\)"):
        Config.from_env({"WEBNACCS_REVIEWER_EMAILS": f"{REV1},taro"})


@pytest.mark.parametrize(("env", "channels"), [
    ({}, ()),
    ({"WEBNACCS_REVIEW_CHANNEL": "C1"}, ()),  # no Slack credentials: no Slack review channel
    (SLACK, ()),  # Slack, but no review channel
    ({**SLACK, "WEBNACCS_REVIEW_CHANNEL": "C1"}, ("review",)),
    ({"WEBNACCS_REVIEWER_EMAILS": f"{REV1},{REV2}"}, (f"email:{REV1}", f"email:{REV2}")),
    ({**SLACK, "WEBNACCS_REVIEW_CHANNEL": "C1", "WEBNACCS_REVIEWER_EMAILS": REV1}, ("review", f"email:{REV1}")),
])
def test_the_review_channels_are_the_configured_ones(env, channels):
    assert Config.from_env(env).review_channels == channels


def make(store: MemoryStore, clock, channels: tuple[str, ...]) -> Service:
    return Service(store=store, clock=clock, schedule=load_schedule(BUNDLED_SCHEDULE), vault=PlainVault(),
                   review_channels=channels)


def review_messages(store: MemoryStore, app_id: str) -> list[dict]:
    return [m for m in store.outbox(app_id) if m["kind"] == "review"]


def test_with_no_review_channel_nothing_is_queued_for_reviewers(store, clock, person):
    service = make(store, clock, ())
    app = file_application(service, person)
    assert review_messages(store, app.id) == []
    assert service.decide(app.acceptance_number, decision="reject", actor="cli:op", reason="重複").applied
    assert review_messages(store, app.id) == []
    assert [m["notice"] for m in store.outbox(app.id) if m["kind"] == "notice"].count("rejected") == 2


def test_each_mail_reviewer_gets_the_request_and_the_others_hear_the_decision(store, clock, person):
    service = make(store, clock, ("review", f"email:{REV1}", f"email:{REV2}"))
    app = file_application(service, person)
    requests = review_messages(store, app.id)
    assert [(m["channel"], m.get("to"), m["action"]) for m in requests] == [
        ("review", None, "request"), ("email", REV1, "request"), ("email", REV2, "request")]
    assert all(m.get("role") == "reviewer" for m in requests[1:])
    assert len({m["id"] for m in requests}) == 3
    ruling = service.decide(app.acceptance_number, decision="approve", actor=f"email:{REV1}",
                            start_date="2027-01-04")
    assert ruling.applied
    decided = [m for m in review_messages(store, app.id) if m["action"] == "decided"]
    # the Slack card is updated; the other mail reviewer is told; the one who decided saw it on the page
    assert [(m["channel"], m.get("to")) for m in decided] == [("review", None), ("email", REV2)]
    assert decided[1]["review"]["by"] == f"email:{REV1}"


def test_a_decision_made_elsewhere_and_a_withdrawal_reach_every_mail_reviewer(store, clock):
    service = make(store, clock, (f"email:{REV1}", f"email:{REV2}"))
    first = file_application(service, Person(key="console:a", channel="console"))
    assert service.decide(first.acceptance_number, decision="return", actor="slack:U1", reason="不備").applied
    assert [m.get("to") for m in review_messages(store, first.id) if m["action"] == "decided"] == [REV1, REV2]
    someone = Person(key="console:b", channel="console")
    second = file_application(service, someone)
    service.handle(someone, "取下げ")
    assert service.handle(someone, "はい").app.state == "withdrawn"
    withdrawn = [m for m in review_messages(store, second.id) if m["action"] == "withdrawn"]
    assert [(m["channel"], m["to"]) for m in withdrawn] == [("email", REV1), ("email", REV2)]


def test_the_default_keeps_the_slack_review_channel(service, store, person):
    app = file_application(service, person)
    assert [(m["channel"], m["action"]) for m in review_messages(store, app.id)] == [("review", "request")]

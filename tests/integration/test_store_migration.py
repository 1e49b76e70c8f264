"""A data directory written by the first release (format 1, tests/fixtures/format1: made by
that release's code) is read by this one: migrated once, at start, losing nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot.config import Config
from bot.service import Person
from handlers import bootstrap
from store import TinyStore
from tests.fakes import clock_at

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "format1"
TARO = Person(key="email:taro@example.co.jp", channel="email", address="taro@example.co.jp")
HANAKO = Person(key="slack:UHANAKO", channel="slack", address="UHANAKO")


def copied(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    return data


def test_the_first_release_s_directory_is_migrated_once_and_loses_nothing(tmp_path):
    data = copied(tmp_path)
    store = TinyStore(data)
    assert not any((data / old).exists() for old in ("people", "numbers", "serials", "outbox_pending", "wakeups"))
    assert json.loads((data / "index" / "meta.json").read_text())["format"] == 2

    filed = store.by_number("260001A")
    assert filed is not None and filed["state"] == "approved"
    assert filed["answers"]["company_name"] == "ABC損害保険株式会社"
    assert [r["id"] for r in store.records_of("email:taro@example.co.jp")] == [filed["id"]]
    actions = [e["action"] for e in store.audit(filed["id"])]
    assert actions[0] == "created" and actions.count("transition") == 2  # filed, approved
    sent = [m for m in store.outbox(filed["id"]) if m["status"] == "sent"]
    assert {m.get("notice") for m in sent} >= {"acknowledgment", "confirmation"}
    assert [m["kind"] for m in store.pending_outbox()] == ["review", "review", "reply", "reply"]
    assert store.pending_outbox(["slack"])[0]["to"] == "UHANAKO"
    assert store.next_acceptance_serial(26) == 2  # the serial goes on from the old counter
    assert (filed["id"]) in {i for _, i in store.wakeups_due("2027-01-04")}

    again = TinyStore(data)  # nothing left to migrate: the same state
    assert again.by_number("260001A") == filed
    assert again.audit(filed["id"]) == store.audit(filed["id"])


def test_the_service_goes_on_where_the_first_release_stopped(tmp_path):
    data = copied(tmp_path)
    bot = bootstrap.build(Config(data_dir=data, secret="format1-fixture-secret"),
                          clock=clock_at("2026-11-26T11:00"))
    again = bot.service.handle(HANAKO, "損害保険会社", key="slack-event:EvOld1")
    assert again.duplicate  # the old record's inbound keys still recognise a redelivery
    outcome = bot.service.handle(HANAKO, "ＸＹＺ損害保険株式会社")
    assert outcome.app.answers["company_name"] == "XYZ損害保険株式会社"
    assert bot.service.find("260001A").review["start_date"] == "2027-01-04"
    assert bot.service.applications_of(TARO)[0].acceptance_number == "260001A"


def test_a_store_opened_during_the_first_checkpoint_leaves_its_index_alone(tmp_path, monkeypatch):
    """The command line opening the directory while ``serve`` writes its first checkpoint (the
    application files and index shards are written outside the lock, the meta last) must not
    take it for a first-release directory and rebuild the index from the files written so far:
    the crash drill lost people from the index that way (their records intact)."""
    from store.tiny import apps

    data = tmp_path / "data"
    serve = TinyStore(data)
    serve.own()
    people = [f"slack:U{n:03d}" for n in range(12)]
    for n, key in enumerate(people):
        serve.commit({"id": f"app{n:03d}", "state": "draft", "people": [key], "acceptance_number": None})
    real_save, opened = apps.save, []

    def save(path, state):
        real_save(path, state)
        if not opened:  # one application file written, the others and the index not yet
            opened.append(sorted(p.name for p in (data / "index").rglob("*")) if (data / "index").exists() else [])
            beside = TinyStore(data)  # as `webnaccs-bot review approve` beside serve
            beside.close()
            opened.append(sorted(p.name for p in (data / "index").rglob("*")) if (data / "index").exists() else [])

    monkeypatch.setattr(apps, "save", save)
    serve.checkpoint()
    serve.close()
    assert opened and opened[0] == opened[1]  # nothing written by the store opened beside
    fresh = TinyStore(data)
    assert [bool(fresh.records_of(key)) for key in people] == [True] * len(people)

"""The bot.ports.Store contract: what the core relies on, on every adapter (TinyDB, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FakeClock

JST = ZoneInfo("Asia/Tokyo")


def record(app_id: str, **fields) -> dict:
    base = {"id": app_id, "state": "draft", "people": [], "acceptance_number": None}
    return {**base, **fields}


def test_commit_then_get_roundtrips_japanese_text(store):
    rec = record(
        "app1",
        people=["slack:U1", "email:a@example.jp"],
        company={"name": "東京海上日動火災保険株式会社", "kana": "トウキョウカイジョウ"},
        answers=["はい", 3, None, True],
    )
    store.commit(rec)
    assert store.get("app1") == rec
    assert store.get("nope") is None


def test_get_returns_a_copy(store):
    store.commit(record("app1", answers={"a": 1}))
    loaded = store.get("app1")
    loaded["answers"]["a"] = 2
    assert store.get("app1")["answers"] == {"a": 1}


def test_commit_replaces_the_record_rather_than_merging(store):
    store.commit(record("app1", draft_note="x"))
    store.commit(record("app1", state="under_review"))
    assert store.get("app1") == record("app1", state="under_review")


def test_audit_is_append_only_across_commits(store):
    store.commit(record("app1"), audit=[{"to": "draft", "why": "開始"}])
    store.commit(record("app1", state="under_review"), audit=[{"to": "under_review"}, {"n": 3}])
    store.commit(record("app1", state="under_review"))
    assert store.audit("app1") == [{"to": "draft", "why": "開始"}, {"to": "under_review"}, {"n": 3}]
    assert store.audit("unknown") == []


def test_all_ids_lists_every_application(store):
    for app_id in ["b2", "a1", "c3"]:
        store.commit(record(app_id))
    assert list(store.all_ids()) == ["a1", "b2", "c3"]


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", "a.b", "x" * 65, "ä", None, 7])
def test_invalid_app_ids_are_rejected(store, bad):
    with pytest.raises(ValueError):
        store.get(bad)
    with pytest.raises(ValueError):
        store.commit(record(bad))
    with pytest.raises(ValueError):
        store.audit(bad)
    with pytest.raises(ValueError):
        store.outbox(bad)
    with pytest.raises(ValueError):
        store.mark_outbox(bad, "m1", "sent")


def test_unencodable_record_writes_nothing(store):
    store.commit(record("app1", step=1))
    with pytest.raises(TypeError):
        store.commit(record("app1", step=object()), audit=[{"n": 2}])
    assert store.get("app1") == record("app1", step=1)
    assert store.audit("app1") == []


def test_duplicate_outbox_id_is_rejected_and_nothing_is_written(store):
    store.commit(record("app1"), outbox=[{"id": "m1"}])
    with pytest.raises(ValueError, match="duplicate"):
        store.commit(record("app1", state="x"), audit=[{"n": 1}], outbox=[{"id": "m1"}])
    with pytest.raises(ValueError, match="duplicate"):
        store.commit(record("app1", state="x"), outbox=[{"id": "m2"}, {"id": "m2"}])
    assert store.get("app1")["state"] == "draft"
    assert store.audit("app1") == []


def test_by_number_finds_the_filed_application(store):
    store.commit(record("app1", acceptance_number="260001A"))
    store.commit(record("app2"))
    assert store.by_number("260001A")["id"] == "app1"
    assert store.by_number("260002A") is None
    assert store.by_number("../../etc/passwd") is None


def test_a_number_cannot_be_filed_twice(store):
    store.commit(record("app1", acceptance_number="260001A"))
    with pytest.raises(ValueError, match="already belongs"):
        store.commit(record("app2", acceptance_number="260001A"))
    assert store.get("app2") is None
    assert store.by_number("260001A")["id"] == "app1"


def test_serials_count_per_year_and_survive_reopening(backend):
    first = backend()
    assert [first.next_acceptance_serial(26) for _ in range(3)] == [1, 2, 3]
    assert first.next_acceptance_serial(27) == 1
    second = backend()
    assert second.next_acceptance_serial(26) == 4
    with pytest.raises(ValueError):
        second.next_acceptance_serial(2026)


def test_serials_are_unique_across_threads_and_instances(backend):
    stores = [backend(), backend()]
    results: list[list[int]] = [[] for _ in range(8)]

    def draw(i: int) -> None:
        for _ in range(50):
            results[i].append(stores[i % 2].next_acceptance_serial(26))

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drawn = [s for r in results for s in r]
    assert len(drawn) == 400
    assert sorted(drawn) == list(range(1, 401))


def apps_of(store, person_key):
    return [r["id"] for r in store.records_of(person_key)]


def test_apps_of_lists_a_persons_applications_oldest_first(store):
    store.commit(record("z9", people=["slack:U1"]))
    store.commit(record("a1", people=["slack:U1", "email:b@example.jp"]))
    store.commit(record("m5", people=["email:b@example.jp"]))
    store.commit(record("z9", people=["slack:U1"], state="under_review"))
    assert apps_of(store, "slack:U1") == ["z9", "a1"]
    assert apps_of(store, "email:b@example.jp") == ["a1", "m5"]
    assert apps_of(store, "slack:NOBODY") == []


def test_apps_of_trusts_the_record_over_the_index(store):
    store.commit(record("a1", people=["slack:U1", "slack:U2"]))
    store.commit(record("a1", people=["slack:U2"]))  # U1 left the application
    assert apps_of(store, "slack:U1") == []
    assert apps_of(store, "slack:U2") == ["a1"]


def test_outbox_message_pending_until_marked_sent(store, backend):
    store.commit(
        record("app1"),
        outbox=[
            {"id": "m1", "kind": "acknowledgment", "created_at": "2026-11-26T10:00:00+09:00"},
            {"id": "m2", "kind": "reminder", "created_at": "2026-11-26T10:00:00+09:00"},
        ],
    )
    pending = store.pending_outbox()
    assert [(m["app_id"], m["id"], m["status"]) for m in pending] == [
        ("app1", "m1", "pending"),
        ("app1", "m2", "pending"),
    ]
    store.mark_outbox("app1", "m1", "sent", sent_at="2026-11-26T10:00:05+09:00")
    assert [m["id"] for m in store.pending_outbox()] == ["m2"]
    store.mark_outbox("app1", "m2", "sent")
    assert store.pending_outbox() == []
    sent = store.outbox("app1")[0]
    assert sent["status"] == "sent" and sent["sent_at"] == "2026-11-26T10:00:05+09:00"
    assert sent["kind"] == "acknowledgment"
    store.checkpoint()  # TinyDB: the sent messages move to the history (a database: nothing to do)
    assert backend().pending_outbox() == []
    assert [m["id"] for m in backend().outbox("app1")] == ["m1", "m2"]


def test_one_outbox_message_is_found_pending_sent_and_archived(store, backend, monkeypatch):
    from store.tiny import memory

    monkeypatch.setattr(memory, "SENT_KEPT", 1)  # TinyDB: only the newest archived one in memory
    messages = [{"id": f"m{n}", "kind": "reply", "created_at": "2026-11-26T10:00:00+09:00"} for n in (1, 2, 3)]
    store.commit(record("app1"), outbox=messages)
    assert store.outbox_message("app1", "m1")["status"] == "pending"
    store.mark_outbox("app1", "m1", "sent", sent_at="2026-11-26T10:00:05+09:00")
    store.mark_outbox("app1", "m2", "sent")
    store.checkpoint()  # TinyDB: m1 and m2 archived, one of them still held in memory
    for opened in (store, backend()):  # the one that archived them, and a new one reading the files
        assert opened.outbox_message("app1", "m1")["sent_at"] == "2026-11-26T10:00:05+09:00"
        assert [opened.outbox_message("app1", f"m{n}")["status"] for n in (1, 2, 3)] == ["sent", "sent", "pending"]
        assert opened.outbox_message("app1", "m4") is None and opened.outbox_message("app2", "m1") is None


def test_a_retry_stays_pending_with_its_attempts(store):
    store.commit(record("app1"), outbox=[{"id": "m1"}])
    store.mark_outbox("app1", "m1", "pending", attempts=1, last_error="slack 429")
    [message] = store.pending_outbox()
    assert message["attempts"] == 1 and message["last_error"] == "slack 429"
    store.mark_outbox("app1", "m1", "failed", attempts=5)
    assert store.pending_outbox() == []
    store.mark_outbox("app1", "m1", "pending", attempts=0)  # an operator re-queues it
    assert [m["id"] for m in store.pending_outbox()] == ["m1"]


def test_pending_outbox_is_oldest_first_across_applications(store):
    # instants, not strings: 11:00+09:00 is 02:00Z, earlier than 02:30Z
    store.commit(record("b"), outbox=[{"id": "4th", "created_at": "2026-11-26T12:00:00+09:00"}])
    store.commit(record("a"), outbox=[{"id": "2nd", "created_at": "2026-11-26T02:30:00+00:00"}])
    store.commit(
        record("c"),
        outbox=[
            {"id": "3rd", "created_at": "2026-11-26T02:45:00+00:00"},
            {"id": "1st", "created_at": "2026-11-26T11:00:00+09:00"},
        ],
    )
    assert [m["id"] for m in store.pending_outbox()] == ["1st", "2nd", "3rd", "4th"]


def test_store_stamps_created_at_when_missing(backend):
    store = backend(clock=FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=JST)))
    store.commit(record("a"), outbox=[{"id": "m1"}])
    assert store.outbox("a")[0]["created_at"] == "2026-11-26T09:00:00+09:00"


def test_mark_outbox_rejects_unknown_messages_and_reserved_fields(store):
    store.commit(record("app1"), outbox=[{"id": "m1"}])
    with pytest.raises(KeyError):
        store.mark_outbox("app1", "m9", "sent")
    with pytest.raises(KeyError):
        store.mark_outbox("other", "m1", "sent")
    with pytest.raises(ValueError):
        store.mark_outbox("app1", "m1", "sent", id="m2")


def test_pending_outbox_reads_only_the_channels_asked_for(store, backend):
    store.commit(record("app1"), outbox=[{"id": "card", "channel": "review"}])
    store.commit(record("app2"), outbox=[{"id": "mail", "channel": "email"}])
    assert [m["id"] for m in store.pending_outbox(["email"])] == ["mail"]
    assert {m["id"] for m in store.pending_outbox()} == {"card", "mail"}
    store.mark_outbox("app2", "mail", "sent")
    assert store.pending_outbox(["email"]) == []
    store.checkpoint()
    assert [m["id"] for m in backend().pending_outbox()] == ["card"]  # still waiting for Slack


def test_mark_seen_is_true_only_the_first_time(store, backend):
    assert store.mark_seen("slack_event", "Ev01") is True
    assert store.mark_seen("slack_event", "Ev01") is False
    assert store.mark_seen("email", "Ev01") is True  # namespaces are separate
    assert backend().mark_seen("slack_event", "Ev01") is False


def test_prune_seen_forgets_only_old_entries(backend):
    clock = FakeClock(datetime(2026, 11, 1, tzinfo=JST))
    store = backend(clock=clock)
    for i in range(20):
        store.mark_seen("slack_event", f"old{i}")
    clock.at = datetime(2026, 11, 20, tzinfo=JST)
    store.mark_seen("slack_event", "new")
    assert store.prune_seen(datetime(2026, 11, 10, tzinfo=JST)) == 20
    assert store.mark_seen("slack_event", "old3") is True
    assert store.mark_seen("slack_event", "new") is False
    with pytest.raises(ValueError):
        store.prune_seen(datetime(2026, 11, 10))

"""What several threads, processes or replicas may rely on, on every adapter."""

from __future__ import annotations

import threading
import time

import pytest

from tests.contract.test_store_contract import record


def test_a_turn_on_a_key_waits_for_another_turn_on_that_key(backend):
    first, second = backend(), backend()
    first.commit(record("app1", people=["slack:U1"], n=0))
    entered = threading.Event()
    order: list[str] = []

    def other() -> None:
        with second.locked("slack:U1"):
            entered.set()
            order.append("second")
            current = second.get("app1")
            second.commit({**current, "n": current["n"] + 1})

    with first.locked("slack:U1"):
        worker = threading.Thread(target=other)
        worker.start()
        assert not entered.wait(0.5)  # held while this turn runs
        current = first.get("app1")
        order.append("first")
        first.commit({**current, "n": current["n"] + 1})
    worker.join(10)
    assert order == ["first", "second"]
    assert backend().get("app1")["n"] == 2  # neither update was lost


def test_each_pending_message_is_claimed_by_one_dispatcher_at_a_time(backend):
    if backend.kind == "tiny":  # one serve owns a directory: there is no second dispatcher
        from store.tiny import OwnedElsewhere

        owner = backend()
        owner.own()
        with pytest.raises(OwnedElsewhere):
            backend().own()
        return
    a, b = backend(), backend()
    a.commit(record("app1"), outbox=[{"id": f"m{i}", "channel": "email", "to": f"p{i}@example.jp"}
                                     for i in range(6)])
    got_a = a.claim_outbox(["email"], lease_seconds=60)
    got_b = b.claim_outbox(["email"], lease_seconds=60)
    ids_a, ids_b = {m["id"] for m in got_a}, {m["id"] for m in got_b}
    assert ids_a == {f"m{i}" for i in range(6)} and ids_b == set()  # a holds them for its lease
    assert b.claim_outbox(["email"], lease_seconds=60) == []
    a.mark_outbox("app1", "m0", "sent")
    a.mark_outbox("app1", "m1", "pending", next_at=None, attempts=1)  # a retry: the lease is given up
    [retried] = b.claim_outbox(["email"], lease_seconds=60)
    assert retried["id"] == "m1" and "maybe_sent" not in retried  # a said how its attempt ended
    assert {m["id"] for m in backend().pending_outbox()} == {f"m{i}" for i in range(1, 6)}


def test_a_lease_that_expires_lets_another_dispatcher_take_over(backend):
    if backend.kind == "tiny":
        pytest.skip("one serve owns a directory: there is no second dispatcher")
    a, b = backend(), backend()
    a.commit(record("app1"), outbox=[{"id": "m1", "channel": "email", "to": "x@example.jp"}])
    [first] = a.claim_outbox(["email"], lease_seconds=0.2)
    assert first["id"] == "m1" and "maybe_sent" not in first  # never tried: a first attempt
    assert b.claim_outbox(["email"], lease_seconds=60) == []
    time.sleep(0.4)  # a died: its lease runs out
    [taken] = b.claim_outbox(["email"], lease_seconds=60)
    assert taken["id"] == "m1" and taken["maybe_sent"] is True  # a may have sent it before it died
    [again] = b.claim_outbox(["email"], lease_seconds=60)  # b's own lease: nothing new happened
    assert "maybe_sent" not in again


def test_serials_are_distinct_under_racing_filings_of_two_instances(backend):
    stores = [backend(), backend()]
    got: list[int] = []
    lock = threading.Lock()

    def file(n: int) -> None:
        store = stores[n % 2]
        with store.locked(f"app:{n}"):
            serial = store.next_acceptance_serial(26)
            store.commit(record(f"a{n}", acceptance_number=f"26{serial:04d}A"))
        with lock:
            got.append(serial)

    threads = [threading.Thread(target=file, args=(n,)) for n in range(20)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert time.monotonic() - began < 60
    assert sorted(got) == list(range(1, 21))
    assert all(backend().by_number(f"26{s:04d}A") for s in got)

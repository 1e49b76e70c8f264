"""The cost of one commit/get must not grow with the number of applications stored.

Not timed: it counts which files are touched and how many bytes are read and written (files
and journal), which must be the same whether 3 or 60 other applications exist.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from store import TinyStore, atomic


class IOCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.root = root
        self.written: Counter[str] = Counter()
        self.read: Counter[str] = Counter()
        real_write, real_read = atomic.atomic_write_bytes, atomic.read_bytes

        def write(path: Path, payload: bytes) -> None:
            self.written[self._name(path)] += len(payload)
            real_write(path, payload)

        def read(path: Path) -> bytes | None:
            payload = real_read(path)
            self.read[self._name(path)] += len(payload or b"")
            return payload

        monkeypatch.setattr(atomic, "atomic_write_bytes", write)
        monkeypatch.setattr(atomic, "read_bytes", read)

    def _name(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def reset(self) -> None:
        self.written.clear()
        self.read.clear()


def filled_store(root: Path, others: int) -> TinyStore:
    store = TinyStore(root)
    for i in range(others):
        store.commit(
            {
                "id": f"other{i}",
                "state": "under_review",
                "people": [f"slack:O{i}"],
                "acceptance_number": f"26{store.next_acceptance_serial(26):04d}A",
            },
            audit=[{"n": i}],
            outbox=[{"id": "m1", "created_at": "2026-11-26T10:00:00+09:00"}],
        )
    return store


def one_application_lifecycle(store: TinyStore) -> None:
    store.commit(
        {"id": "mine", "state": "draft", "people": ["slack:ME"], "acceptance_number": None},
        audit=[{"to": "draft"}],
        outbox=[{"id": "q1", "created_at": "2026-11-26T10:00:00+09:00"}],
    )
    store.get("mine")
    store.commit(
        {"id": "mine", "state": "under_review", "people": ["slack:ME"], "acceptance_number": "X1"},
        audit=[{"to": "under_review"}],
        outbox=[{"id": "ack", "created_at": "2026-11-26T10:00:00+09:00"}],
    )
    store.mark_outbox("mine", "q1", "sent")
    store.by_number("X1")
    store.records_of("slack:ME")
    store.mark_seen("slack_event", "Ev1")


def journal_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "journal").iterdir())


def test_io_of_one_application_does_not_depend_on_how_many_others_exist(tmp_path, monkeypatch):
    measured = []
    for others in (3, 60):
        root = tmp_path / f"with{others}"
        store = filled_store(root, others)
        store.checkpoint()  # the others are in their files; the journal starts afresh
        counter = IOCounter(monkeypatch, root)
        before = journal_bytes(root)
        one_application_lifecycle(store)
        measured.append((dict(counter.written), dict(counter.read), journal_bytes(root) - before))
        monkeypatch.undo()

    (written_small, read_small, logged_small), (written_big, read_big, logged_big) = measured
    assert written_small == written_big
    # looking for a file that is not there reads nothing; a shard the others share may be in memory
    assert {k: v for k, v in read_small.items() if v} == {k: v for k, v in read_big.items() if v}
    assert logged_small == logged_big > 0
    # a turn writes no file: its commits are journal lines (only the rare seen-id shard is a file)
    assert {name.split("/")[0] for name in written_small} == {"seen"}

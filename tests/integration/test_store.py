"""TinyStore on a real folder: the bot.ports.Store contract and its crash-safety promises."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store import TinyStore, atomic

JST = ZoneInfo("Asia/Tokyo")


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def record(app_id: str, **fields) -> dict:
    base = {"id": app_id, "state": "draft", "people": [], "acceptance_number": None}
    return {**base, **fields}


@pytest.fixture
def store(tmp_path) -> TinyStore:
    return TinyStore(tmp_path / "data")


# -- records -----------------------------------------------------------------------------------


def test_files_are_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        store = TinyStore(tmp_path / "data")
        store.commit(
            record("app1", people=["slack:U1"], acceptance_number="260001A"),
            audit=[{"a": 1}],
            outbox=[{"id": "m1"}],
        )
        store.next_acceptance_serial(26)
        store.mark_seen("slack", "E1")
        store.checkpoint()  # the application file, its history and the index files
    finally:
        os.umask(old)
    root = tmp_path / "data"
    seen_files = 0
    for folder, _, files in os.walk(root):
        assert stat.S_IMODE(Path(folder).stat().st_mode) == 0o700, folder
        for name in files:
            assert stat.S_IMODE((Path(folder) / name).stat().st_mode) == 0o600, name
            seen_files += 1
    assert seen_files >= 8  # lock, journal, app, history, meta, people and number shards, seen shard


# -- a commit is all or nothing ------------------------------------------------------------------


def test_commit_failing_at_its_write_leaves_previous_state_intact(store, monkeypatch):
    store.commit(record("app1", step=1), audit=[{"n": 1}], outbox=[{"id": "m1"}])
    real_write = os.write

    def disk_full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.commit(
            record("app1", step=2, acceptance_number="260001A"),
            audit=[{"n": 2}],
            outbox=[{"id": "m2"}],
        )
    monkeypatch.setattr(os, "write", real_write)

    for fresh in (TinyStore(store._paths.root), store):  # on disk, and in the writer's memory
        assert fresh.get("app1") == record("app1", step=1)
        assert fresh.audit("app1") == [{"n": 1}]
        assert [m["id"] for m in fresh.outbox("app1")] == ["m1"]
        assert fresh.by_number("260001A") is None
    assert store.sweep_temp_files() == 0  # the failed write cleaned up after itself

    fresh = TinyStore(store._paths.root)
    fresh.commit(record("app1", step=3), audit=[{"n": 3}])
    assert fresh.audit("app1") == [{"n": 1}, {"n": 3}]


def test_a_failed_sync_stops_the_store_from_promising_more(store, monkeypatch):
    from store.tiny import StoreBroken

    store.commit(record("app1", step=1), outbox=[{"id": "m1"}])

    def failing_sync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing_sync)
    with pytest.raises(StoreBroken):
        store.commit(record("app1", step=2), outbox=[{"id": "m2"}])
    monkeypatch.undo()
    with pytest.raises(StoreBroken, match="restart"):  # nothing more is acknowledged
        store.get("app1")
    assert [m["id"] for m in TinyStore(store._paths.root).pending_outbox()] in (["m1"], ["m1", "m2"])


def test_by_number_ignores_a_dangling_index_entry(store, tmp_path):
    store.commit(record("app1"))  # never filed
    store.checkpoint()
    numbers = tmp_path / "data" / "index" / "numbers"
    numbers.mkdir(mode=0o700, exist_ok=True)
    (numbers / "26.json").write_text(json.dumps({"260005A": "app1", "260006A": "ghost"}))
    store = TinyStore(tmp_path / "data")
    assert store.by_number("260005A") is None
    assert store.by_number("260006A") is None
    # the dangling entry does not block filing another application under that number
    store.commit(record("app2", acceptance_number="260005A"))
    assert store.by_number("260005A")["id"] == "app2"


def test_serials_are_unique_across_processes(tmp_path):
    data = tmp_path / "data"
    code = (
        "import sys; from pathlib import Path; from store import TinyStore\n"
        "s = TinyStore(Path(sys.argv[1]))\n"
        "print(' '.join(str(s.next_acceptance_serial(26)) for _ in range(40)))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(data)], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    TinyStore(data)  # create the folder while they start
    drawn = [int(n) for p in procs for n in p.communicate(timeout=60)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(drawn) == list(range(1, 121))


# -- people -------------------------------------------------------------------------------------


def apps_of(store, person_key):
    return [r["id"] for r in store.records_of(person_key)]


def test_a_commit_writes_one_journal_line_and_no_file(store, monkeypatch):
    from store.counters import COUNTERS

    store.commit(record("a1", people=["slack:U1"]))
    writes: list[Path] = []
    real = atomic.atomic_write_bytes
    monkeypatch.setattr(atomic, "atomic_write_bytes", lambda p, b: (writes.append(p), real(p, b)))
    before = COUNTERS.snapshot()
    store.commit(record("a1", people=["slack:U1", "slack:U2"], state="x"), audit=[{"n": 1}],
                 outbox=[{"id": "m1"}])
    after = COUNTERS.snapshot()
    assert writes == []
    assert after["journal_lines"] - before["journal_lines"] == 1
    assert after["fsyncs"] - before["fsyncs"] == 1
    assert apps_of(store, "slack:U2") == ["a1"]


# -- outbox -------------------------------------------------------------------------------------


def test_pending_outbox_is_rebuilt_by_a_new_reader_and_reading_changes_nothing(store):
    store.commit(record("app1"), outbox=[{"id": "m1", "status": "sent"}, {"id": "m2"}])
    store.commit(record("app2"), outbox=[{"id": "m3"}])
    store.mark_outbox("app2", "m3", "failed")
    journal = sorted(store._paths.journal.iterdir())
    before = [p.read_bytes() for p in journal]
    assert [m["id"] for m in store.pending_outbox()] == ["m2"]
    assert [p.read_bytes() for p in journal] == before  # a read writes nothing
    assert [m["id"] for m in TinyStore(store._paths.root).pending_outbox()] == ["m2"]
    store.checkpoint()
    assert [m["id"] for m in TinyStore(store._paths.root).pending_outbox()] == ["m2"]


# -- seen ids -----------------------------------------------------------------------------------


# -- the lock -----------------------------------------------------------------------------------


def test_locked_is_reentrant_and_blocks_other_threads(store):
    done = threading.Event()

    def other() -> None:
        store.get("app1")
        done.set()

    with store.locked(), store.locked():
        store.commit(record("app1"))
        worker = threading.Thread(target=other)
        worker.start()
        assert not done.wait(0.3)
    assert done.wait(10)
    worker.join()


def test_locked_excludes_other_processes(store):
    probe = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'a')\n"
        "try:\n"
        "    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "    print('free')\n"
        "except BlockingIOError:\n"
        "    print('busy')\n"
    )

    def check() -> str:
        lock = str(store._paths.lock)
        run = subprocess.run([sys.executable, "-c", probe, lock], capture_output=True, text=True)
        return run.stdout.strip()

    with store.locked():
        with store.locked():
            assert check() == "busy"
        assert check() == "busy"  # still held by the outer-most block
    assert check() == "free"

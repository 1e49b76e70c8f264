"""SIGKILL a process that is committing, at random moments: nothing acknowledged is lost and
every file stays readable."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from store import TinyStore
from store.atomic import is_temp_file

APPS = 7  # few applications, so each file is rewritten many times

CHILD = """
import sys
from pathlib import Path
from store import TinyStore

store = TinyStore(Path(sys.argv[1]))
n = int(sys.argv[2])
while True:
    app_id = f"a{n % APPS}"
    serial = store.next_acceptance_serial(26)
    number = f"26{serial:04d}K"
    with store.locked():
        current = store.get(app_id)
        record = {
            "id": app_id,
            "state": "under_review",
            "people": [f"slack:U{n % 3}", f"email:p{n % APPS}@example.jp"],
            "acceptance_number": number,
            "n": n,
            "note": "受付完了" * (1 + n % 5),
            "history": (current or {}).get("history", []) + [n],
        }
        store.commit(
            record,
            audit=[{"n": n, "to": "under_review", "serial": serial}],
            outbox=[{"id": f"m{n}", "n": n, "kind": "acknowledgment"}],
        )
    print(f"ok {n} {serial}", flush=True)
    if n % 4 == 0:
        store.checkpoint()  # kills land in checkpoints too
    n += 1
""".replace("APPS", str(APPS))


def run_and_kill(data: Path, start: int, rng: random.Random) -> list[tuple[int, int]]:
    """Start a committer at ``start``, SIGKILL it at a random moment, return what it acked."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), str(start)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acked: list[tuple[int, int]] = []
    first = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            word, n, serial = line.split()
            assert word == "ok"
            acked.append((int(n), int(serial)))
            first.set()

    reader = threading.Thread(target=read)
    reader.start()
    if rng.random() < 0.8:  # mostly mid-stream; sometimes during start-up or the first commit
        first.wait(10)
    time.sleep(rng.uniform(0, 0.25))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    reader.join(10)
    assert child.returncode == -signal.SIGKILL
    return acked


def state_files(root: Path) -> tuple[list[Path], list[Path]]:
    files, temps = [], []
    for folder, _, names in os.walk(root):
        for name in names:
            if name in (".lock", ".serve.lock"):
                continue  # an empty flock target, not state
            (temps if is_temp_file(name) else files).append(Path(folder) / name)
    return files, temps


def test_killed_committer_loses_nothing_it_acknowledged(tmp_path):
    data = tmp_path / "data"
    rng = random.Random(os.getpid())
    acked: list[tuple[int, int]] = []
    start = 0
    deadline = time.monotonic() + 15
    rounds = 0
    while rounds < 10 or (time.monotonic() < deadline and rounds < 14):
        got = run_and_kill(data, start, rng)
        acked += got
        # next run continues after anything this one may have committed but not acknowledged
        start = (max(n for n, _ in got) + 2) if got else start + 1
        rounds += 1
        if time.monotonic() > deadline:
            break
    assert rounds >= 10
    assert len(acked) >= 20, "the child hardly committed; the test proves nothing"

    store = TinyStore(data)  # cuts off a journal line torn by the last kill
    files, temps = state_files(data)
    for path in files:
        if path.suffix == ".jsonl":  # the journal and histories: whole JSON lines
            assert path.read_bytes().endswith(b"\n") or not path.read_bytes()
            [json.loads(line) for line in path.read_bytes().splitlines()]
        else:
            json.loads(path.read_bytes())  # every state file parses
    assert store.sweep_temp_files() == len(temps)
    assert state_files(data)[1] == []

    by_app: dict[str, list[int]] = defaultdict(list)
    for n, _ in acked:
        by_app[f"a{n % APPS}"].append(n)
    for app_id, ns in by_app.items():
        rec = store.get(app_id)
        assert rec is not None
        assert rec["n"] >= max(ns)
        assert set(ns) <= set(rec["history"])
        audit_ns = [entry["n"] for entry in store.audit(app_id)]
        assert audit_ns == sorted(set(audit_ns))  # appended in order, never twice
        assert set(ns) <= set(audit_ns)
        outbox_ids = [m["id"] for m in store.outbox(app_id)]
        assert {f"m{n}" for n in ns} <= set(outbox_ids)
        assert audit_ns == rec["history"]  # record, audit and outbox moved together
        assert outbox_ids == [f"m{n}" for n in audit_ns]
        assert store.by_number(rec["acceptance_number"])["id"] == app_id
        assert app_id in [r["id"] for r in store.records_of(f"email:p{app_id[1:]}@example.jp")]

    serials = [serial for _, serial in acked]
    assert len(serials) == len(set(serials))  # never handed out twice, across restarts
    all_audit_serials = [e["serial"] for a in store.all_ids() for e in store.audit(a)]
    assert len(all_audit_serials) == len(set(all_audit_serials))
    assert len(store.pending_outbox()) == sum(len(store.outbox(a)) for a in store.all_ids())

"""What the crash drill reads of the service's state, through the store's own code and never
writing: ``TinyView`` (a data directory, beside the running ``serve``, the way the command line
follows it) and ``PgView`` (the replicas' database); and ``readable``, which checks that every
file under a data directory can be read (JSON files whole, JSON-lines files line by line).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Protocol, TypeVar

from store.atomic import is_temp_file
from store.lock import StoreLock
from store.spool import SUFFIX as SPOOL_SUFFIX
from store.spool import Spool
from store.tiny.indexes import Indexes
from store.tiny.journal import Journal, segments
from store.tiny.layout import Layout, is_safe_name
from store.tiny.memory import Memory

Record = dict[str, Any]
T = TypeVar("T")


class View(Protocol):
    def records_of(self, person_key: str) -> list[Record]: ...

    def pending(self) -> int: ...

    def spooled_ids(self) -> set[str]: ...

    def close(self) -> None: ...


class TinyView:
    """The state of a TinyDB data directory as the store's code reads it (indexes, application
    files and the journal followed under the store's lock), with nothing ever written: no
    migration, no torn line cut off, no segment created or dropped (``TinyStore`` opened
    beside ``serve`` does those, and would hide what ``serve`` must handle on its own)."""

    def __init__(self, data: Path) -> None:
        self.paths = Layout(data)
        self.lock = StoreLock(self.paths.lock)
        self.memory: Memory | None = None
        self.journal: Journal | None = None
        self._ids = MessageIds()

    def _fresh(self) -> Memory:
        """Follow the journal; start afresh from the files when a checkpoint dropped the segment
        being followed (the lines after our position are then only in the files, and what we
        hold of the applications they touched would be stale)."""
        if self.journal is not None and self.journal.seq not in segments(self.paths.journal):
            self.memory = self.journal = None
        if self.memory is None or self.journal is None:
            self.memory = Memory(self.paths, Indexes.load(self.paths))
            if not self.paths.journal.is_dir():  # (Journal() would create it)
                return self.memory
            self.journal = Journal(self.paths.journal)
            self.journal.seq, self.journal.offset = self.memory.index.seq, 0
        if self.journal is not None and segments(self.paths.journal):  # (none: following would start one)
            for entry in self.journal.follow(writer=False):
                self.memory.apply(entry)
        return self.memory

    def records_of(self, person_key: str) -> list[Record]:
        with self.lock:
            memory = self._fresh()
            states = [memory.state(i) for i in memory.index.apps_of(person_key) if is_safe_name(i)]
            records = [s.decoded() for s in states if s is not None]
        return [r for r in records if person_key in (r.get("people") or ())]

    def pending(self) -> int:
        """Outbox messages not yet delivered."""
        with self.lock:
            memory = self._fresh()
            states = [memory.state(i) for i in memory.index.pending_ids(None) if is_safe_name(i)]
        return sum(1 for s in states if s for m in s.outbox.values() if m.get("status") == "pending")

    def spooled_ids(self) -> set[str]:
        """Message-IDs of the accepted mails in the spool: not processed, or processed and not
        yet made durable by a checkpoint (the file goes only after that), or set aside."""
        spool = self.paths.root / "spool"
        names = {f"{n}": spool / n for n in Spool(spool).names()} if spool.is_dir() else {}
        failed = spool / "failed"
        names |= {f"failed/{n}": failed / n for n in (os.listdir(failed) if failed.is_dir() else [])}
        return self._ids.of(names, lambda path: path.read_bytes().partition(b"\n")[2])  # envelope line, mail

    def close(self) -> None:
        self.lock.close()


class PgView:
    """The replicas' database, through ``PgStore`` (reads only)."""

    def __init__(self, url: str) -> None:
        from store.postgres import PgStore

        self.store = PgStore(url, pool_size=2)
        self._ids = MessageIds()

    def records_of(self, person_key: str) -> list[Record]:
        return self.store.records_of(person_key)

    def pending(self) -> int:
        return len(self.store.pending_outbox())

    def spooled_ids(self) -> set[str]:
        """Message-IDs of the accepted mails no replica has finished (waiting, claimed or not,
        or set aside)."""
        with self.store._conn() as (conn, _):
            rows = conn.execute("SELECT name FROM spool").fetchall()

        def raw(name: str) -> bytes:
            with self.store._conn() as (conn, _):
                row = conn.execute("SELECT raw FROM spool WHERE name = %s", (name,)).fetchone()
            return bytes(row[0]) if row else b""

        return self._ids.of({str(r[0]): str(r[0]) for r in rows}, raw)

    def close(self) -> None:
        self.store.close()


class MessageIds:
    """The Message-ID of each spooled mail, read once per spool entry (entries never change)."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}
        self._lock = threading.Lock()

    def of(self, entries: dict[str, T], read: Callable[[T], bytes]) -> set[str]:
        with self._lock:
            self.known = {name: self.known[name] for name in entries if name in self.known}
            for name, where in entries.items():
                if name not in self.known:
                    try:
                        raw = read(where)
                    except FileNotFoundError:  # processed and released meanwhile
                        continue
                    self.known[name] = str(BytesHeaderParser().parsebytes(raw).get("Message-ID") or "").strip()
            return set(self.known.values())


def readable(data: Path) -> dict[str, Any]:
    """Every ``*.json`` under ``data`` parses to an object; every line of every ``*.jsonl`` parses,
    except that a last line without its newline (a write torn by a kill) is counted apart, not
    as unreadable: the store must ignore or cut it (``torn_last_lines``, where)."""
    out: dict[str, Any] = {"json_files": 0, "jsonl_files": 0, "jsonl_lines": 0, "unreadable": 0,
                           "bad_lines": 0, "torn_last_lines": 0, "temp_files_left": 0, "spool_left": 0,
                           "problems": [], "torn": []}
    for folder, _, names in os.walk(data):
        for name in names:
            path = Path(folder) / name
            where = str(path.relative_to(data))
            if is_temp_file(name):
                out["temp_files_left"] += 1
            elif name.endswith(SPOOL_SUFFIX) and Path(folder).name == "spool":
                out["spool_left"] += 1
            elif name.endswith(".json"):
                out["json_files"] += 1
                try:
                    if not isinstance(json.loads(_read(path)), dict):
                        raise ValueError("not a JSON object")
                except ValueError as e:
                    out["unreadable"] += 1
                    out["problems"].append(f"{where}: {e}")
            elif name.endswith(".jsonl"):
                out["jsonl_files"] += 1
                _lines(_read(path), where, out)
    out["problems"] = out["problems"][:8]
    out["torn"] = out["torn"][:8]
    return out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:  # dropped meanwhile (a checkpoint of a running service)
        return b"{}"


def _lines(payload: bytes, where: str, out: dict[str, Any]) -> None:
    bad = 0
    lines = payload.split(b"\n")
    for n, raw in enumerate(lines):
        if not raw:
            continue
        last = n == len(lines) - 1  # no newline after it
        try:
            if not isinstance(json.loads(raw), dict):
                raise ValueError("not a JSON object")
            out["jsonl_lines"] += 1
            if last:  # whole, yet not ended: the next append would be glued to it
                out["torn_last_lines"] += 1
                out["torn"].append(f"{where}: a whole last line without its newline")
        except ValueError as e:
            if last:
                out["torn_last_lines"] += 1
                out["torn"].append(f"{where}: last line torn ({len(raw)} bytes)")
            else:
                bad += 1
                out["problems"].append(f"{where} line {n + 1}: {e}")
    out["bad_lines"] += bad
    out["unreadable"] += bad > 0

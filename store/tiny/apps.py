"""One application in memory, and its two files: the checkpoint and the history.

The checkpoint (a TinyDB file) holds the record and the messages not yet sent; the history (one
JSON object per line) holds the audit trail and the messages sent. A turn writes neither: it
writes one journal line, and the checkpointer moves its effects into these files later.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb.table import Document

from store.atomic import FILE_MODE, encode, ensure_dir, open_db, read_bytes
from store.counters import COUNTERS

Record = dict[str, Any]
SENT = "sent"


@dataclass
class AppState:
    rev: int  # how many commits the store has taken for this application
    record: bytes  # the record as JSON: decoded afresh for every reader, so nobody shares it
    outbox: dict[str, Record] = field(default_factory=dict)  # not yet archived, in queue order
    audit: list[tuple[int, int, Record]] = field(default_factory=list)  # (rev, n, entry) not archived

    def decoded(self) -> Record:
        value: Record = json.loads(self.record)
        return value

    def pending_channels(self) -> set[str]:
        return {str(m.get("channel")) for m in self.outbox.values() if m.get("status") == "pending"}

    def copy(self) -> AppState:
        return AppState(self.rev, self.record, {k: dict(v) for k, v in self.outbox.items()},
                        list(self.audit))


def load(path: Path) -> AppState | None:
    """The checkpoint of one application, or None when there is none."""
    db, _ = open_db(path)
    record = db.table("record").get(doc_id=1)
    if not isinstance(record, dict):
        return None
    meta: dict[str, Any] = dict(db.table("meta").get(doc_id=1) or {})
    outbox = {str(m["id"]): dict(m) for m in sorted(db.table("outbox").all(), key=lambda d: d.doc_id)
              if isinstance(m.get("id"), str)}
    rev = meta.get("rev", 0)
    return AppState(int(rev), encode(dict(record)), outbox)


def save(path: Path, state: AppState) -> None:
    """Write the checkpoint: the record and the messages not sent (one atomic file replace)."""
    db, buffer = open_db(path)
    db.drop_tables()  # the file is written whole from the state, not merged into
    db.table("record").insert(Document(state.decoded(), doc_id=1))
    db.table("meta").insert(Document({"rev": state.rev}, doc_id=1))
    unsent = [m for m in state.outbox.values() if m.get("status") != SENT]
    if unsent:
        db.table("outbox").insert_multiple(unsent)
    buffer.flush()


def archive(path: Path, audit: Iterable[tuple[int, int, Record]], sent: Iterable[Record]) -> None:
    """Append audit entries and sent messages to the history (synced: the checkpoint that
    drops them from memory is written after this)."""
    lines = [encode({"rev": rev, "n": n, "audit": entry}) for rev, n, entry in audit]
    lines += [encode({"sent": message}) for message in sent]
    if not lines:
        return
    ensure_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
    try:
        size = os.fstat(fd).st_size
        # A checkpoint killed mid-append may have left a torn last line: end it, so that what
        # follows is a line of its own (the torn one is skipped; the journal still has it).
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        os.write(fd, (b"\n" if torn else b"") + b"".join(line + b"\n" for line in lines))
        os.fdatasync(fd)
        COUNTERS.fsyncs += 1
    finally:
        os.close(fd)


def history(path: Path) -> tuple[dict[tuple[int, int], Record], list[Record]]:
    """(audit entries by (rev, n), sent messages) archived for one application, each once.

    A checkpoint cut short may have archived a line twice; it is read once."""
    audit: dict[tuple[int, int], Record] = {}
    sent: dict[str, Record] = {}
    for raw in (read_bytes(path) or b"").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a line torn by a kill: its content is still in the journal
        if isinstance(line.get("audit"), dict):
            audit.setdefault((int(line.get("rev", 0)), int(line.get("n", 0))), line["audit"])
        elif isinstance(line.get("sent"), dict):
            sent.setdefault(str(line["sent"].get("id")), line["sent"])
    return audit, list(sent.values())

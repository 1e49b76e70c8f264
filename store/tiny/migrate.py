"""Moving a data directory written by the first release (format 1) to this layout, once.

Format 1 kept every application's audit trail and every message ever sent inside its file, and
wrote index and marker files ahead of it. Here each file keeps its record and the messages not
sent; the audit trail and the sent messages go to its history; the indexes are rebuilt from the
records (the records, not the old indexes, are the truth). The old index folders are removed
last, after the new meta file is on disk, so a kill at any moment leaves a directory that the
next start migrates again from the start.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from store.atomic import atomic_write_bytes, encode, open_db, read_json
from store.tiny import apps, indexes
from store.tiny.apps import SENT, AppState
from store.tiny.indexes import Indexes
from store.tiny.layout import Layout, is_safe_name

log = logging.getLogger("webnaccs.store")
OLD_FOLDERS = ("people", "numbers", "serials", "outbox_pending", "wakeups")


def if_needed(paths: Layout) -> bool:
    """Migrate a format-1 directory; False when there is nothing to do. Under the lock.

    Format 1 had no journal: a directory with one is of this format, even without a meta file
    yet — during its first checkpoint, which writes the application files and the index shards
    outside the lock before the meta, a store opened beside ``serve`` (the command line) would
    otherwise take it for format 1 and rebuild the indexes from the application files written
    so far, over the checkpoint's own (people lost from the index, their records intact)."""
    if paths.meta.exists() or paths.journal.exists():
        return False
    if not any((paths.root / f).exists() for f in ("apps", *OLD_FOLDERS)):
        return False
    index = Indexes(paths)
    count = 0
    for path in sorted(paths.apps.glob("*/*.json")) if paths.apps.is_dir() else []:
        app_id = path.stem
        if not is_safe_name(app_id) or _already_new(path):
            state = apps.load(path) if is_safe_name(app_id) else None
        else:
            state = _move(paths, path, app_id)
        if state is not None:
            _index(index, app_id, state)
            count += 1
    for serial in sorted((paths.root / "serials").glob("*.json")):
        data = read_json(serial) or {}
        last = ((data.get("serial") or {}).get("1") or {}).get("last")
        if isinstance(last, int):
            index.note_serial(serial.stem, last)
    indexes.write(paths, index.snapshot(seq=0), atomic_write_bytes)
    for folder in OLD_FOLDERS:
        shutil.rmtree(paths.root / folder, ignore_errors=True)
    log.info("data directory migrated to format %d: %d application(s)", indexes.FORMAT, count)
    return True


def _already_new(path: Path) -> bool:
    """A file this migration wrote before a kill interrupted it (it has the meta table)."""
    db, _ = open_db(path)
    return db.table("meta").get(doc_id=1) is not None


def _move(paths: Layout, path: Path, app_id: str) -> AppState | None:
    db, _ = open_db(path)
    record = db.table("record").get(doc_id=1)
    if not isinstance(record, dict):
        return None
    audit = [(0, n, dict(e)) for n, e in enumerate(sorted(db.table("audit").all(), key=lambda d: d.doc_id))]
    messages = [dict(m) for m in sorted(db.table("outbox").all(), key=lambda d: d.doc_id)
                if isinstance(m.get("id"), str)]
    state = AppState(0, encode(dict(record)), {m["id"]: m for m in messages}, audit)
    apps.archive(paths.history(app_id), audit, [m for m in messages if m.get("status") == SENT])
    state.outbox = {k: m for k, m in state.outbox.items() if m.get("status") != SENT}
    state.audit = []
    apps.save(path, state)
    return state


def _index(index: Indexes, app_id: str, state: AppState) -> None:
    record = state.decoded()
    for person in record.get("people") or []:
        if isinstance(person, str):
            index.add_person(person, app_id)
    if isinstance(record.get("acceptance_number"), str):
        index.add_number(record["acceptance_number"], app_id)
    index.set_wakeup(app_id, record.get("wakeup"))
    index.set_pending(app_id, state.pending_channels())

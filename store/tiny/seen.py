"""Seen event and message ids (``Store.mark_seen``), in 256 shards with timestamps, pruned on a
schedule. Rare on the hot path: the inbound key of a turn is kept in its application's record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from tinydb import TinyDB
from tinydb.table import Document

from store.atomic import open_db
from store.tiny.layout import Layout


def _single(db: TinyDB) -> dict[str, dict[str, int]]:
    doc = db.table("seen").get(doc_id=1)
    return dict(doc) if isinstance(doc, Mapping) else {}


def _put(db: TinyDB, shard: dict[str, dict[str, int]]) -> None:
    table = db.table("seen")
    table.truncate()
    table.insert(Document(shard, doc_id=1))


def mark(paths: Layout, namespace: str, key: str, now: datetime) -> bool:
    """True the first time, False when already seen. The caller holds the lock."""
    db, buffer = open_db(paths.seen_shard(namespace, key))
    shard = _single(db)
    entries = dict(shard.get(namespace) or {})
    if key in entries:
        return False
    entries[key] = int(now.timestamp())  # whole seconds: fixed-size entries
    _put(db, {**shard, namespace: entries})
    buffer.flush()
    return True


def shards(paths: Layout) -> list[Path]:
    return sorted(paths.seen.glob("*.json")) if paths.seen.is_dir() else []


def prune(path: Path, cutoff: float) -> int:
    """Forget what one shard recorded before ``cutoff``; returns how many. Under the lock."""
    db, buffer = open_db(path)
    shard = _single(db)
    kept: dict[str, dict[str, int]] = {}
    removed = 0
    for namespace, entries in shard.items():
        fresh = {k: at for k, at in entries.items() if at >= cutoff}
        removed += len(entries) - len(fresh)
        if fresh:
            kept[namespace] = fresh
    if kept != shard:
        _put(db, kept)
        buffer.flush()
    return removed

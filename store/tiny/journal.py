"""The journal: an append-only log of everything the store was told since its last checkpoint.

One JSON object per line, in segment files ``journal/<seq>.jsonl``. A commit is ONE
``os.write`` of its line and one ``fdatasync``: the only fsync on the way to a reply. The sync is
taken after the store's lock is released (``sync_to``), so turns that commit at the same time
share one ``fdatasync`` (group commit) and none waits for another's disk. Other lines (delivery
marks, serials) are written without a sync of their own — they survive a killed process (the
kernel has them) and become durable with the next ``fdatasync``, which covers every earlier
write to the file.

Writers hold the store's lock. A line torn by a writer that died mid-write is cut off by the
next writer before it appends (under the same lock), so every segment reads as whole lines.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from store.atomic import FILE_MODE, ensure_dir, fsync_dir
from store.counters import COUNTERS

log = logging.getLogger("webnaccs.store")
SUFFIX = ".jsonl"


def segment_name(seq: int) -> str:
    return f"{seq:010d}{SUFFIX}"


def segments(folder: Path) -> list[int]:
    """Sequence numbers of the segments present, oldest first."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(int(n[: -len(SUFFIX)]) for n in names
                  if n.endswith(SUFFIX) and n[: -len(SUFFIX)].isdigit())


class Journal:
    """Appends to the newest segment and reads what others appended (a follower's position)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        ensure_dir(folder)
        self.seq = 0  # the segment being followed, and how far it was read
        self.offset = 0
        self.sole_rotator = False  # no other process starts segments (we own the directory)
        self.reading = False  # positioned in a segment by an earlier ``follow``
        self.dropped = False  # the segment being followed was dropped: reread the checkpoint
        self.written = 0  # bytes this process appended, over all segments …
        self.synced = 0  # … and how many of them are known to be on disk
        self._sync_lock = threading.Lock()
        self._fd: int | None = None
        self._fd_seq = -1

    # --- writing (under the store's lock, after ``follow``) ------------------------------

    def append(self, entry: dict[str, Any], *, sync: bool) -> int:
        """Write one line to the newest segment; returns its position for ``sync_to``. With
        ``sync`` it is durable when this returns (use it only outside the store's lock).

        On a failed or short write the segment is cut back to where it was, so nothing of
        this line stays behind; the error is raised."""
        line = json.dumps(entry, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode() + b"\n"
        fd = self._writer()
        start = self.offset
        try:
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"short write to the journal ({written} of {len(line)} bytes)")
        except BaseException:
            try:
                os.ftruncate(fd, start)
            except OSError:
                log.exception("could not cut a failed journal write back")
            raise
        COUNTERS.journal_lines += 1
        self.offset = start + len(line)
        self.written += len(line)
        if sync:
            self.sync_to(self.written)
        return self.written

    def sync_to(self, position: int) -> None:
        """Return once everything up to ``position`` (from ``append``) is on disk: one
        ``fdatasync`` for every line written so far, shared by whoever waits meanwhile."""
        if self.synced >= position:
            return
        with self._sync_lock:
            if self.synced >= position:
                return  # another thread's fdatasync covered it
            target, fd = self.written, self._fd
            if fd is not None:
                os.fdatasync(fd)
                COUNTERS.fsyncs += 1
            self.synced = max(self.synced, target)

    def rotate(self) -> int:
        """Start a new segment (durably named); returns the sequence number of the old one."""
        old = self.seq
        self.sync_to(self.written)  # what the old segment holds is on disk before it is left
        self._close()
        self.seq, self.offset = old + 1, 0
        path = self.folder / segment_name(self.seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
        os.close(fd)
        fsync_dir(self.folder)
        return old

    def drop_through(self, seq: int) -> None:
        """Delete the segments up to ``seq`` (a checkpoint holds what they said)."""
        for old in segments(self.folder):
            if old <= seq:
                (self.folder / segment_name(old)).unlink(missing_ok=True)

    # --- reading --------------------------------------------------------------------------

    def follow(self, *, writer: bool) -> Iterator[dict[str, Any]]:
        """Every line appended since the last call, across segments, oldest first.

        ``writer``: we hold the lock, so a partial last line is a torn write: cut it off."""
        if self.sole_rotator and self._fd_seq == self.seq and self._fd is not None \
                and os.fstat(self._fd).st_size == self.offset:
            return  # the usual case for the owner: nobody else wrote (one fstat, no listing)
        present = segments(self.folder)
        if not present:
            self.rotate()
            return
        if self.seq not in present:
            if self.reading and self.seq < present[0]:
                self.dropped = True  # a checkpoint took in what it held, what we had not read too
                return
            later = [s for s in present if s > self.seq]  # a fresh reader: from the checkpoint on
            self.seq, self.offset = (later[0] if later else present[-1]), 0
        self.reading = True
        for seq in [s for s in present if s >= self.seq]:
            if seq != self.seq:
                self.seq, self.offset = seq, 0
            yield from self._read_from(seq, last=seq == present[-1], writer=writer)

    def _read_from(self, seq: int, *, last: bool, writer: bool) -> Iterator[dict[str, Any]]:
        path = self.folder / segment_name(seq)
        try:
            with open(path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        for raw in data[:end].splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                log.error("journal %s: an unreadable line was skipped", path.name)
                continue
            if isinstance(entry, dict):
                yield entry
        self.offset += end
        if end < len(data) and last and writer:
            log.warning("journal %s: a line torn by a killed writer was cut off", path.name)
            with open(path, "r+b") as f:
                f.truncate(self.offset)

    # --- internals ------------------------------------------------------------------------

    def _writer(self) -> int:
        if self._fd is None or self._fd_seq != self.seq:
            self._close()
            path = self.folder / segment_name(self.seq)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
            self._fd_seq = self.seq
        return self._fd

    def _close(self) -> None:
        with self._sync_lock:  # not while a sync of this descriptor is under way
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def close(self) -> None:
        self._close()

"""Empty spool files made ahead of time, so that keeping an accepted mail costs one fdatasync.

A new file is durable only once its folder is fsynced too; a file that already exists (made,
with its folder fsynced once for many of them) needs only its data synced. So the spool keeps a
few empty files ready, named in the order they were made, and ``fill`` writes a mail into the
oldest: ``write`` + ``fdatasync``. An empty file is no mail (a free slot). A file cut short by
a crash was never acknowledged (the 250 follows the fdatasync); ``sweep`` removes both kinds
when the process that owns the spool starts.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from store.atomic import FILE_MODE, fsync_dir, write_all
from store.counters import COUNTERS

BATCH = 32  # slots made at once (one folder fsync); more are made when a quarter is left


class Slots:
    def __init__(self, folder: Path, suffix: str, *, batch: int = BATCH) -> None:
        self.folder = folder
        self.suffix = suffix
        self.batch = batch
        self._free: list[str] = []  # oldest first
        self._filling: set[str] = set()  # taken, being written: not a mail yet
        self._lock = threading.Lock()
        self._making: threading.Thread | None = None

    def fill(self, payload: bytes) -> str:
        """Write ``payload`` durably into a free slot; returns its name. Raises OSError when
        it cannot (the slot is then removed: a half-written file is never a mail)."""
        while True:
            name = self._take()
            try:
                fd = os.open(self.folder / name, os.O_WRONLY | os.O_CLOEXEC)  # never creates one
            except FileNotFoundError:
                self._release(name)
                continue  # removed by someone else: the next one
            try:
                try:
                    write_all(fd, payload)
                    os.fdatasync(fd)
                    COUNTERS.fsyncs += 1
                finally:
                    os.close(fd)
            except BaseException:
                (self.folder / name).unlink(missing_ok=True)
                self._release(name)
                raise
            COUNTERS.files_written += 1
            self._release(name)
            return name

    def filling(self) -> frozenset[str]:
        """Names being written right now (listed by nobody until written)."""
        with self._lock:
            return frozenset(self._filling)

    def sweep(self, whole: Callable[[Path], bool]) -> int:
        """Remove empty files and those ``whole`` finds cut short (left by an earlier run);
        only the process that owns the spool calls this, before it accepts mail."""
        removed = 0
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if not entry.name.endswith(self.suffix) or not entry.is_file():
                    continue
                path = Path(entry.path)
                if entry.stat().st_size == 0 or not whole(path):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def _take(self) -> str:
        with self._lock:
            if not self._free:
                self._free.extend(self._make())
            name = self._free.pop(0)
            self._filling.add(name)
            low = len(self._free) < max(1, self.batch // 4)
        if low:
            self._kick()
        return name

    def _release(self, name: str) -> None:
        with self._lock:
            self._filling.discard(name)

    def _kick(self) -> None:
        """Make the next batch in the background, before the free ones run out."""
        with self._lock:
            if self._making is not None and self._making.is_alive():
                return
            self._making = threading.Thread(target=self._refill, name="webnaccs-spool-slots", daemon=True)
            self._making.start()

    def _refill(self) -> None:
        try:
            made = self._make()
        except OSError:
            return  # the next fill makes them itself, and says why it cannot
        with self._lock:
            self._free = sorted([*self._free, *made])

    def _make(self) -> list[str]:
        names = []
        for _ in range(self.batch):
            name = f"{time.time_ns():020d}-{secrets.token_hex(4)}{self.suffix}"
            fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
            try:
                os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away
            finally:
                os.close(fd)
            names.append(name)
        fsync_dir(self.folder)  # once for the batch: from here each costs one fdatasync
        return names

"""Crash-safe JSON files for TinyDB.

A write never edits a file in place: the new content goes to a temp file in the same folder
(mode 0600), is fsynced, renamed over the target and the folder is fsynced, so after a crash a
file holds either its old or its new content, never a torn mix. ``BufferedMiddleware`` keeps a
TinyDB's changes in memory until ``flush()``, so many table operations become ONE such write.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.middlewares import Middleware
from tinydb.storages import Storage

from store.counters import COUNTERS

DIR_MODE = 0o700
FILE_MODE = 0o600
_TEMP_SUFFIX = ".tmp"

Tables = dict[str, dict[str, Any]]


def is_temp_file(name: str) -> bool:
    """Whether a file name is one of our temp files (left behind only by a crash mid-write)."""
    return name.startswith(".") and name.endswith(_TEMP_SUFFIX)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
        COUNTERS.fsyncs += 1
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create ``path`` and missing parents with mode 0700, durably (the parent is fsynced)."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
        return
    os.chmod(path, DIR_MODE)  # the umask may have taken bits away; make it exact
    fsync_dir(path.parent)


def encode(data: Any) -> bytes:
    """Strict JSON (no NaN), UTF-8, Japanese kept readable."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def read_json(path: Path) -> Any:
    """The parsed content of ``path``, or None when it is missing or empty."""
    payload = read_bytes(path)
    if payload is None or not payload.strip():
        return None
    return json.loads(payload)


def write_all(fd: int, payload: bytes) -> None:
    """Every byte of ``payload`` to ``fd`` (``os.write`` may write fewer than asked)."""
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload``: temp file → fsync → rename → fsync the folder."""
    folder = path.parent
    ensure_dir(folder)
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            write_all(fd, payload)
            os.fsync(fd)
            COUNTERS.fsyncs += 1
        finally:
            os.close(fd)
        os.replace(tmp, path)
        COUNTERS.files_written += 1
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def remove_file(path: Path) -> None:
    """Delete ``path`` if present, durably."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


class AtomicJSONStorage(Storage):
    """TinyDB storage writing each state with ``atomic_write_bytes``; never creates empty files."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def read(self) -> Tables | None:
        return cast("Tables | None", read_json(self.path))

    def write(self, data: Tables, before_write: Callable[[], None] | None = None) -> None:
        """Write ``data``; ``before_write`` runs once it is known to encode, before any file I/O."""
        payload = encode(data)
        if before_write is not None:
            before_write()
        atomic_write_bytes(self.path, payload)


class BufferedMiddleware(Middleware):
    """Reads the file once and keeps every change in memory until ``flush()``.

    Unlike TinyDB's ``CachingMiddleware`` it never writes on its own, not even on ``close()``:
    a batch that is not flushed is simply abandoned, which makes it a transaction.
    """

    storage: AtomicJSONStorage

    def __init__(self, storage_cls: type[AtomicJSONStorage] = AtomicJSONStorage) -> None:
        super().__init__(storage_cls)
        self._data: Tables | None = None
        self._loaded = False
        self.dirty = False

    def read(self) -> Tables | None:
        if not self._loaded:
            self._data = self.storage.read()
            self._loaded = True
        return self._data

    def write(self, data: Tables) -> None:
        self._data = data
        self._loaded = True
        self.dirty = True

    def flush(self, before_write: Callable[[], None] | None = None) -> bool:
        """Write the batch in one atomic write; False (and nothing run) when nothing changed."""
        if not self.dirty or self._data is None:
            return False
        self.storage.write(self._data, before_write)
        self.dirty = False
        return True

    def close(self) -> None:
        pass


def open_db(path: Path) -> tuple[TinyDB, BufferedMiddleware]:
    """A TinyDB over ``path`` whose changes reach the disk only through the returned buffer."""
    buffer = BufferedMiddleware(AtomicJSONStorage)
    return TinyDB(path, storage=buffer), buffer

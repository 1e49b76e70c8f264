"""One reentrant lock per data directory, across threads and processes."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

from store.atomic import FILE_MODE


class StoreLock:
    """A ``threading.RLock`` plus ``flock`` on a lock file, held while the outer-most ``with`` is.

    Each instance opens its own file description, so two instances (or processes) on the same
    directory exclude each other.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._rlock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._fd_pid = 0

    def _file(self) -> int:
        if self._fd is None or self._fd_pid != os.getpid():
            # After a fork the inherited description would share the parent's lock: reopen.
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            os.fchmod(fd, FILE_MODE)
            self._fd, self._fd_pid = fd, os.getpid()
        return self._fd

    def __enter__(self) -> None:
        self._acquire(wait=True)

    def try_enter(self) -> bool:
        """``__enter__`` when the lock is free this instant; False, holding nothing, when a
        thread or another process has it."""
        return self._acquire(wait=False)

    def _acquire(self, *, wait: bool) -> bool:
        if not self._rlock.acquire(blocking=wait):
            return False
        try:
            if self._depth == 0:
                fcntl.flock(self._file(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._depth += 1
        except BlockingIOError:  # only without waiting: another process holds it
            self._rlock.release()
            return False
        except BaseException:
            self._rlock.release()
            raise
        return True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._rlock.release()

    @property
    def outermost(self) -> bool:
        """Inside the outer-most ``with`` of this thread (the moment to look for others' writes)."""
        return self._depth == 1

    def close(self) -> None:
        with self._rlock:
            if self._depth == 0 and self._fd is not None:
                os.close(self._fd)
                self._fd = None

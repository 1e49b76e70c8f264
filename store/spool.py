"""A durable spool for inbound mail: each accepted message is one file, written before the
SMTP server answers 250, and removed only once the message has been processed.

A file holds one JSON line (the envelope: sender, recipients, when it arrived, and the size of
the message) followed by the raw message bytes. Names sort in arrival order, so leftovers after
a crash are processed in the order they came in. A mail is written into an empty file made
ahead of time (``store.slots``: one fdatasync, the folder was fsynced when the file was made);
an empty file is no mail, and one shorter than its size says was cut by a crash before the 250
and is removed when the service starts (``sweep``).

A mail whose processing failed keeps its tries in ``tries/NAME.json`` (how many, when the next
one is due, why the last failed), so a restart neither forgets them nor tries it again at once.
A mail that can never be processed is set aside: moved to ``failed/`` with ``failed/NAME.json``
(why, how often tried, who sent it, whether the sender was told), until the operator puts it
back (``webnaccs-bot inbound retry``), which moves it into the spool for the running service.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.atomic import atomic_write_bytes, encode, ensure_dir, fsync_dir, is_temp_file, read_bytes, remove_file
from store.slots import Slots

SUFFIX = ".mail"
SIZE = "size"  # of the raw message, in the envelope line: a file cut short is told by it


@dataclass(frozen=True)
class Spooled:
    name: str
    envelope: dict[str, Any]
    raw: bytes
    attempts: int = 0  # failed tries so far (kept across restarts)


@dataclass(frozen=True)
class SetAside:
    """A mail set aside for the operator; ``info`` as the worker gave it (reason, attempts,
    error, sender, subject, set_aside_at, told)."""

    name: str
    envelope: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.failed = self.folder / "failed"
        self.tries = self.folder / "tries"
        self._processed: list[str] = []
        ensure_dir(self.folder)
        self._slots = Slots(self.folder, SUFFIX)

    def put(self, raw: bytes, envelope: dict[str, Any]) -> str:
        """Store one message durably; returns its name. Raises OSError when it cannot."""
        header = json.dumps({**envelope, SIZE: len(raw)}, ensure_ascii=False, separators=(",", ":")).encode()
        return self._slots.fill(header + b"\n" + raw)

    def sweep(self) -> int:
        """Remove what a crash left that is no mail (empty files made ahead, a mail cut short
        before its 250). Only the service that owns the spool calls this, as it starts."""
        return self._slots.sweep(_whole)

    def names(self) -> list[str]:
        """Messages waiting to be processed whose next try is due, oldest first."""
        now = time.time()
        later = {name for name, tried in self._tried().items() if float(tried.get("next_at") or 0) > now}
        return [n for n in self.waiting() if n not in later]

    def waiting(self) -> list[str]:
        """Every message waiting to be processed, due or not, oldest first."""
        done = {*self._processed, *self._slots.filling()}
        return [n for n in _mail_files(self.folder) if n not in done]

    def counts(self) -> tuple[int, int]:
        """(mails in the spool — accepted and not yet released by a checkpoint —, set aside)."""
        return len(_mail_files(self.folder)), len(_mail_files(self.failed))

    def retrying(self) -> list[SetAside]:
        """Waiting mails with failed tries, oldest first; ``info``: attempts, next_at (ISO), reason."""
        tried = self._tried()
        found = []
        for name in self.waiting():
            if name not in tried:
                continue
            try:
                envelope = _envelope_of(self.folder / name)
            except FileNotFoundError:
                continue
            state = tried[name]
            next_at = datetime.fromtimestamp(float(state.get("next_at") or 0), UTC).isoformat()
            found.append(SetAside(name, envelope, {"attempts": int(state.get("attempts") or 0),
                                                   "next_at": next_at, "reason": state.get("reason") or ""}))
        return found

    def read(self, name: str) -> Spooled:
        envelope, raw = _parts((self.folder / _checked(name)).read_bytes())
        tried = _json(self.tries / _state(name))
        return Spooled(name, envelope, raw, int(tried.get("attempts") or 0))

    def done(self, name: str) -> None:
        """Forget a processed message (durably)."""
        remove_file(self.folder / _checked(name))
        (self.tries / _state(name)).unlink(missing_ok=True)

    def processed(self, name: str) -> None:
        """The core has what this message meant, perhaps not yet on disk (its write was not
        synced: this file is what makes it durable). Removed by ``release``."""
        self._processed.append(_checked(name))

    @property
    def processed_count(self) -> int:
        return len(self._processed)

    def release(self, count: int) -> int:
        """Remove the first ``count`` messages processed: those counted before a checkpoint of
        the store began, which made their effects durable. A kill before the removal reaches
        the disk means they are read again at the next start, recognised by their Message-IDs."""
        names, self._processed = self._processed[:count], self._processed[count:]
        for name in names:
            (self.folder / name).unlink(missing_ok=True)
            (self.tries / _state(name)).unlink(missing_ok=True)
        return len(names)

    def retry_later(self, name: str, *, attempts: int, delay: float, reason: str) -> None:
        """Remember a failed try (durably): ``names`` leaves the mail out for ``delay`` seconds."""
        _checked(name)
        ensure_dir(self.tries)
        state = {"attempts": attempts, "next_at": time.time() + delay, "reason": reason}
        atomic_write_bytes(self.tries / _state(name), encode(state))

    def set_aside(self, name: str, info: dict[str, Any] | None = None) -> None:
        """Move a message that cannot be processed to ``failed/`` for the operator; ``info``
        (JSON) is kept beside it. Its description is written first: a crash between the two
        leaves the mail waiting, never set aside without it."""
        ensure_dir(self.failed)
        atomic_write_bytes(self.failed / _state(name), encode(info or {}))
        os.replace(self.folder / _checked(name), self.failed / name)
        fsync_dir(self.failed)
        fsync_dir(self.folder)
        (self.tries / _state(name)).unlink(missing_ok=True)

    def set_aside_list(self) -> list[SetAside]:
        """What was set aside, oldest first (a mail an earlier release set aside has no info)."""
        found = []
        for name in _mail_files(self.failed):
            try:
                envelope = _envelope_of(self.failed / name)
            except FileNotFoundError:
                continue  # put back meanwhile
            found.append(SetAside(name, envelope, _json(self.failed / _state(name))))
        return found

    def read_set_aside(self, name: str) -> Spooled:
        envelope, raw = _parts((self.failed / _checked(name)).read_bytes())
        return Spooled(name, envelope, raw)

    def mark_told(self, name: str) -> None:
        """The sender was told that this mail was set aside."""
        path = self.failed / _state(_checked(name))
        info = _json(path)
        if info and (self.failed / name).exists():
            atomic_write_bytes(path, encode({**info, "told": True}))

    def put_back(self, name: str) -> bool:
        """Return a set-aside mail to the spool with no tries counted (the running service
        finds it at its next look); False when there is no such mail set aside."""
        _checked(name)
        try:
            os.replace(self.failed / name, self.folder / name)
        except FileNotFoundError:
            return False
        fsync_dir(self.folder)
        fsync_dir(self.failed)
        remove_file(self.failed / _state(name))
        (self.tries / _state(name)).unlink(missing_ok=True)
        return True

    def _tried(self) -> dict[str, dict[str, Any]]:
        try:
            entries = os.listdir(self.tries)
        except FileNotFoundError:
            return {}
        return {n[:-len(".json")]: _json(self.tries / n) for n in entries
                if n.endswith(SUFFIX + ".json") and not is_temp_file(n)}


def _mail_files(folder: Path) -> list[str]:
    """The mails in ``folder``, oldest first: not the empty files made ahead (``store.slots``)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if e.name.endswith(SUFFIX) and not is_temp_file(e.name)
                          and _size(e) > 0)
    except FileNotFoundError:
        return []


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat().st_size
    except FileNotFoundError:
        return 0  # removed meanwhile


def _parts(payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The envelope and the raw message of a spool file."""
    header, _, raw = payload.partition(b"\n")
    return _envelope(header), raw


def _envelope(header: bytes) -> dict[str, Any]:
    """A spool file's first line as the envelope its mail came with (without the size)."""
    envelope = json.loads(header) if header.strip() else {}
    if not isinstance(envelope, dict):
        return {}
    envelope.pop(SIZE, None)
    return envelope


def _whole(path: Path) -> bool:
    """Whether a spool file holds as many bytes as its header says (a file from before the
    size was written is whole: it was written to a temp file and renamed)."""
    with open(path, "rb") as f:
        header = f.readline(1 << 20)
        rest = os.fstat(f.fileno()).st_size - len(header)
    try:
        envelope = json.loads(header) if header.strip() else None
    except ValueError:
        return False
    if not isinstance(envelope, dict) or not header.endswith(b"\n"):
        return False
    size = envelope.get(SIZE)
    return size is None or size == rest


def _envelope_of(path: Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        return _envelope(f.readline(1 << 20))


def _json(path: Path) -> dict[str, Any]:
    data = read_bytes(path)
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _state(name: str) -> str:
    return _checked(name) + ".json"


def _checked(name: str) -> str:
    if "/" in name or name.startswith(".") or not name.endswith(SUFFIX):
        raise ValueError(f"not a spool file name: {name!r}")
    return name

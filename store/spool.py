"""A durable spool for inbound mail: each accepted message is one file, written before the
SMTP server answers 250, and removed only once the message has been processed.

A file holds one JSON line (the envelope: sender, recipients, when it arrived) followed by the
raw message bytes. Names sort in arrival order, so leftovers after a crash are processed in the
order they came in. Files go through ``atomic_write_bytes`` (temp file, fsync, rename, fsync the
folder): after a crash a file is either whole or absent.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.atomic import atomic_write_bytes, ensure_dir, fsync_dir, is_temp_file, remove_file

SUFFIX = ".mail"


@dataclass(frozen=True)
class Spooled:
    name: str
    envelope: dict[str, Any]
    raw: bytes


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.failed = self.folder / "failed"
        self._processed: list[str] = []
        ensure_dir(self.folder)

    def put(self, raw: bytes, envelope: dict[str, Any]) -> str:
        """Store one message durably; returns its name. Raises OSError when it cannot."""
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}{SUFFIX}"
        header = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        atomic_write_bytes(self.folder / name, header + b"\n" + raw)
        return name

    def names(self) -> list[str]:
        """Messages waiting to be processed, oldest first."""
        try:
            entries = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        done = set(self._processed)
        return sorted(n for n in entries if n.endswith(SUFFIX) and not is_temp_file(n) and n not in done)

    def read(self, name: str) -> Spooled:
        payload = (self.folder / _checked(name)).read_bytes()
        header, _, raw = payload.partition(b"\n")
        envelope = json.loads(header) if header.strip() else {}
        return Spooled(name, envelope if isinstance(envelope, dict) else {}, raw)

    def done(self, name: str) -> None:
        """Forget a processed message (durably)."""
        remove_file(self.folder / _checked(name))

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
        return len(names)

    def set_aside(self, name: str) -> None:
        """Move a message that cannot be processed to ``failed/`` for the operator."""
        ensure_dir(self.failed)
        os.replace(self.folder / _checked(name), self.failed / name)
        fsync_dir(self.failed)
        fsync_dir(self.folder)


def _checked(name: str) -> str:
    if "/" in name or name.startswith(".") or not name.endswith(SUFFIX):
        raise ValueError(f"not a spool file name: {name!r}")
    return name

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
        return sorted(n for n in entries if n.endswith(SUFFIX) and not is_temp_file(n))

    def read(self, name: str) -> Spooled:
        payload = (self.folder / _checked(name)).read_bytes()
        header, _, raw = payload.partition(b"\n")
        envelope = json.loads(header) if header.strip() else {}
        return Spooled(name, envelope if isinstance(envelope, dict) else {}, raw)

    def done(self, name: str) -> None:
        """Forget a processed message (durably)."""
        remove_file(self.folder / _checked(name))

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

"""What the store paid for, counted in the process (benchmarks read them; nothing depends on them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Counters:
    fsyncs: int = 0  # fsync and fdatasync calls
    files_written: int = 0  # files replaced or created whole
    journal_lines: int = 0

    def snapshot(self) -> dict[str, int]:
        return asdict(self)


COUNTERS = Counters()

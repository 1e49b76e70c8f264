"""Shared measuring helpers: every figure is compared with a baseline measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Figure:
    name: str
    unit: str
    ours_p50: float
    ours_p99: float
    base_p50: float
    base_p99: float
    samples: int
    goal: str = ""
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)  # further figures (JSON only)

    @property
    def ratio(self) -> float:
        return self.ours_p50 / self.base_p50 if self.base_p50 else float("inf")

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ratio_p50": round(self.ratio, 3)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarise(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 0.99)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call, one sample per call."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def interleaved(ours: Callable[[], object], base: Callable[[], object], repeat: int
                ) -> tuple[list[float], list[float]]:
    """Alternate the two so machine noise hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        a += timed(ours, 1)
        b += timed(base, 1)
    return a, b


def paid(channel: str, ours: dict[str, float], base: dict[str, float], turns: int) -> list[Figure]:
    """Rows for what one turn cost: fsyncs and files written (ours, counted by the service) and
    CPU time (ours against the baseline's, from /proc)."""
    return [
        Figure(f"fsyncs per {channel} turn", "per turn", ours.get("fsyncs", 0.0), 0, 0, 0, turns,
               goal="≤ 2", extra={"journal_lines": ours.get("journal_lines", 0.0)}),
        Figure(f"files written per {channel} turn", "per turn", ours.get("files_written", 0.0), 0, 0, 0, turns,
               goal="≤ 2", note="an inbound mail's spool file included (issue 10: at most 2 per turn)"),
        Figure(f"CPU per {channel} turn", "ms", ours["cpu"] * 1000, ours["cpu"] * 1000, base["cpu"] * 1000,
               base["cpu"] * 1000, turns, goal="as low as the baseline", note="user + system time of each process"),
    ]

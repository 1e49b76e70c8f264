"""What ``GET /metrics`` shows, in the Prometheus text format (prometheus-client).

Turns and their latency per channel are observed by the channels; the store's own counters
(fsyncs, files written, journal lines) are read when scraped. One registry of our own, so tests
that build several services in one process never register twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from store.counters import COUNTERS

REGISTRY = CollectorRegistry()
TURNS = Counter("webnaccs_turns", "Messages from people handled by the core", ["channel"], registry=REGISTRY)
TURN_SECONDS = Histogram("webnaccs_turn_seconds", "Time from a message's arrival to its turn being saved",
                         ["channel"], registry=REGISTRY,
                         buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))


class _StoreCounters(Collector):
    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = COUNTERS.snapshot()
        yield CounterMetricFamily("webnaccs_store_fsyncs", "fsync and fdatasync calls", value=counts["fsyncs"])
        yield CounterMetricFamily("webnaccs_store_files_written", "Files written whole (replaced or created)",
                                  value=counts["files_written"])
        yield CounterMetricFamily("webnaccs_store_journal_lines", "Lines appended to the journal",
                                  value=counts["journal_lines"])


REGISTRY.register(_StoreCounters())


@contextmanager
def turn(channel: str) -> Iterator[None]:
    """Count one turn of ``channel`` and time it (failed turns are counted too)."""
    began = time.perf_counter()
    try:
        yield
    finally:
        TURNS.labels(channel).inc()
        TURN_SECONDS.labels(channel).observe(time.perf_counter() - began)


def exposition() -> bytes:
    return generate_latest(REGISTRY)

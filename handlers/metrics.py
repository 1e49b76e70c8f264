"""What ``GET /metrics`` shows, in the Prometheus text format (prometheus-client).

Observed as they happen: turns and their latency per channel (by the channels); deliveries,
retries and failures per outbox channel, and reminders delivered (by :class:`Counted`, which
wraps each channel's senders); operator alerts raised by the senders (:func:`alert`). Read
when scraped: the store's own counters (fsyncs, files written, journal lines); messages
pending per channel; inbound mails in the spool and set aside. Applications per state and
failed messages per channel come from a :class:`Census` of the store, redone in a thread at
most every ``CENSUS_SECONDS``: a scrape never walks the applications itself. One registry of
our own, so tests that build several services in one process never register twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.ports import Store
from handlers.census import CENSUS_SECONDS, Census
from handlers.outbox import FOUND, Permanent, Prepares, Retry, Sender
from store.counters import COUNTERS

REGISTRY = CollectorRegistry()
TURNS = Counter("webnaccs_turns", "Messages from people handled by the core", ["channel"], registry=REGISTRY)
TURN_SECONDS = Histogram("webnaccs_turn_seconds", "Time from a message's arrival to its turn being saved",
                         ["channel"], registry=REGISTRY,
                         buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
DELIVERIES = Counter("webnaccs_outbox_deliveries", "Outbox delivery attempts by outcome: sent, found (sent "
                     "before a restart, found in Slack and recorded, not sent again), retry (a temporary "
                     "failure, tried again later), failed (given up), error (an unexpected one)",
                     ["channel", "outcome"], registry=REGISTRY)
REMINDERS = Counter("webnaccs_reminders_sent", "Reminder notices delivered, by reminder (idle, closed, "
                    "certificate, start)", ["reminder"], registry=REGISTRY)
ALERTS = Gauge("webnaccs_operator_alert", "1 while a problem only the operator can fix lasts: alert "
               "slack_review_channel with the reason Slack gave (not_in_channel, is_archived, channel_not_found); "
               "the messages concerned stay pending and go out after the fix", ["alert", "reason"], registry=REGISTRY)
_alerting: dict[str, str] = {}


def alert(name: str, reason: str | None) -> None:
    """Raise (``reason``) or clear (None) the operator alert ``name``."""
    old = _alerting.pop(name, None)
    if old is not None and old != reason:
        ALERTS.remove(name, old)
    if reason is not None:
        _alerting[name] = reason
        ALERTS.labels(name, reason).set(1)


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


# --- deliveries ------------------------------------------------------------------------------


class Counted:
    """A ``Sender`` that counts what the one it wraps does, and passes everything through."""

    def __init__(self, channel: str, sender: Sender) -> None:
        self.channel = channel
        self.sender = sender

    def prepare(self, message: dict[str, Any]) -> None:
        if isinstance(self.sender, Prepares):
            self.sender.prepare(message)

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self.sender.send(message)
        except Retry:
            DELIVERIES.labels(self.channel, "retry").inc()
            raise
        except Permanent:
            DELIVERIES.labels(self.channel, "failed").inc()
            raise
        except Exception:
            DELIVERIES.labels(self.channel, "error").inc()
            raise
        DELIVERIES.labels(self.channel, "found" if message.get(FOUND) else "sent").inc()
        if message.get("notice") == "reminder":
            REMINDERS.labels(str((message.get("params") or {}).get("reminder") or "other")).inc()


def counted(senders: Mapping[str, Sender]) -> dict[str, Sender]:
    """The same senders, counted (a sender already counted is left as it is)."""
    return {name: s if isinstance(s, Counted) else Counted(name, s) for name, s in senders.items()}


# --- the state of things, at scrape --------------------------------------------------------------


class _Counting(Protocol):
    def counts(self) -> tuple[int, int]: ...


class _Watched(Collector):
    def __init__(self, store: Store, spool: _Counting, census: Census) -> None:
        self.store = store
        self.spool = spool
        self.census = census

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily("webnaccs_outbox_pending", "Messages waiting to be delivered", labels=["channel"])
        for channel, count in _per_channel(self.store.pending_outbox()).items():
            pending.add_metric([channel], count)
        yield pending
        spooled = GaugeMetricFamily("webnaccs_inbound_spooled", "Inbound mails in the spool: accepted (250) and "
                                    "not yet released by a checkpoint")
        waiting, set_aside = self.spool.counts()
        spooled.add_metric([], waiting)
        yield spooled
        aside = GaugeMetricFamily("webnaccs_inbound_failed", "Inbound mails set aside in spool/failed/ after "
                                  "failing to be processed (for the operator)")
        aside.add_metric([], set_aside)
        yield aside
        taken = self.census.latest()
        if taken is None:  # the first census is still under way
            return
        states = GaugeMetricFamily("webnaccs_applications", f"Applications per state (counted at most every "
                                   f"{CENSUS_SECONDS:.0f} s)", labels=["state"])
        for state, count in sorted(taken.states.items()):
            states.add_metric([state], count)
        yield states
        failed = GaugeMetricFamily("webnaccs_outbox_failed", f"Messages given up, waiting for the operator "
                                   f"(`webnaccs-bot outbox`; counted at most every {CENSUS_SECONDS:.0f} s)",
                                   labels=["channel"])
        for channel, count in sorted(taken.failed.items()):
            failed.add_metric([channel], count)
        yield failed
        age = GaugeMetricFamily("webnaccs_census_age_seconds", "Seconds since the counts of applications per "
                                "state and of failed messages were taken")
        age.add_metric([], taken.age())
        yield age


def _per_channel(messages: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in messages:
        channel = str(m.get("channel") or "")
        counts[channel] = counts.get(channel, 0) + 1
    return dict(sorted(counts.items()))




_watching: list[Collector] = []


def watch(store: Store, spool: _Counting, *, every: float = CENSUS_SECONDS) -> Census:
    """Show the state of ``store`` (and of the inbound ``spool``) at each scrape, instead of
    whatever was watched before; returns the census, started."""
    unwatch()
    census = Census(store, every=every)
    collector = _Watched(store, spool, census)
    REGISTRY.register(collector)
    _watching.append(collector)
    census.start()
    return census


def unwatch() -> None:
    """Stop showing what ``watch`` showed (its store may be closed next)."""
    for old in _watching:
        REGISTRY.unregister(old)
    _watching.clear()


def instrument(channels: list[Any]) -> list[Any]:
    """``channels`` with their senders counted (``webnaccs_outbox_deliveries``, reminders)."""
    for channel in channels:
        channel.senders = counted(channel.senders)
    return channels

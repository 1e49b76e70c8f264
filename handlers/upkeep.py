"""Keeping the data directory small while ``serve`` runs: a checkpoint of the store every so
often (and at stop), after which the channels may drop inbound messages whose turns it made
durable; and, once a day, forgetting seen ids older than a month."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.ports import Clock

log = logging.getLogger("webnaccs.upkeep")
SEEN_KEPT = timedelta(days=30)  # Slack retries within minutes and mail within days


class Checkpointing(Protocol):
    def checkpoint(self) -> int: ...

    def prune_seen(self, older_than: datetime) -> int: ...


@runtime_checkable
class Holder(Protocol):
    """A channel that keeps inbound messages until a checkpoint has made their turns durable."""

    def before_checkpoint(self) -> int: ...

    async def checkpointed(self, mark: int) -> None: ...


async def checkpoint(store: Checkpointing, holders: Sequence[Holder]) -> int:
    marks = [h.before_checkpoint() for h in holders]
    written = await asyncio.to_thread(store.checkpoint)
    for holder, mark in zip(holders, marks, strict=True):
        await holder.checkpointed(mark)
    return written


async def run(store: Checkpointing, holders: Sequence[Holder], clock: Clock, stop: asyncio.Event, *,
              every: float = 30.0, prune_every: float = 86400.0) -> None:
    pruned_at = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        try:
            await checkpoint(store, holders)
            if time.monotonic() - pruned_at >= prune_every:
                pruned_at = time.monotonic()
                forgotten = await asyncio.to_thread(store.prune_seen, clock.now() - SEEN_KEPT)
                log.info("seen ids: %d older than %s forgotten", forgotten, SEEN_KEPT)
        except Exception:  # a full disk now must not stop the next try
            log.exception("checkpoint failed; the journal keeps everything meanwhile")

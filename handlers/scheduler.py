"""The reminder scheduler: a task on the service loop that runs the core's reminders now and
then (Japan time is the core's business), including right after a start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.service import Service

log = logging.getLogger("webnaccs.scheduler")


async def run(service: Service, stop: asyncio.Event, *, every: float = 60.0) -> None:
    while not stop.is_set():
        try:
            taken = await asyncio.to_thread(service.run_reminders)
            if taken:
                log.info("reminders: %d action(s)", taken)
        except Exception:  # a bad record must not stop the reminders of the others
            log.exception("reminder pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)

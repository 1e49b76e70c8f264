"""Slack turn: one DM answer, from the signed HTTP POST of a ``message.im`` event to the bot's
``chat.postMessage`` arriving at the loopback Slack API mock.

Ours: ``python -m handlers serve`` (its own process) in HTTP mode against ``BenchSlack``; each
sample is one message of a whole application walked in a DM (the first message, 16 answers and
登録), so the median is over the real mix of questions. Baseline: a bare slack-bolt app on the
same aiohttp adapter (``bench.baseline_slack``, its own process) posting a constant reply to the
same mock. The two alternate message by message, with the same pause after each answer.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import aiohttp

from bench import stack
from bench.applicants import SlackApplicant, Step
from bench.common import Figure, paid, summarise

PACE = 0.05  # seconds between one answer arriving and the next message (both sides)
_users = itertools.count(1)


class Pair:
    """Our service and the baseline, side by side, on one mock."""

    def __init__(self, mock: stack.BenchSlack, ours: stack.ServiceProcess, base: stack.ServiceProcess,
                 session: aiohttp.ClientSession, start_date: str) -> None:
        self.mock = mock
        self.ours = ours
        self.base = base
        self.session = session
        self.start_date = start_date

    def applicant(self, prefix: str = "UB") -> SlackApplicant:
        return SlackApplicant(f"{prefix}{next(_users):06d}", url=f"{self.ours.url}/slack/events",
                              session=self.session, mock=self.mock, start_date=self.start_date,
                              patience=30.0)

    async def base_turn(self, user: str, text: str) -> Step:
        """One message to the baseline, until its constant reply arrives."""
        probe = SlackApplicant(user, url=f"{self.base.url}/slack/events", session=self.session,
                               mock=self.mock, start_date=self.start_date, patience=30.0)
        step = await probe.say(text, retry=False)
        assert step.acked, step.errors
        while True:
            at, call = await self.mock.waiters.next(user, 30.0)
            if at >= step.sent and call.method == "chat.postMessage":
                step.answered = at
                return step

    async def interleaved(self, walks: int) -> tuple[list[Step], list[Step]]:
        """``walks`` whole applications on our side, each message followed by one to the
        baseline; returns (ours, baseline) steps."""
        ours: list[Step] = []
        base: list[Step] = []
        for _ in range(walks):
            applicant = self.applicant()
            base_user = f"UX{next(_users):06d}"
            for index, text in enumerate(applicant.texts):
                step = await applicant.say(text, retry=False)
                assert step.acked, (text, step.errors, step.statuses)
                await applicant.wait(step, index)
                ours.append(step)
                await asyncio.sleep(PACE)
                base.append(await self.base_turn(base_user, text))
                await asyncio.sleep(PACE)
            assert applicant.acceptance_number, "the walk did not end in a filing"
        return ours, base


async def setup(workdir: Path, data_dir: Path | None = None) -> tuple[stack.BenchSlack, Any, Any, list[Any]]:
    mock = stack.BenchSlack()
    await mock.start()
    schedule = workdir / "schedule.txt"
    dates = stack.write_schedule(schedule)
    ours = stack.service(workdir, data_dir or workdir / "data", schedule, api_url=mock.url, relay_port=None)
    base = stack.baseline_slack(workdir, mock.url)
    return mock, ours, base, dates


def figure(name: str, ours: list[Step], base: list[Step], goal: str, note: str = "",
           **extra: Any) -> Figure:
    a = [s.turn * 1000 for s in ours]
    b = [s.turn * 1000 for s in base]
    ack_a = [s.ack_latencies[-1] * 1000 for s in ours]
    ack_b = [s.ack_latencies[-1] * 1000 for s in base]
    (a50, a99), (b50, b99) = summarise(a), summarise(b)
    extra = {"ack_ms_p50_ours": round(summarise(ack_a)[0], 2), "ack_ms_p50_base": round(summarise(ack_b)[0], 2),
             **extra}
    return Figure(name, "ms", a50, a99, b50, b99, len(a), goal=goal, note=note, extra=extra)


async def measure(quick: bool) -> list[Figure]:
    walks = 2 if quick else 16
    with stack.scratch("slack") as workdir:
        mock, ours, base, dates = await setup(workdir)
        async with aiohttp.ClientSession() as session:
            try:
                await ours.start()
                await base.start()
                pair = Pair(mock, ours, base, session, dates[2].isoformat())
                await pair.interleaved(1)  # warm-up: imports, first auth.test, caches
                async with stack.Counted(ours.url, ours.pid) as ours_paid, \
                        stack.Counted(None, base.pid) as base_paid:
                    a, b = await pair.interleaved(walks)
            finally:
                await ours.stop()
                await base.stop()
                await mock.stop()
    return [figure("slack turn (DM answer → chat.postMessage)", a, b, "p50 ratio ≤ 1.5",
                   note=f"{walks} applications × {len(a) // walks} messages, interleaved with the baseline"),
            *paid("slack", ours_paid.per(len(a)), base_paid.per(len(b)), len(a))]


def run(quick: bool = False) -> list[Figure]:
    return asyncio.run(measure(quick))

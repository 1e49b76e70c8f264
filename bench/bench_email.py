"""Email turn: one reply mail, from the client sending SMTP DATA to the next question arriving at
a loopback relay sink.

Ours: ``python -m handlers serve`` (its own process) with ``WEBNACCS_SMTP_RELAY`` pointing at
``BenchSink`` (aiosmtpd, in this process); each sample is one mail of a whole application made by
replying to the bot's mails (Outlook, Gmail and Thunderbird style replies in turn), so the median
is over the real mix of questions. Baseline: a bare aiosmtpd handler (``bench.baseline_email``,
its own process) that answers 250 and forwards the mail to the same sink. Connect, EHLO, MAIL and
RCPT are not timed (both sides); the clock starts when the client sends DATA.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from bench import stack
from bench.applicants import MailApplicant, Step
from bench.common import Figure, paid, summarise

PACE = 0.05
_people = itertools.count(1)


class Pair:
    def __init__(self, sink: stack.BenchSink, ours: stack.ServiceProcess, base: stack.ServiceProcess,
                 start_date: str) -> None:
        self.sink = sink
        self.ours = ours
        self.base = base
        self.start_date = start_date

    def applicant(self) -> MailApplicant:
        assert self.ours.smtp_port
        return MailApplicant(f"mb{next(_people):06d}@example.co.jp", port=self.ours.smtp_port,
                             sink=self.sink, start_date=self.start_date, patience=30.0)

    async def base_turn(self, probe: MailApplicant, index: int, text: str, question: Any) -> Step:
        """The same mail our applicant just sent, to the forwarder, until it comes back."""
        probe.question = question
        raw, _, message_id = probe.mail_for(index, text)
        step = Step(text, message_id)
        self.sink.waiters.clear(probe.address)
        await probe.send(step, raw, "anyone@localhost", retry=False)
        assert step.acked, step.errors
        at, _ = await self.sink.waiters.next(probe.address, 30.0)
        step.answered = at
        return step

    async def interleaved(self, walks: int) -> tuple[list[Step], list[Step]]:
        ours: list[Step] = []
        base: list[Step] = []
        for _ in range(walks):
            applicant = self.applicant()
            probe = MailApplicant(f"mx{next(_people):06d}@example.co.jp", port=self.base.http_port,
                                  sink=self.sink, start_date=self.start_date)
            for index, text in enumerate(applicant.texts):
                question = applicant.question
                step = await applicant.say(index, text)
                assert step.acked, (text, step.errors)
                await applicant.wait(step, index)
                ours.append(step)
                await asyncio.sleep(PACE)
                base.append(await self.base_turn(probe, index, text, question))
                await asyncio.sleep(PACE)
            assert applicant.acceptance_number, "the walk did not end in a filing"
        return ours, base


async def setup(workdir: Path) -> tuple[stack.BenchSink, Any, stack.ServiceProcess, stack.ServiceProcess, list[Any]]:
    sink = stack.BenchSink(keep=False)
    server, relay_port = await stack.start_sink(sink)
    schedule = workdir / "schedule.txt"
    dates = stack.write_schedule(schedule)
    ours = stack.service(workdir, workdir / "data", schedule, api_url=None, relay_port=relay_port)
    base = stack.baseline_email(workdir, relay_port)
    return sink, server, ours, base, dates


async def measure(quick: bool) -> list[Figure]:
    walks = 2 if quick else 12
    with stack.scratch("email") as workdir:
        sink, server, ours, base, dates = await setup(workdir)
        try:
            await ours.start()
            await base.start()
            pair = Pair(sink, ours, base, dates[2].isoformat())
            await pair.interleaved(1)  # warm-up
            async with stack.Counted(ours.url, ours.pid) as ours_paid, \
                    stack.Counted(None, base.pid) as base_paid:
                a, b = await pair.interleaved(walks)
        finally:
            await ours.stop()
            await base.stop()
            server.close()
    turn_a, turn_b = [s.turn * 1000 for s in a], [s.turn * 1000 for s in b]
    ack_a, ack_b = [s.ack_latencies[-1] * 1000 for s in a], [s.ack_latencies[-1] * 1000 for s in b]
    (a50, a99), (b50, b99) = summarise(turn_a), summarise(turn_b)
    return [Figure("email turn (DATA → next question at the relay)", "ms", a50, a99, b50, b99, len(a),
                   goal="p50 ratio ≤ 2",
                   note=f"{walks} applications × {len(a) // walks} mails, interleaved with the baseline",
                   extra={"data_to_250_ms_p50_ours": round(summarise(ack_a)[0], 2),
                          "data_to_250_ms_p50_base": round(summarise(ack_b)[0], 2)}),
            *paid("email", ours_paid.per(len(a)), base_paid.per(len(b)), len(a))]


def run(quick: bool = False) -> list[Figure]:
    return asyncio.run(measure(quick))

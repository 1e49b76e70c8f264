"""Throughput: 60 Slack applicants at once, each walking the whole conversation to filing, against
one service process (and, with ``--backend postgres``, against two replicas sharing the work).

Turns per second is messages handled / seconds until everyone filed; the acknowledgment p99 is
over every HTTP request. The baseline is the bare bolt app under the same load shape.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from bench import bench_load, stack
from bench.applicants import SlackApplicant
from bench.common import Figure, percentile

APPLICANTS = 60


async def one_run(n: int, replicas: int) -> tuple[float, float, list[float], float, float]:
    """(our turns/s, baseline turns/s, our ack latencies ms, base ack p99 ms, our CPU s per turn)."""
    with stack.scratch("throughput") as workdir:
        mock, ours, base, dates = await stack_setup(workdir)
        others = [stack.service(workdir, workdir / f"data{i}", workdir / "schedule.txt", api_url=mock.url,
                                relay_port=None, name=f"replica{i}") for i in range(1, replicas)]
        async with aiohttp.ClientSession() as session:
            try:
                for process in (ours, *others, base):
                    await process.start()
                urls = [f"{p.url}/slack/events" for p in (ours, *others)]
                applicants = [SlackApplicant(f"UT{i:05d}", url=urls[i % len(urls)], session=session, mock=mock,
                                             start_date=dates[2].isoformat(), patience=120.0) for i in range(n)]
                cpu = [stack.cpu_seconds(p.pid) for p in (ours, *others)]
                began = asyncio.get_running_loop().time()
                await asyncio.gather(*(a.walk() for a in applicants))
                took = asyncio.get_running_loop().time() - began
                cpu_spent = sum(stack.cpu_seconds(p.pid) for p in (ours, *others)) - sum(cpu)
                turns = sum(len(a.steps) for a in applicants)
                acks = [lat * 1000 for a in applicants for s in a.steps for lat in s.ack_latencies]
                assert all(a.acceptance_number for a in applicants), "not everyone filed"
                base_applicants = [SlackApplicant(f"UY{i:05d}", url=f"{base.url}/slack/events", session=session,
                                                  mock=mock, start_date=dates[2].isoformat(), patience=120.0)
                                   for i in range(n)]
                began = asyncio.get_running_loop().time()
                await asyncio.gather(*(bench_load.echo_walk(a) for a in base_applicants))
                base_took = asyncio.get_running_loop().time() - began
                base_acks = [lat * 1000 for a in base_applicants for s in a.steps for lat in s.ack_latencies]
                base_turns = sum(len(a.steps) for a in base_applicants)
            finally:
                for process in (ours, *others, base):
                    await process.stop()
                await mock.stop()
    return turns / took, base_turns / base_took, acks, percentile(base_acks, 0.99), cpu_spent / turns


async def stack_setup(workdir: Any) -> Any:
    from bench import bench_slack

    return await bench_slack.setup(workdir)


async def measure(quick: bool) -> list[Figure]:
    n = 20 if quick else APPLICANTS
    counts = (1, 2) if os.environ.get("BENCH_BACKEND") == "postgres" else (1,)
    figures = []
    for replicas in counts:
        rate, base_rate, acks, base_p99, cpu = await one_run(n, replicas)
        label = f"{replicas} replica{'s' if replicas > 1 else ''}" if len(counts) > 1 else "one process"
        figures.append(Figure(f"turns per second, {n} Slack applicants at once ({label})", "turns/s",
                              rate, rate, base_rate, base_rate, len(acks), goal="≥ 150",
                              note=f"ack p99 {percentile(acks, 0.99):.0f} ms (bare app {base_p99:.0f} ms); "
                                   f"CPU {cpu * 1000:.1f} ms per turn",
                              extra={"ack_ms_p99": round(percentile(acks, 0.99), 1), "ack_ms_max": round(max(acks), 1),
                                     "cpu_ms_per_turn": round(cpu * 1000, 2)}))
    return figures


def run(quick: bool = False) -> list[Figure]:
    return asyncio.run(measure(quick))

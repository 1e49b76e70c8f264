"""Scaling: the Slack turn (as in ``bench_slack``) with 100, 1,000, 10,000 and 100,000
applications already stored, and the resident memory of the service process at each size. Then
the email turn of a deployment without Slack (the default) with 100, 1,000 and 10,000 filings,
whose review cards wait in the outbox for a review channel that is not configured.

The stored applications come from ``bench.gen`` (cached under bench/results/scale-data; the first
run of a size generates it). For each size the service (``python -m handlers serve``, its own
process) starts on a hard-linked copy of that data, answers one warm-up application, then the
measured ones, interleaved message by message with the bare bolt baseline (one baseline process
for all sizes, so its drift shows up in the per-size ratios). RSS is VmRSS from
/proc/PID/status of the service process, read after start-up and after the measured turns.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import aiohttp

from bench import bench_slack, gen, stack
from bench.common import Figure

SIZES = (100, 1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
EMAIL_ONLY_SIZES = (100, 1_000, 10_000)  # each email turn reads every waiting filing: keep it short


async def measure(quick: bool) -> list[Figure]:
    sizes = QUICK_SIZES if quick else SIZES
    walks = 1 if quick else 8
    mail_sizes = QUICK_SIZES if quick else EMAIL_ONLY_SIZES
    for size in sizes:  # generate (or find) every size before anything is timed
        gen.cached(size)
    for size in mail_sizes:
        gen.cached(size, slack=False)
    figures: list[Figure] = []
    per_size: dict[int, dict[str, Any]] = {}
    with stack.scratch("scale") as workdir:
        mock, _, base, dates = await bench_slack.setup(workdir)
        schedule = workdir / "schedule.txt"
        async with aiohttp.ClientSession() as session:
            await base.start()
            try:
                for size in sizes:
                    sized = workdir / f"n{size}"
                    sized.mkdir()
                    data = gen.working_copy(size, sized)
                    ours = stack.service(sized, data, schedule, api_url=mock.url, relay_port=None)
                    try:
                        started = await ours.start()
                        rss_start = ours.rss_kib()
                        pair = bench_slack.Pair(mock, ours, base, session, dates[2].isoformat())
                        await pair.interleaved(1)
                        a, b = await pair.interleaved(walks)
                        rss_end = ours.rss_kib()
                    finally:
                        await ours.stop()
                        mock.forget()
                    shutil.rmtree(sized, ignore_errors=True)
                    f = bench_slack.figure(f"slack turn with {size:,} applications stored", a, b, "",
                                           note=f"RSS {rss_end / 1024:.1f} MiB after the turns",
                                           stored=size, rss_kib_after_start=rss_start,
                                           rss_kib_after_turns=rss_end, start_seconds=round(started, 2))
                    figures.append(f)
                    per_size[size] = {"p50": f.ours_p50, "p99": f.ours_p99, "ratio": f.ratio,
                                      "rss_kib": rss_end}
            finally:
                await base.stop()
                await mock.stop()
    small, large = min(per_size), max(per_size)
    s, lg = per_size[small], per_size[large]
    figures.append(Figure(
        f"scaling: turn with {large:,} vs {small:,} stored", "ms", lg["p50"], lg["p99"], s["p50"], s["p99"],
        figures[-1].samples, goal="p50 ratio ≤ 1.5",
        note="RSS " + ", ".join(f"{n:,}: {v['rss_kib'] / 1024:.0f} MiB" for n, v in per_size.items()),
        extra={"normalised_ratio": round(lg["ratio"] / s["ratio"], 3),
               "rss_kib": {str(n): v["rss_kib"] for n, v in per_size.items()}}))
    mail = await email_only(mail_sizes, 1)
    figures += mail
    figures.append(Figure(
        f"scaling without Slack: email turn with {mail_sizes[-1]:,} vs {mail_sizes[0]:,} filings", "ms",
        mail[-1].ours_p50, mail[-1].ours_p99, mail[0].ours_p50, mail[0].ours_p99, mail[-1].samples,
        goal="(≤ 1.5, as above)", note="the default deployment (no Slack): every filing's review card waits "
        "in the outbox for a review channel; the dispatcher reads only the channels it can deliver"))
    return figures


def run(quick: bool = False) -> list[Figure]:
    return asyncio.run(measure(quick))



async def email_only(sizes: tuple[int, ...], walks: int) -> list[Figure]:
    """The email turn in a deployment without Slack, with ``sizes`` filed applications whose
    review messages wait for a review channel that is not configured (as they do)."""
    from bench import bench_email

    figures: list[Figure] = []
    with stack.scratch("scale-mail") as workdir:
        sink, server, _, base, dates = await bench_email.setup(workdir)
        schedule = workdir / "schedule.txt"
        await base.start()
        try:
            for size in sizes:
                sized = workdir / f"n{size}"
                sized.mkdir()
                data = gen.working_copy(size, sized, slack=False)
                ours = stack.service(sized, data, schedule, api_url=None,
                                     relay_port=int(base.env["BENCH_RELAY_PORT"]))
                try:
                    await ours.start()
                    pair = bench_email.Pair(sink, ours, base, dates[2].isoformat())
                    a, b = await pair.interleaved(walks)
                    rss = ours.rss_kib()
                finally:
                    await ours.stop()
                shutil.rmtree(sized, ignore_errors=True)
                figures.append(bench_slack.figure(
                    f"email turn, no Slack, {size:,} filings stored", a, b, "",
                    note=f"review cards of every filing wait for a review channel; RSS {rss / 1024:.0f} MiB",
                    stored=size, rss_kib_after_turns=rss))
        finally:
            await base.stop()
            server.close()
    return figures

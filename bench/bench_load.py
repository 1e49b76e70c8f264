"""Concurrency: 200 applicants in Slack DMs and 50 by email, all at once, each walking the whole
conversation to filing (each answers as soon as its question arrives).

Every HTTP request is timed from the client sending it to the response (Slack wants the ack
within 3 s), every SMTP DATA to its 250. Afterwards the service is stopped and its data read:
each applicant must have exactly one application, filed, with an acceptance number nobody else
has. Baseline: the same load shape against the bare bolt app and the bare forwarder (each
applicant sends the same number of messages, waiting for each reply).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench import bench_slack, stack
from bench.applicants import MailApplicant, SlackApplicant, Step
from bench.common import Figure, percentile, summarise

SLACK_APPLICANTS, MAIL_APPLICANTS = 200, 50
QUICK = (40, 10)
ACK_LIMIT = 3.0
_ids = itertools.count(1)


async def load(session: aiohttp.ClientSession, mock: stack.BenchSlack, sink: stack.BenchSink,
               slack_url: str, smtp_port: int, n_slack: int, n_mail: int, start_date: str,
               *, baseline: bool) -> tuple[list[Any], list[Any], float]:
    """Everyone at once; returns (slack applicants, mail applicants, seconds until all done)."""
    tag = "X" if baseline else "L"
    run = next(_ids)
    slack = [SlackApplicant(f"U{tag}{run:02d}{i:05d}", url=slack_url, session=session, mock=mock,
                            start_date=start_date, patience=120.0) for i in range(n_slack)]
    mail = [MailApplicant(f"m{tag.lower()}{run:02d}{i:05d}@example.co.jp", port=smtp_port, sink=sink,
                          start_date=start_date, patience=120.0) for i in range(n_mail)]
    began = time.perf_counter()
    if baseline:
        await asyncio.gather(*(echo_walk(a) for a in slack), *(echo_mail_walk(m) for m in mail))
    else:
        await asyncio.gather(*(a.walk() for a in slack), *(m.walk() for m in mail))
    return slack, mail, time.perf_counter() - began


async def echo_walk(a: SlackApplicant) -> None:
    """The baseline's side: the same messages, each waiting for the constant reply."""
    for text in a.texts:
        step = await a.say(text)
        a.steps.append(step)
        while True:
            at, call = await a.mock.waiters.next(a.user, a.patience)
            if at >= step.sent and call.method == "chat.postMessage":
                step.answered = at
                break


async def echo_mail_walk(m: MailApplicant) -> None:
    m.question = placeholder_question(m)
    for index, text in enumerate(m.texts):
        raw, _, message_id = m.mail_for(index, text)
        step = Step(text, message_id)
        m.sink.waiters.clear(m.address)
        await m.send(step, raw, "anyone@localhost")
        m.steps.append(step)
        at, _ = await m.sink.waiters.next(m.address, m.patience)
        step.answered = at


def placeholder_question(m: MailApplicant) -> Any:
    """A question mail like the bot's, for the baseline's replies to quote."""
    from bench.applicants import parse
    from tests.email.mailer import new_mail

    raw = new_mail(sender=stack.BOT_ADDRESS, to=m.address, subject="【WebNACCS】申込のご案内",
                   body="業種を選んでください。\n1. 損害保険会社\n2. その他\n", name="WebNACCS 申込窓口")
    q = parse(raw)
    q["Reply-To"] = "webnaccs+token@localhost"
    return q


def ack_figures(name: str, ours: list[Step], base: list[Step], unit_note: str, limit: float | None,
                **extra: Any) -> Figure:
    a = [x * 1000 for s in ours for x in s.ack_latencies]
    b = [x * 1000 for s in base for x in s.ack_latencies]
    (a50, a99), (b50, b99) = summarise(a), summarise(b)
    statuses = Counter(code for s in ours for code in s.statuses)
    errors = Counter(e for s in ours for e in s.errors)
    extra = {"ack_ms_max_ours": round(max(a), 1), "ack_ms_max_base": round(max(b), 1),
             "ack_ms_p999_ours": round(percentile(a, 0.999), 1), "statuses": dict(statuses),
             "errors": dict(errors), **extra}
    if limit is not None:
        extra["acks_over_limit"] = sum(1 for x in a if x > limit * 1000)
    return Figure(name, "ms", a50, a99, b50, b99, len(a), goal=f"max ≪ {limit:g} s, no 5xx" if limit else "",
                  note=f"max {max(a):.0f} ms (baseline {max(b):.0f} ms); {unit_note}", extra=extra)


def check_filings(data: Path, slack: list[SlackApplicant], mail: list[MailApplicant]) -> dict[str, Any]:
    """Each applicant: exactly one application, filed, with its own acceptance number."""
    from bot.application import Application
    from store import TinyStore

    store = TinyStore(data)
    numbers: Counter[str] = Counter()
    problems: list[str] = []
    keys = [f"slack:{a.user}" for a in slack] + [f"email:{m.address}" for m in mail]
    for key in keys:
        apps = [Application.from_record(r) for r in store.records_of(key)]
        mine = [a for a in apps if key == a.people[0] and a.state != "contact"]  # no first-contact record
        if len(mine) != 1:
            problems.append(f"{key}: {len(mine)} applications")
            continue
        app = mine[0]
        if app.state != "under_review" or not app.acceptance_number:
            problems.append(f"{key}: {app.state} {app.acceptance_number}")
            continue
        numbers[app.acceptance_number] += 1
    store.close()
    told = Counter(x.acceptance_number for x in [*slack, *mail] if x.acceptance_number)
    return {"applicants": len(keys), "filed": sum(numbers.values()), "distinct_numbers": len(numbers),
            "numbers_given_twice": sum(1 for c in numbers.values() if c > 1),
            "told_a_number": sum(told.values()), "problems": problems[:10]}


async def measure(quick: bool) -> list[Figure]:
    n_slack, n_mail = QUICK if quick else (SLACK_APPLICANTS, MAIL_APPLICANTS)
    with stack.scratch("load") as workdir:
        mock, ours, base_slack, dates = await bench_slack.setup(workdir)
        sink = stack.BenchSink(keep=False)
        server, relay_port = await stack.start_sink(sink)
        data = workdir / "data"
        ours = stack.service(workdir, data, workdir / "schedule.txt", api_url=mock.url, relay_port=relay_port)
        base_mail = stack.baseline_email(workdir, relay_port)
        start_date = dates[2].isoformat()
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                await ours.start()
                await base_slack.start()
                await base_mail.start()
                assert ours.smtp_port
                # warm-up: one of each, so first-request costs are not in the figures
                await load(session, mock, sink, f"{ours.url}/slack/events", ours.smtp_port, 1, 1, start_date,
                           baseline=False)
                await load(session, mock, sink, f"{base_slack.url}/slack/events", base_mail.http_port, 1, 1,
                           start_date, baseline=True)
                cpu0 = ours.cpu_seconds()
                slack, mail, took = await load(session, mock, sink, f"{ours.url}/slack/events", ours.smtp_port,
                                               n_slack, n_mail, start_date, baseline=False)
                cpu = ours.cpu_seconds() - cpu0
                rss = ours.rss_kib()
                bslack, bmail, btook = await load(session, mock, sink, f"{base_slack.url}/slack/events",
                                                  base_mail.http_port, n_slack, n_mail, start_date, baseline=True)
            finally:
                await ours.stop()
                await base_slack.stop()
                await base_mail.stop()
                await mock.stop()
                server.close()
        filings = await asyncio.to_thread(check_filings, data, slack, mail)
    turns = [s.turn * 1000 for a in [*slack, *mail] for s in a.steps if s.answered]
    common = {"seconds_all_filed": round(took, 1), "baseline_seconds": round(btook, 1),
              "service_cpu_seconds": round(cpu, 1), "service_rss_kib": rss,
              "turn_ms_p50_under_load": round(summarise(turns)[0], 1),
              "turn_ms_p99_under_load": round(summarise(turns)[1], 1), **filings}
    ok = (filings["filed"] == filings["applicants"] == filings["distinct_numbers"]
          and not filings["numbers_given_twice"])
    verdict = (f"{filings['filed']}/{filings['applicants']} filed once, {filings['distinct_numbers']} distinct numbers"
               + ("" if ok else " — FAILED"))
    return [
        ack_figures(f"concurrency: Slack ack, {n_slack} applicants at once",
                    [s for a in slack for s in a.steps], [s for a in bslack for s in a.steps],
                    f"{verdict}; all filed in {took:.0f} s", ACK_LIMIT, **common),
        ack_figures(f"concurrency: SMTP DATA→250, {n_mail} applicants at once",
                    [s for m in mail for s in m.steps], [s for m in bmail for s in m.steps],
                    "same run as the Slack row", None),
    ]


def run(quick: bool = False) -> list[Figure]:
    return asyncio.run(measure(quick))


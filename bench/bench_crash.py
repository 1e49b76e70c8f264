"""Crash drill: SIGKILL the service (``python -m handlers serve``) at random moments while
applicants work in Slack and by mail and reviewers decide from the command line; restart it each
time; then check that nothing acknowledged was lost, no file was left unreadable, and count what
was delivered more than once.

* Backends: TinyDB (one process on one data directory) or, with ``--backend postgres``, two
  replicas on one database (each its own ports and data directory). Applicants are spread over
  the replicas; a Slack request or a mail that fails is retried at the other one (as a balancer
  and a second MX host would), and the kills alternate between them.
* Load: waves of Slack and mail applicants (as in ``bench_load``), each walking to filing; Slack
  requests that fail (refused, reset, no answer within 3 s, 5xx) are retried with the same event
  id, as Slack does; mails are resent with the same Message-ID until DATA gets its 250. Every
  filing is then decided with ``python -m handlers review approve|reject|return`` (exit 0 =
  acknowledged), while the service keeps being killed.
* Kills: 0.3–2.5 s after the target listens (one in ten during start-up instead: the replica
  that is starting), SIGKILL, and start it again at once; with TinyDB every file of the data
  directory is checked between the kill and the restart. Waves keep coming until the kills are
  done; then the services run until every applicant is done and the outbox is empty, and are
  stopped with SIGTERM.
* An applicant whose acknowledged message got no answer, when the process that acknowledged it
  is dead (or the mail is no longer in the spool) and the store does not have it, types it again
  (a new message): that answer was *lost*, and is counted.
* Checks: ``bench.crash_state`` (what the store holds, read through its code without writing;
  every file readable) and ``bench.crash_check`` (lost, delivered twice).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import stack
from bench.applicants import Hooks, MailApplicant, SlackApplicant, Step
from bench.common import Figure
from bench.crash_check import check
from bench.crash_state import PgView, TinyView, View, readable

KILLS, QUICK_KILLS = 24, 5
WAVE, QUICK_WAVE = (200, 50), (30, 8)
DECISIONS = ["approve"] * 7 + ["reject"] * 2 + ["return"]


class Drill:
    def __init__(self, services: list[stack.ServiceProcess], view: View, mock: stack.BenchSlack,
                 sink: stack.BenchSink, session: aiohttp.ClientSession, start_date: str,
                 rng: random.Random) -> None:
        self.services = services
        self.view = view
        self.mock = mock
        self.sink = sink
        self.session = session
        self.start_date = start_date
        self.rng = rng
        self.hooks = Hooks(incarnation=self.incarnation, lost=self.lost)
        self.slack: list[SlackApplicant] = []
        self.mail: list[MailApplicant] = []
        self.decisions: list[dict[str, Any]] = []
        self.kills: list[dict[str, Any]] = []
        self.killing = True
        self._cli = asyncio.Semaphore(2)
        self._deciding: list[asyncio.Task[None]] = []
        self.failures: list[str] = []

    # --- lost messages ------------------------------------------------------------------------

    def incarnation(self, endpoint: Any) -> tuple[int, int]:
        """(replica, its start) of the process listening at a URL or SMTP port."""
        for n, svc in enumerate(self.services):
            if endpoint == svc.smtp_port or str(endpoint).startswith(svc.url + "/"):
                return n, svc.starts
        raise ValueError(f"no service at {endpoint!r}")

    def _in_store(self, person: str, key: str) -> bool:
        return any(key in (r.get("inbound") or []) for r in self.view.records_of(person))

    async def lost(self, owner: Any, step: Step) -> bool:
        if step.acked is None:
            return False
        if isinstance(owner, SlackApplicant):
            replica, start = step.incarnation
            svc = self.services[replica]
            if svc.starts == start and svc.alive:
                return False  # the process that acknowledged it is still working on it
            return not await asyncio.to_thread(self._in_store, f"slack:{owner.user}", step.key)
        # A 250 means spooled: some start processes it. Lost only once it has left the spool
        # (which happens after its turn is durable) and the store does not have it. Spool first:
        # the other order could miss a mail released in between.
        if step.key in await asyncio.to_thread(self.view.spooled_ids):
            return False
        return not await asyncio.to_thread(self._in_store, f"email:{owner.address}", step.key)

    # --- kills --------------------------------------------------------------------------------

    async def killer(self, kills: int, data: Path | None) -> None:
        last = len(self.services) - 1
        for n in range(kills):
            during_start = self.rng.random() < 0.1
            if during_start:  # the one just started again, before or while it comes up
                target = last
                await asyncio.sleep(self.rng.uniform(0.0, 0.6))
            else:
                target = (last + 1) % len(self.services)
                await self.services[target].ready()
                await asyncio.sleep(self.rng.uniform(0.3, 2.5))
            svc = self.services[target]
            up = svc.alive
            svc.kill()
            kill: dict[str, Any] = {"n": n + 1, "replica": target, "during_start": during_start, "was_running": up}
            if data is not None:  # every file as the kill left it, before a start may repair it
                files = await asyncio.to_thread(readable, data)
                kill.update({"unreadable": files["unreadable"], "torn_last_lines": files["torn_last_lines"],
                             "temp_files": files["temp_files_left"], "problems": files["problems"][:3],
                             "torn": files["torn"][:3]})
            self.kills.append(kill)
            svc.spawn()
            last = target
        self.killing = False
        for svc in self.services:
            await svc.ready()

    # --- load -----------------------------------------------------------------------------------

    async def waves(self, size: tuple[int, int]) -> int:
        wave = 0
        while True:
            wave += 1
            await self.wave(wave, *size)
            if not self.killing:
                return wave

    def _endpoints(self, i: int) -> tuple[list[str], list[int]]:
        """This applicant's replica first, then the others (where a retry goes)."""
        order = [self.services[(i + k) % len(self.services)] for k in range(len(self.services))]
        return [f"{s.url}/slack/events" for s in order], [int(s.smtp_port or 0) for s in order]

    async def wave(self, wave: int, n_slack: int, n_mail: int) -> None:
        slack, mail = [], []
        for i in range(n_slack):
            urls, _ = self._endpoints(i)
            slack.append(SlackApplicant(f"UK{wave:02d}{i:05d}", url=urls[0], fallback=urls[1:], session=self.session,
                                        mock=self.mock, start_date=self.start_date, patience=600.0, ack_timeout=3.0,
                                        hooks=self.hooks))
        for i in range(n_mail):
            _, ports = self._endpoints(i)
            mail.append(MailApplicant(f"mk{wave:02d}{i:05d}@example.co.jp", port=ports[0], fallback=ports[1:],
                                      sink=self.sink, start_date=self.start_date, patience=600.0, hooks=self.hooks))
        self.slack += slack
        self.mail += mail
        await asyncio.gather(*(self.apply(a) for a in [*slack, *mail]))

    async def apply(self, applicant: SlackApplicant | MailApplicant) -> None:
        await asyncio.sleep(self.rng.uniform(0, 2.0))  # not all in the same millisecond
        try:
            await applicant.walk(resend=True)
        except Exception as e:
            self.failures.append(f"{getattr(applicant, 'user', None) or applicant.address}: {e!r}")
            return
        if applicant.acceptance_number:
            self._deciding.append(asyncio.create_task(self.decide(applicant.acceptance_number)))

    async def decide(self, number: str) -> None:
        decision = self.rng.choice(DECISIONS)
        args = {"approve": ["approve", number, "--start-date", self.start_date],
                "reject": ["reject", number, "--reason", "記載内容に不備があるため"],
                "return": ["return", number, "--reason", "事業所名を正式名称でご記入ください"]}[decision]
        svc = self.rng.choice(self.services)  # PostgreSQL: any replica's settings reach the database
        async with self._cli:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "handlers", "review", *args, env=svc.env, cwd=svc.workdir,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            out, _ = await proc.communicate()
        self.decisions.append({"number": number, "decision": decision, "exit": proc.returncode,
                               "output": out.decode(errors="replace")[-300:]})

    async def settle(self, timeout: float = 300.0) -> None:
        """Every decision made, and the outbox empty (the services deliver what is left)."""
        await asyncio.gather(*self._deciding)
        while True:
            if not await asyncio.to_thread(self.view.pending):
                return
            timeout -= 0.5
            if timeout < 0:
                raise TimeoutError("the outbox did not empty")
            await asyncio.sleep(0.5)


def count(name: str, value: int, out_of: int, note: str = "", **extra: Any) -> Figure:
    return Figure(name, "count", float(value), float(value), float(out_of), float(out_of), out_of,
                  goal="0", note=note, extra=extra)


def _view(backend: str, data: Path, url: str | None) -> View:
    return PgView(url) if backend == "postgres" and url else TinyView(data)


async def drill(quick: bool, seed: int, backend: str) -> tuple[Drill, dict[str, Any], tuple[int, int]]:
    kills = int(os.environ.get("BENCH_KILLS") or (QUICK_KILLS if quick else KILLS))
    wave = os.environ.get("BENCH_WAVE")  # "SLACK,MAIL" applicants per wave
    size = (int(wave.split(",")[0]), int(wave.split(",")[1])) if wave else QUICK_WAVE if quick else WAVE
    began = time.perf_counter()
    with stack.scratch("crash") as workdir:
        mock = stack.BenchSlack()
        await mock.start()
        sink = stack.BenchSink(keep=True)
        server, relay_port = await stack.start_sink(sink)
        schedule = workdir / "schedule.txt"
        dates = stack.write_schedule(schedule)
        replicas = 2 if backend == "postgres" else 1
        services = [stack.service(workdir, workdir / (f"data{n}" if replicas > 1 else "data"), schedule,
                                  api_url=mock.url, relay_port=relay_port,
                                  name=f"replica{n}" if replicas > 1 else "service") for n in range(replicas)]
        url = services[0].env.get("WEBNACCS_DATABASE_URL")
        tiny = workdir / "data" if replicas == 1 else None
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            for svc in services:
                await svc.start()
            d = Drill(services, _view(backend, workdir / "data", url), mock, sink, session,
                      dates[2].isoformat(), random.Random(seed))
            try:
                _, waves = await asyncio.gather(d.killer(kills, tiny), d.waves(size))
                await d.settle()
            finally:
                for svc in services:
                    await svc.stop()
                await mock.stop()
                server.close()
                d.view.close()
        files = [await asyncio.to_thread(readable, Path(svc.env["WEBNACCS_DATA_DIR"])) for svc in services]
        final = _view(backend, workdir / "data", url)  # afresh, after the last stop
        try:
            result = await asyncio.to_thread(check, d, final)
        finally:
            final.close()
    merged = {k: sum(f[k] for f in files) for k in files[0] if isinstance(files[0][k], int)}
    merged["problems"] = [p for f in files for p in f["problems"]][:8]
    merged["torn"] = [p for f in files for p in f["torn"]][:8]
    info = {"seed": seed, "backend": backend, "replicas": replicas, "waves": waves,
            "seconds": round(time.perf_counter() - began, 1), "files": merged, **result, "kills": d.kills}
    return d, info, size


async def measure(quick: bool, seed: int | None = None) -> list[Figure]:
    backend = os.environ.get("BENCH_BACKEND", "tiny")
    seed = seed if seed is not None else int(time.time())
    d, info, size = await drill(quick, seed, backend)
    r, files = info, info["files"]
    where = "PostgreSQL, 2 replicas" if backend == "postgres" else "TinyDB"
    killed_unreadable = sum(1 for k in d.kills if k.get("unreadable"))
    checked = sum(1 for k in d.kills if "unreadable" in k)  # TinyDB: after every kill
    torn_at_kills = sum(k.get("torn_last_lines", 0) for k in d.kills)
    per_replica = [sum(1 for k in d.kills if k["replica"] == n) for n in range(info["replicas"])]
    slack_kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["slack_duplicates_by_kind"].items())) or "none"
    name = f"crash drill ({where})"
    return [
        count(f"{name}: SIGKILLs under load ({info['waves']} wave(s) of {size[0]}+{size[1]} applicants)",
              len(d.kills), len(d.kills), note=f"{info['seconds']:.0f} s, seed {seed}, kills per replica "
              f"{per_replica}, {sum(k['during_start'] for k in d.kills)} during start-up", **info),
        count(f"{name}: files unreadable (after the kills / at the end)", killed_unreadable + files["unreadable"],
              checked + files["json_files"] + files["jsonl_files"],
              note=f"{killed_unreadable} kills left an unreadable file, {files['unreadable']} at the end "
                   f"({files['json_files']} JSON and {files['jsonl_files']} JSON-lines files, {files['bad_lines']} "
                   f"bad lines); torn last lines: {torn_at_kills} left by kills, {files['torn_last_lines']} at the "
                   f"end; {files['temp_files_left']} temp files, {files['spool_left']} mails left in the spool"
                   + (f"; {'; '.join(files['problems'][:3])}" if files["problems"] else "")),
        count(f"{name}: acknowledged Slack answers lost (HTTP 200)", r["lost_slack_events"], r["acked_slack_events"],
              note="typed again by the applicant; where: " + (", ".join(f"{k}×{v}" for k, v in r["lost_at"].items())
                                                              or "nowhere")),
        count(f"{name}: acknowledged mails lost (SMTP 250)", r["lost_mails"], r["acked_mails"]),
        count(f"{name}: acknowledged filings missing", r["filings_missing"], r["filings_told"],
              note=f"{r['numbers_given_twice']} numbers given twice, {r['more_than_one_application']} people with "
                   f"two applications, {r['walk_failure_count']} applicants who could not finish"),
        count(f"{name}: acknowledged decisions missing (CLI exit 0)", r["decisions_missing"], r["decisions_acked"],
              note=f"{r['decisions_refused']} refused"),
        count(f"{name}: notices never delivered", r["notices_missing"], r["notices_expected"],
              note=f"{r['notices_unexpected']} unexpected"),
        count(f"{name}: Slack duplicates", r["slack_duplicates"], r["slack_posts"],
              note=f"chat.postMessage with the same outbox id or the same text to the same channel for the same "
                   f"step: {slack_kinds}" + "".join(f"; {e}" for e in r["slack_duplicates_examples"][:3])),
        count(f"{name}: mail resends (same Message-ID)", r["mail_resends_same_message_id"], r["mails_received"]),
        count(f"{name}: mail duplicates (distinct Message-ID)", r["mail_duplicates_distinct_message_id"],
              r["mails_received"], note=f"the same notice or question to the same person: notices "
              f"{r['mail_duplicates_notices']}, questions {r['mail_duplicates_questions']}"),
    ]


def run(quick: bool = False) -> list[Figure]:
    seed = os.environ.get("BENCH_SEED")
    return asyncio.run(measure(quick, int(seed) if seed else None))

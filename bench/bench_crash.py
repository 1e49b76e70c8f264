"""Crash drill: SIGKILL the service (``python -m handlers serve``) at random moments while
applicants work in Slack and by mail and reviewers decide from the command line; restart it each
time; then check that nothing acknowledged was lost and every notice went out exactly once.

* Load: waves of Slack and mail applicants (as in ``bench_load``), each walking to filing; Slack
  requests that fail (refused, reset, no answer within 3 s, 5xx) are retried with the same event
  id, as Slack does; mails are resent with the same Message-ID until DATA gets its 250. Every
  filing is then decided with ``python -m handlers review approve|reject|return`` (exit 0 =
  acknowledged), while the service keeps being killed.
* Kills: after a random time up (0.3–2.5 s after it listens; one in ten during start-up), SIGKILL,
  and start it again at once. Waves keep coming until the kills are done; then the last start
  runs until every applicant is done and the outbox is empty, and is stopped with SIGTERM.
* An applicant whose acknowledged message got no answer, when the process that acknowledged it
  is dead and the store does not have it, types it again (a new message): that answer was
  *lost*, and is counted.
* Checks (on the data dir, the Slack mock's calls and the relay sink's mails): every JSON file
  under the data dir parses; every acknowledged Slack event id and Message-ID is in its
  application's ``inbound``; every acknowledged filing is filed under the number the applicant
  was told; every decision the CLI acknowledged is applied; every notice that follows from
  those (受付完了, the decision, ID通知; Slack DM and mails) arrived, and how many arrived twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import aiohttp

from bench import stack
from bench.applicants import Hooks, MailApplicant, SlackApplicant, Step
from bench.common import Figure
from store.atomic import is_temp_file

KILLS, QUICK_KILLS = 24, 5
WAVE, QUICK_WAVE = (200, 50), (30, 8)
DECISIONS = ["approve"] * 7 + ["reject"] * 2 + ["return"]


class Drill:
    def __init__(self, svc: stack.ServiceProcess, data: Path, mock: stack.BenchSlack, sink: stack.BenchSink,
                 session: aiohttp.ClientSession, start_date: str, rng: random.Random) -> None:
        from store import TinyStore

        self.svc = svc
        self.data = data
        self.mock = mock
        self.sink = sink
        self.session = session
        self.start_date = start_date
        self.rng = rng
        self.store = TinyStore(data)
        self.hooks = Hooks(incarnation=lambda: self.svc.starts, lost=self.lost)
        self.slack: list[SlackApplicant] = []
        self.mail: list[MailApplicant] = []
        self.decisions: list[dict[str, Any]] = []
        self.kills: list[dict[str, Any]] = []
        self.killing = True
        self._cli = asyncio.Semaphore(2)
        self._deciding: list[asyncio.Task[None]] = []
        self.failures: list[str] = []

    # --- lost messages ------------------------------------------------------------------------

    def _in_store(self, person: str, key: str) -> bool:
        with self.store.locked():
            return any(key in (r.get("inbound") or []) for r in
                       (self.store.get(i) for i in self.store.apps_of(person)) if r)

    async def lost(self, owner: Any, step: Step) -> bool:
        if step.acked is None:
            return False
        if isinstance(owner, SlackApplicant):
            if step.incarnation == self.svc.starts and self.svc.alive:
                return False  # the process that acknowledged it is still working on it
            if (self.data / "slack_inbox").is_dir() and not self._drained("slack_inbox"):
                return False  # a service that keeps Slack messages on disk before the 200
            return not await asyncio.to_thread(self._in_store, f"slack:{owner.user}", step.key)
        # A 250 means spooled: the next start processes it. Lost only if the spool is empty,
        # the service is up, and still the store does not have it.
        if not self._drained("spool"):
            return False
        return not await asyncio.to_thread(self._in_store, f"email:{owner.address}", step.key)

    def _drained(self, folder: str) -> bool:
        """The service is up and has nothing left in this inbound spool."""
        try:
            names = os.listdir(self.data / folder)
        except FileNotFoundError:
            names = []
        return self.svc.alive and not any(n.endswith(".mail") for n in names)

    # --- kills --------------------------------------------------------------------------------

    async def killer(self, kills: int) -> None:
        for n in range(kills):
            during_start = self.rng.random() < 0.1
            if during_start:
                await asyncio.sleep(self.rng.uniform(0.0, 0.6))
            else:
                await self.svc.ready()
                await asyncio.sleep(self.rng.uniform(0.3, 2.5))
            up = self.svc.alive
            began = time.perf_counter()
            self.svc.kill()
            self.kills.append({"n": n + 1, "during_start": during_start, "was_running": up,
                               "at": round(began, 3)})
            self.svc.spawn()
        self.killing = False
        await self.svc.ready()

    # --- load -----------------------------------------------------------------------------------

    async def waves(self, size: tuple[int, int]) -> int:
        wave = 0
        while True:
            wave += 1
            await self.wave(wave, *size)
            if not self.killing:
                return wave

    async def wave(self, wave: int, n_slack: int, n_mail: int) -> None:
        url = f"{self.svc.url}/slack/events"
        assert self.svc.smtp_port
        slack = [SlackApplicant(f"UK{wave:02d}{i:05d}", url=url, session=self.session, mock=self.mock,
                                start_date=self.start_date, patience=600.0, ack_timeout=3.0, hooks=self.hooks)
                 for i in range(n_slack)]
        mail = [MailApplicant(f"mk{wave:02d}{i:05d}@example.co.jp", port=self.svc.smtp_port, sink=self.sink,
                              start_date=self.start_date, patience=600.0, hooks=self.hooks)
                for i in range(n_mail)]
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
        async with self._cli:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "handlers", "review", *args, env=self.svc.env, cwd=self.svc.workdir,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            out, _ = await proc.communicate()
        self.decisions.append({"number": number, "decision": decision, "exit": proc.returncode,
                               "output": out.decode(errors="replace")[-300:]})

    async def settle(self, timeout: float = 300.0) -> None:
        """Every decision made, and the outbox empty (the service delivers what is left)."""
        await asyncio.gather(*self._deciding)
        await stack.until(lambda: not self.store.pending_outbox(), timeout, "the outbox to empty", every=0.5)


# --- checks -----------------------------------------------------------------------------------


def readable(data: Path) -> dict[str, Any]:
    files = bad = temps = 0
    problems: list[str] = []
    for folder, _, names in os.walk(data):
        for name in names:
            if is_temp_file(name):
                temps += 1
                continue
            if not name.endswith(".json"):
                continue
            files += 1
            path = Path(folder) / name
            try:
                if not isinstance(json.loads(path.read_bytes()), dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                bad += 1
                problems.append(f"{path.relative_to(data)}: {e}")
    spool = [n for n in os.listdir(data / "spool") if n.endswith(".mail")] if (data / "spool").is_dir() else []
    return {"json_files": files, "unreadable": bad, "temp_files_left": temps, "spool_left": len(spool),
            "problems": problems[:5]}


def recipients(applicant: SlackApplicant | MailApplicant) -> tuple[str | None, str, str]:
    if isinstance(applicant, SlackApplicant):
        email = f"{applicant.user.lower()}@example.co.jp"
        return applicant.user, email, f"admin-{applicant.user.lower()}@example.co.jp"
    local = applicant.address.split("@")[0]
    return None, applicant.address, f"admin-{local}@example.co.jp"


def check(drill: Drill) -> dict[str, Any]:
    from bot.application import Application

    store = drill.store
    applicants: list[SlackApplicant | MailApplicant] = [*drill.slack, *drill.mail]
    apps: dict[str, Application] = {}  # person key → their application
    many = 0
    for a in applicants:
        key = f"slack:{a.user}" if isinstance(a, SlackApplicant) else f"email:{a.address}"
        found = [Application.from_record(r) for r in (store.get(i) for i in store.apps_of(key)) if r]
        found = [x for x in found if x.people and x.people[0] == key]
        many += len(found) > 1
        if found:
            apps[key] = found[-1]

    def app_of(a: SlackApplicant | MailApplicant) -> Application | None:
        return apps.get(f"slack:{a.user}" if isinstance(a, SlackApplicant) else f"email:{a.address}")

    acked = {"slack": 0, "mail": 0}
    lost = {"slack": 0, "mail": 0}
    lost_where: Counter[str] = Counter()
    resent = 0
    for a in applicants:
        kind = "slack" if isinstance(a, SlackApplicant) else "mail"
        app = app_of(a)
        inbound = set(app.inbound) if app else set()
        for step in a.steps:
            resent += step.resent_as is not None
            if step.acked is None:
                continue
            acked[kind] += 1
            if step.key not in inbound:
                lost[kind] += 1
                lost_where[step.text[:12]] += 1

    filed_told = [(a, a.acceptance_number) for a in applicants if a.acceptance_number]
    filing_missing = [n for a, n in filed_told if not (app_of(a) and app_of(a).acceptance_number == n  # type: ignore[union-attr]
                                                       and app_of(a).state != "draft")]  # type: ignore[union-attr]
    numbers = Counter(app.acceptance_number for app in apps.values() if app.acceptance_number)
    by_number = {n: a for a, n in filed_told}
    states = {"approve": {"approved", "active"}, "reject": {"rejected"}, "return": {"returned"}}
    decided = [d for d in drill.decisions if d["exit"] == 0]
    decision_missing = []
    for d in decided:
        app = app_of(by_number[d["number"]])
        if app is None or app.state not in states[d["decision"]] or (app.review or {}).get("decision") != d["decision"]:
            decision_missing.append(d["number"])

    # notices: what the acknowledged filings and decisions call for, against what arrived
    expected: Counter[tuple[str, str, str, str]] = Counter()
    for a, n in filed_told:
        user, email, admin = recipients(a)
        kinds = [("acknowledgment", True)]
        d = next((x for x in decided if x["number"] == n), None)
        if d:
            kinds.append(({"approve": "confirmation", "reject": "rejected", "return": "returned"}[d["decision"]], True))
            if d["decision"] == "approve":
                kinds.append(("id_notification", False))
        for notice, to_admin in kinds:
            if user:
                expected[("slack", user, notice, n)] += 1
            expected[("email", email, notice, n)] += 1
            if to_admin:
                expected[("email", admin, notice, n)] += 1
    delivered: Counter[tuple[str, str, str, str]] = Counter()
    cards: Counter[str] = Counter()
    questions: Counter[tuple[str, str, str]] = Counter()
    for call in drill.mock.calls:
        if call.method != "chat.postMessage" or call.status != 200:
            continue
        meta = call.args.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == "webnaccs_notice":
            key = ("slack", str(call.args.get("channel")), payload.get("notice"), payload.get("acceptance_number"))
            delivered[key] += 1
        elif meta.get("event_type") == "webnaccs_review":
            cards[str(payload.get("acceptance_number"))] += 1
        elif meta.get("event_type") == "webnaccs_question":
            asked = (str(call.args.get("channel")), str(payload.get("application_id")), str(payload.get("field")))
            questions[asked] += 1
    message_ids: Counter[str] = Counter()
    for _, rcpts, raw in drill.sink.received:
        h = BytesHeaderParser().parsebytes(raw)
        message_ids[str(h.get("Message-ID"))] += 1
        if h.get("X-WebNACCS-Notice"):
            number = str(h.get("X-WebNACCS-Acceptance-Number"))
            for r in rcpts:
                delivered[("email", r.lower(), str(h["X-WebNACCS-Notice"]), number)] += 1
    missing = sum(max(0, c - delivered[k]) for k, c in expected.items())
    twice = {k: c for k, c in delivered.items() if c > 1}
    unexpected = sum(c for k, c in delivered.items() if k not in expected)
    return {
        "applicants": len(applicants), "more_than_one_application": many,
        "acked_slack_events": acked["slack"], "acked_mails": acked["mail"],
        "lost_slack_events": lost["slack"], "lost_mails": lost["mail"],
        "lost_at": dict(lost_where.most_common(8)), "typed_again": resent,
        "filings_told": len(filed_told), "filings_missing": len(filing_missing),
        "numbers_given_twice": sum(1 for c in numbers.values() if c > 1),
        "decisions_acked": len(decided), "decisions_refused": len(drill.decisions) - len(decided),
        "decisions_missing": len(decision_missing),
        "notices_expected": sum(expected.values()), "notices_missing": missing,
        "notices_twice": sum(c - 1 for c in twice.values()),
        "notices_twice_slack": sum(c - 1 for k, c in twice.items() if k[0] == "slack"),
        "notices_twice_email": sum(c - 1 for k, c in twice.items() if k[0] == "email"),
        "notices_unexpected": unexpected,
        "review_cards_twice": sum(c - 1 for c in cards.values() if c > 1),
        "review_cards_missing": sum(1 for _, n in filed_told if not cards[n]),
        "slack_questions_twice": sum(c - 1 for c in questions.values() if c > 1),
        "mails_twice_by_message_id": sum(c - 1 for c in message_ids.values() if c > 1),
        "walk_failures": drill.failures[:5], "walk_failure_count": len(drill.failures),
    }


def count(name: str, value: int, out_of: int, note: str = "", **extra: Any) -> Figure:
    return Figure(name, "count", float(value), float(value), float(out_of), float(out_of), out_of,
                  goal="0", note=note, extra=extra)


async def measure(quick: bool, seed: int | None = None) -> list[Figure]:
    kills = int(os.environ.get("BENCH_KILLS") or (QUICK_KILLS if quick else KILLS))
    wave = os.environ.get("BENCH_WAVE")  # "SLACK,MAIL" applicants per wave
    size = tuple(int(x) for x in wave.split(",")) if wave else QUICK_WAVE if quick else WAVE
    seed = seed if seed is not None else int(time.time())
    rng = random.Random(seed)
    began = time.perf_counter()
    with stack.scratch("crash") as workdir:
        mock = stack.BenchSlack()
        await mock.start()
        sink = stack.BenchSink(keep=True)
        server, relay_port = await stack.start_sink(sink)
        schedule = workdir / "schedule.txt"
        dates = stack.write_schedule(schedule)
        data = workdir / "data"
        svc = stack.service(workdir, data, schedule, api_url=mock.url, relay_port=relay_port)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            drill = Drill(svc, data, mock, sink, session, dates[2].isoformat(), rng)
            try:
                await svc.start()
                _, waves = await asyncio.gather(drill.killer(kills), drill.waves(size))
                await drill.settle()
            finally:
                await svc.stop()
                await mock.stop()
                server.close()
        files = await asyncio.to_thread(readable, data)
        result = await asyncio.to_thread(check, drill)
        drill.store.close()
    took = time.perf_counter() - began
    info = {"seed": seed, "waves": waves, "seconds": round(took, 1), **files, **result,
            "kills_during_start": sum(k["during_start"] for k in drill.kills)}
    real_kills = len(drill.kills)
    twice = result["notices_twice"]
    return [
        count(f"crash drill: SIGKILLs under load ({waves} wave(s) of {size[0]}+{size[1]} applicants)", real_kills,
              real_kills, note=f"{took:.0f} s, seed {seed}", **info),
        count("crash drill: TinyDB files unreadable", files["unreadable"], files["json_files"],
              note=f"{files['temp_files_left']} orphan temp files left, {files['spool_left']} mails left in the spool"),
        count("crash drill: acknowledged Slack answers lost (HTTP 200)", result["lost_slack_events"],
              result["acked_slack_events"], note="typed again by the applicant; where: "
              + ", ".join(f"{k}×{v}" for k, v in result["lost_at"].items())),
        count("crash drill: acknowledged mails lost (SMTP 250)", result["lost_mails"], result["acked_mails"]),
        count("crash drill: acknowledged filings missing", result["filings_missing"], result["filings_told"],
              note=f"{result['numbers_given_twice']} numbers given twice"),
        count("crash drill: acknowledged decisions missing (CLI exit 0)", result["decisions_missing"],
              result["decisions_acked"]),
        count("crash drill: notices never delivered", result["notices_missing"], result["notices_expected"]),
        count("crash drill: notices delivered twice", twice, result["notices_expected"],
              note=f"Slack {result['notices_twice_slack']}, mail {result['notices_twice_email']}; also "
                   f"{result['review_cards_twice']} review cards, {result['slack_questions_twice']} Slack questions, "
                   f"{result['mails_twice_by_message_id']} mails (same Message-ID) twice"),
    ]


def run(quick: bool = False) -> list[Figure]:
    seed = os.environ.get("BENCH_SEED")
    return asyncio.run(measure(quick, int(seed) if seed else None))


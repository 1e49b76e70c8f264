"""Stored applications for the scaling benchmark, generated once per size and cached.

Five template applications are made by the real core on a real ``TinyStore`` (a Slack applicant
walks the whole conversation; then it is approved and reaches its start date, or is rejected,
withdrawn, left under review, or abandoned as a draft and closed by the reminders), and every
outbox message is marked sent, as it is long after the fact. Each generated application is a
copy of one template's files (its checkpoint and its history) with its own id, person keys,
addresses and acceptance number, written where ``TinyStore`` puts them, with the index files
(people and number shards, and the meta file with the serials). None of them has pending
messages or reminders left, like an archive of past applications.

    python -m bench.gen 100000           # builds bench/results/scale-data/100000-v… if missing
    python -m bench.gen 10000:no-slack   # as an email-only deployment keeps them

The cache is keyed by size and by ``VERSION``; a benchmark works on a hard-linked copy (the store
replaces files rather than writing them in place; the one exception, a history file, is appended
to only when its application changes, and the benchmarks change only applications of their own),
so the cache stays pristine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import stack
from bench.applicants import answers
from store.tiny.layout import Layout, person_shard

VERSION = "5"  # bump whenever the store layout changes
CACHE = stack.RESULTS / "scale-data"
USER = "UTPLX9"  # placeholders, replaced in each copy
ADDRESS = "utplx9@example.co.jp"
ADMIN = "admin-utplx9@example.co.jp"
KINDS = ["active", "active", "active", "active", "active", "rejected", "rejected", "withdrawn",
         "under_review", "closed"]  # the mix, cycled


def templates(schedule: Path, dates: list[Any]) -> dict[str, dict[str, Any]]:
    """{kind: {"app": the TinyDB file's JSON, "id": …, "number": … or None}}."""
    from bot.config import Config
    from bot.service import Person
    from handlers import bootstrap
    from tests.fakes import clock_at

    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in sorted(set(KINDS)):
            clock = clock_at(stack.today_jst().isoformat() + "T10:00")
            bot = bootstrap.build(Config(data_dir=Path(tmp) / kind, schedule=schedule, secret=stack.SECRET,
                                         review_channel=stack.REVIEW_CHANNEL), clock=clock)
            svc = bot.service
            person = Person(key=f"slack:{USER}", channel="slack", address=USER,
                            prefill={"applicant_name": "申込 太郎", "applicant_email": ADDRESS},
                            aliases=(f"email:{ADDRESS}",))
            texts = ["WebNACCSの申込をしたいです", *answers(dates[2].isoformat(), ADDRESS, ADMIN)]
            if kind == "closed":
                texts = texts[:6]
            for n, text in enumerate(texts):
                svc.handle(person, text, key=f"slack-event:EvTPL{n:04d}")
                clock.advance(seconds=40)
            app = svc.open_draft(person) or svc.applications_of(person)[-1]
            number = app.acceptance_number
            clock.advance(days=1)
            if kind == "active":
                assert svc.decide(number, decision="approve", actor="slack:UREV1",
                                  start_date=dates[2].isoformat()).applied
                while svc.load(app.id).state != "active":  # type: ignore[union-attr]
                    clock.advance(days=1)
                    svc.run_reminders()
            elif kind == "rejected":
                assert svc.decide(number, decision="reject", actor="slack:UREV1",
                                  reason="記載内容に不備があるため").applied
            elif kind == "withdrawn":
                svc.handle(person, "取下げ", key="slack-event:EvTPLw1")
                svc.handle(person, "はい", key="slack-event:EvTPLw2")
            elif kind == "closed":
                for _ in range(16):
                    clock.advance(days=1)
                    svc.run_reminders()
            for message in bot.store.pending_outbox():
                bot.store.mark_outbox(message["app_id"], message["id"], "sent", attempts=1,
                                      sent_at=(clock.now() + timedelta(seconds=1)).isoformat())
            final = svc.load(app.id)
            assert final is not None and final.state == kind and final.wakeup is None, (kind, final)
            bot.store.checkpoint()
            paths = Layout(Path(tmp) / kind)
            out[kind] = {"app": paths.app(app.id).read_text(encoding="utf-8"),
                         "history": paths.history(app.id).read_text(encoding="utf-8"),
                         "id": app.id, "number": number}
    return out


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _unsent_reviews(t: dict[str, Any]) -> None:
    """A template as a deployment without Slack keeps it: the review channel has no sender, so
    the review messages (card, card updates) are still pending in the outbox, not in the history."""
    data = json.loads(t["app"])
    outbox = data.setdefault("outbox", {})
    kept = []
    for line in t["history"].splitlines():
        message = json.loads(line).get("sent")
        if message and message.get("channel") == "review":
            message["status"] = "pending"
            for key in ("sent_at", "attempts", "slack_ts", "slack_channel"):
                message.pop(key, None)
            outbox[str(len(outbox) + 1)] = message
        else:
            kept.append(line)
    t["app"] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    t["history"] = "\n".join(kept) + "\n"


def generate(size: int, target: Path, *, slack: bool = True) -> None:
    """``size`` applications in ``target`` (a data dir), from the templates; with ``slack``
    False, as an email-only deployment keeps them (review messages pending)."""
    work = Path(tempfile.mkdtemp(prefix="webnaccs-gen-"))
    try:
        schedule = work / "schedule.txt"
        dates = stack.write_schedule(schedule)
        tpl = templates(schedule, dates)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    target.mkdir(parents=True, mode=0o700)
    if not slack:
        for t in tpl.values():
            _unsent_reviews(t)
    paths = Layout(target)
    for sub in ("apps", "history", "index", "index/people", "index/numbers"):
        (target / sub).mkdir(mode=0o700)
    for h in range(256):
        (target / "apps" / f"{h:02x}").mkdir(mode=0o700)
        (target / "history" / f"{h:02x}").mkdir(mode=0o700)
    serials: dict[str, int] = {}
    people: dict[str, dict[str, list[str]]] = {}
    numbers: dict[str, dict[str, str]] = {}
    pending: list[str] = []
    filed = 0
    for i in range(size):
        t = tpl[KINDS[i % len(KINDS)]]
        app_id = f"a{i:015x}"
        user, address = f"UG{i:07d}", f"ug{i:07d}@example.co.jp"
        app_text, history = (text.replace(t["id"], app_id).replace(USER, user).replace(USER.lower(), user.lower())
                             for text in (t["app"], t["history"]))
        if t["number"]:
            year, serial = f"{25 - filed // 9000:02d}", filed % 9000 + 1
            filed += 1
            number = f"{year}{serial:04d}A"
            serials[year] = max(serials.get(year, 0), serial)
            app_text, history = app_text.replace(t["number"], number), history.replace(t["number"], number)
            numbers.setdefault(year, {})[number] = app_id
            if not slack:
                pending.append(app_id)
        assert address in app_text
        _write(paths.app(app_id), app_text)
        _write(paths.history(app_id), history)
        for key in (f"slack:{user}", f"email:{address}"):
            people.setdefault(person_shard(key), {})[key] = [app_id]
    for shard, entries in people.items():
        _write(paths.people_shard(shard), json.dumps(entries, ensure_ascii=False))
    for year, entries in numbers.items():
        _write(paths.numbers_shard(year), json.dumps(entries))
    _write(paths.meta, json.dumps({"format": 2, "seq": 0, "serials": serials, "wakeups": {},
                                   "pending": {"review": pending} if pending else {}}))


def cached(size: int, *, slack: bool = True) -> Path:
    """The pristine data dir of ``size`` applications, generated if missing."""
    folder = CACHE / f"{size}-v{VERSION}{'' if slack else '-no-slack'}"
    data = folder / "data"
    if (folder / "done").exists():
        return data
    shutil.rmtree(folder, ignore_errors=True)
    began = time.perf_counter()
    generate(size, data, slack=slack)
    (folder / "done").write_text(f"{time.perf_counter() - began:.1f}\n")
    return data


def working_copy(size: int, into: Path, *, slack: bool = True) -> Path:
    """A hard-linked copy of the cached data dir (fast; the cache is never written through it)."""
    source = cached(size, slack=slack)
    target = into / "data"
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)
    return target


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        t0 = time.perf_counter()
        size, _, variant = arg.partition(":")  # 1000:no-slack for the email-only variant
        print(cached(int(size), slack=variant != "no-slack"), f"{time.perf_counter() - t0:.1f}s")

"""What every Slack and email benchmark stands on: the mocks on loopback (in this process) and
the service under test (in its own process).

* ``BenchSlack``, ``BenchSink`` (``bench/mocks.py``, importable from here): the tests' Slack Web
  API mock and relay sink, stamping when each call or mail arrives.
* ``ServiceProcess``: ``python -m handlers serve`` (the real entry point) with its environment
  pointing at the mocks; the baselines (``bench.baseline_slack``, ``bench.baseline_email``) run
  the same way, each in a process of its own, so the service never shares a core or a GIL with
  the load it is measured under, and its resident memory is its own.

Every socket is on 127.0.0.1; every process is started here and stopped or killed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.mocks import BenchSink as BenchSink  # the mocks, here too: every benchmark imports them from stack
from bench.mocks import BenchSlack as BenchSlack
from bench.mocks import Mail as Mail
from bench.mocks import Waiters as Waiters
from bench.mocks import is_question as is_question
from bench.mocks import notice_of as notice_of
from bench.mocks import question_field as question_field
from bench.mocks import start_sink as start_sink

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
JST = ZoneInfo("Asia/Tokyo")
SIGNING_SECRET = "bench-signing-secret-0123456789"
BOT_TOKEN = "xoxb-bench-bot-token"
SECRET = "bench-secret-for-tokens-links-and-vault"
BOT_ADDRESS = "webnaccs@localhost"
REVIEW_CHANNEL = "CREVIEW"
REVIEWER = "UREV1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def today_jst() -> date:
    return datetime.now(JST).date()


def write_schedule(path: Path) -> list[date]:
    """A schedule around the real today (the service runs on the system clock): a registration
    date on the 1st and the 16th of each month for a year, deadline 14 days before. Returns the
    dates whose deadline is still ahead (the first few are valid answers)."""
    today = today_jst()
    rows = []
    day = today.replace(day=1)
    while len(rows) < 26:
        for d in (day, day.replace(day=16)):
            if d > today:
                rows.append((d, d - timedelta(days=14)))
        day = (day + timedelta(days=32)).replace(day=1)
    path.write_text("".join(f"{d.isoformat()}, {dl.isoformat()}\n" for d, dl in rows), encoding="utf-8")
    return [d for d, dl in rows if dl > today]


def rss_kib(pid: int) -> int:
    """Resident set size of a process (VmRSS from /proc), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the mocks ----------------------------------------------------------------------------------


async def store_counters(url: str) -> dict[str, float]:
    """The service's own counters from ``GET /metrics`` (fsyncs, files written, journal lines,
    turns per channel), by metric name (``_total`` dropped; turns as ``turns_<channel>``)."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        text = await response.text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("webnaccs_store_") and line.split(" ")[0].endswith("_total"):
            name, value = line.split(" ")
            out[name[len("webnaccs_store_"):-len("_total")]] = float(value)
        elif line.startswith("webnaccs_turns_total{"):
            channel = line.split('channel="')[1].split('"')[0]
            out[f"turns_{channel}"] = float(line.rsplit(" ", 1)[1])
    return out


class Counted:
    """What a process paid over some turns: fsyncs, files written, CPU seconds (our counters)."""

    def __init__(self, url: str | None, pid: int) -> None:
        self.url, self.pid = url, pid
        self.before: dict[str, float] = {}

    async def __aenter__(self) -> Counted:
        self.before = await self._read()
        return self

    async def __aexit__(self, *exc: object) -> None:
        after = await self._read()
        self.spent = {k: after[k] - self.before.get(k, 0.0) for k in after}

    async def _read(self) -> dict[str, float]:
        counts = await store_counters(self.url) if self.url else {}
        return {**counts, "cpu": cpu_seconds(self.pid)}

    def per(self, turns: int) -> dict[str, float]:
        return {k: round(v / turns, 4) for k, v in self.spent.items() if not k.startswith("turns_")}


# --- processes ----------------------------------------------------------------------------------


def quiet_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBNACCS_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class ServiceProcess:
    """One process listening on ``http_port`` (and ``smtp_port``), started from ``argv``."""

    argv: list[str]
    env: dict[str, str]
    workdir: Path
    http_port: int
    smtp_port: int | None = None
    name: str = "service"
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    async def start(self, timeout: float = 60.0) -> float:
        """Start it and wait until its ports answer; returns the seconds that took."""
        began = time.perf_counter()
        self.spawn()
        await self.ready(timeout)
        return time.perf_counter() - began

    def spawn(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.workdir, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    async def ready(self, timeout: float = 60.0) -> None:
        """Until every port of the current process answers."""
        assert self.proc is not None
        ports = [self.http_port] + ([self.smtp_port] if self.smtp_port else [])
        deadline = time.monotonic() + timeout
        for port in ports:
            while not await _answers(port):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see "
                                       f"{self.workdir / (self.name + '.log')}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} did not listen on {port}")
                await asyncio.sleep(0.02)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (a clean stop), SIGKILL if it does not go."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                break
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


async def _answers(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return True


def service(workdir: Path, data_dir: Path, schedule: Path, *, api_url: str | None,
            relay_port: int | None, name: str = "service", extra: dict[str, str] | None = None
            ) -> ServiceProcess:
    """``python -m handlers serve`` with Slack in HTTP mode against the mock (when ``api_url``)
    and the email channel sending through the sink (when ``relay_port``)."""
    http_port, smtp_port = free_port(), free_port()
    env = quiet_env()
    env.update({
        "WEBNACCS_DATA_DIR": str(data_dir), "WEBNACCS_SCHEDULE": str(schedule),
        "WEBNACCS_HTTP_HOST": "127.0.0.1", "WEBNACCS_HTTP_PORT": str(http_port),
        "WEBNACCS_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
        "WEBNACCS_SMTP_HOST": "127.0.0.1", "WEBNACCS_SMTP_PORT": str(smtp_port),
        "WEBNACCS_MAIL_ADDRESS": BOT_ADDRESS, "WEBNACCS_SECRET": SECRET, "WEBNACCS_LANG": "ja",
    })
    if relay_port:
        env["WEBNACCS_SMTP_RELAY"] = f"127.0.0.1:{relay_port}"
    if api_url:
        env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SLACK_API_URL": api_url, "WEBNACCS_REVIEW_CHANNEL": REVIEW_CHANNEL,
                    "WEBNACCS_REVIEWERS": REVIEWER})
    if os.environ.get("BENCH_BACKEND") == "postgres" and "WEBNACCS_DATABASE_URL" not in (extra or {}):
        env["WEBNACCS_DATABASE_URL"] = database(workdir)
    env.update(extra or {})
    return ServiceProcess([sys.executable, "-m", "handlers", "serve"], env, workdir, http_port,
                          smtp_port, name=name)


_schemas: dict[Path, str] = {}


def database(workdir: Path) -> str:
    """A fresh, migrated PostgreSQL schema for the services of ``workdir`` (the same one for every
    replica started there), dropped when the benchmark process ends."""
    if workdir in _schemas:
        return _schemas[workdir]
    import atexit
    import secrets
    from urllib.parse import quote

    import psycopg

    from store.postgres import schema

    base = os.environ.get("WEBNACCS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"bench_{secrets.token_hex(5)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={name}')}"
    with psycopg.connect(url, autocommit=True) as conn:
        schema.migrate(conn)

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    atexit.register(drop)
    _schemas[workdir] = url
    return url


def baseline_slack(workdir: Path, api_url: str) -> ServiceProcess:
    port = free_port()
    env = quiet_env()
    env.update({"BENCH_PORT": str(port), "BENCH_API_URL": api_url, "BENCH_SIGNING_SECRET": SIGNING_SECRET,
                "BENCH_BOT_TOKEN": BOT_TOKEN})
    return ServiceProcess([sys.executable, "-m", "bench.baseline_slack"], env, workdir, port,
                          name="baseline-slack")


def baseline_email(workdir: Path, relay_port: int) -> ServiceProcess:
    port = free_port()
    env = quiet_env()
    env.update({"BENCH_PORT": str(port), "BENCH_RELAY_PORT": str(relay_port)})
    return ServiceProcess([sys.executable, "-m", "bench.baseline_email"], env, workdir, port,
                          smtp_port=None, name="baseline-email")


@contextlib.contextmanager
def scratch(prefix: str) -> Any:
    """A temporary folder for one benchmark (data dir, logs), removed afterwards unless
    BENCH_KEEP is set."""
    path = Path(tempfile.mkdtemp(prefix=f"webnaccs-bench-{prefix}-"))
    try:
        yield path
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(path, ignore_errors=True)
        else:
            print(f"kept {path}", file=sys.stderr)


async def until(predicate: Callable[[], Any], timeout: float, what: str = "", every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(every)

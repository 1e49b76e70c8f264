"""``webnaccs-bot serve`` as an operator starts it (issue 13 items 7-9): one clear line when it
cannot start, where outgoing mail goes, systemd's readiness notice, logs for shippers, and
/metrics with the outbox, the spool, deliveries and applications per state."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.cli_helpers import file_application, make_env

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # generous: a wait ends as soon as the line is there


class Serve:
    """One ``python -m handlers serve`` process, its output read line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "handlers", "serve"], env=env, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.out.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.err.append), daemon=True).start()

    @staticmethod
    def _read(stream, put) -> None:
        for text in stream:
            put(text.rstrip("\n"))

    def started(self) -> list[str]:
        """The start-up lines, once it is listening."""
        lines: list[str] = []
        deadline = time.monotonic() + WAIT
        while not lines or not lines[-1].startswith(("停止するには", "Press Ctrl+C")):
            try:
                lines.append(self.out.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"serve did not start: {lines} {self.err}") from None
        return lines

    def url(self, lines: list[str]) -> str:
        return re.search(r"(http://127\.0\.0\.1:\d+)", lines[0]).group(1)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT)


@pytest.fixture
def serving() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for s in started:
        if s.process.poll() is None:
            s.process.kill()
            s.process.wait()


def serve_env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {**make_env(tmp_path), "WEBNACCS_HTTP_PORT": "0", "WEBNACCS_SMTP_PORT": "0", **more}


def once(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "handlers", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=WAIT)


@pytest.fixture
def taken() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("which", ["HTTP", "SMTP"])
def test_a_busy_port_is_one_line_naming_it(tmp_path, taken, which):
    env = serve_env(tmp_path, **{f"WEBNACCS_{which}_PORT": str(taken)})
    result = once(["serve"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [said] = [line for line in result.stderr.splitlines() if "起動できません" in line]
    assert which in said and str(taken) in said and f"WEBNACCS_{which}_PORT" in said


def test_a_second_serve_on_the_same_data_directory_is_refused_in_one_line(tmp_path, serving):
    env = serve_env(tmp_path)
    first = Serve(env)
    serving.append(first)
    first.started()
    second = once(["serve"], env)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert "別の webnaccs-bot serve" in second.stderr and str(tmp_path / "data") in second.stderr
    assert first.stop() == 0


def test_the_start_up_line_says_where_mail_goes(tmp_path, serving):
    env = serve_env(tmp_path)
    local = Serve(env)
    serving.append(local)
    lines = local.started()
    assert any(f"{tmp_path / 'data' / 'mail'}/ に保存" in line for line in lines), lines
    local.stop()
    relayed = Serve({**env, "WEBNACCS_SMTP_RELAY": "127.0.0.1:2525", "WEBNACCS_LANG": "en"})
    serving.append(relayed)
    lines = relayed.started()
    assert any("through the relay 127.0.0.1:2525 (STARTTLS when offered)" in line for line in lines), lines
    relayed.stop()


def test_systemd_hears_ready_and_stopping(tmp_path, serving):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(WAIT)
        process = Serve(serve_env(tmp_path, NOTIFY_SOCKET=str(path)))
        serving.append(process)
        process.started()
        assert listener.recv(4096).decode().startswith("READY=1")
        assert process.stop() == 0
        assert listener.recv(4096) == b"STOPPING=1"


def test_json_logs_one_object_per_line_with_the_zone(tmp_path, serving):
    process = Serve(serve_env(tmp_path, WEBNACCS_LOG_FORMAT="json", WEBNACCS_LOG_LEVEL="info"))
    serving.append(process)
    process.started()
    assert process.stop() == 0
    records = [json.loads(line) for line in process.err]
    assert any(r["logger"] == "webnaccs.email" and "SMTP listening" in r["message"] for r in records)
    assert all(datetime.fromisoformat(r["time"]).tzinfo is not None for r in records)


def test_a_bad_log_setting_is_one_line(tmp_path):
    result = once(["serve"], serve_env(tmp_path, WEBNACCS_LOG_LEVEL="loud"))
    assert result.returncode == 1 and "WEBNACCS_LOG_LEVEL" in result.stderr and "Traceback" not in result.stderr


def scrape(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url + "/metrics", timeout=WAIT) as response:
        text = response.read().decode()
    return {name: float(value) for name, value in re.findall(r"^(\S+) (\S+)$", text, re.M)}


def until_metric(url: str, name: str, at_least: float = 0) -> dict[str, float]:
    deadline = time.monotonic() + WAIT
    while True:
        found = scrape(url)
        if found.get(name, -1) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_metrics_show_the_outbox_deliveries_the_spool_and_the_states(tmp_path, serving):
    env = serve_env(tmp_path)
    file_application(env)  # two acknowledgments by mail, queued before the start
    (tmp_path / "data" / "spool" / "failed").mkdir(parents=True)
    (tmp_path / "data" / "spool" / "failed" / "0001-aa.mail").write_bytes(b"{}\nbroken")
    process = Serve(env)
    serving.append(process)
    url = process.url(process.started())
    found = until_metric(url, 'webnaccs_outbox_deliveries_total{channel="email",outcome="sent"}', 2)
    assert found['webnaccs_outbox_deliveries_total{channel="email",outcome="sent"}'] == 2
    assert found.get('webnaccs_outbox_pending{channel="review"}', 0) == 0  # no review channel: none queued (12.9)
    assert found["webnaccs_inbound_failed"] == 1 and found["webnaccs_inbound_spooled"] == 0
    found = until_metric(url, 'webnaccs_applications{state="under_review"}')
    assert found['webnaccs_applications{state="under_review"}'] == 1
    assert "webnaccs_census_age_seconds" in found
    assert process.stop() == 0


def test_settings_the_service_cannot_use_are_one_line(tmp_path):
    bad_ca = once(["serve"], serve_env(tmp_path, WEBNACCS_SMTP_RELAY="127.0.0.1:2525",
                                       WEBNACCS_SMTP_CA_FILE=str(tmp_path / "no-such-ca.pem")))
    assert bad_ca.returncode == 1 and "Traceback" not in bad_ca.stderr
    assert "WEBNACCS_SMTP_CA_FILE" in bad_ca.stderr and len(bad_ca.stderr.strip().splitlines()) == 1
    no_schedule = once(["serve"], serve_env(tmp_path, WEBNACCS_SCHEDULE=str(tmp_path / "missing.txt")))
    assert no_schedule.returncode == 1 and "Traceback" not in no_schedule.stderr
    assert str(tmp_path / "missing.txt") in no_schedule.stderr
    bad_tls = once(["serve"], serve_env(tmp_path, WEBNACCS_SMTP_TLS="sometimes"))
    assert bad_tls.returncode == 1 and "WEBNACCS_SMTP_TLS" in bad_tls.stderr and "Traceback" not in bad_tls.stderr

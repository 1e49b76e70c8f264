"""deploy/: the systemd unit, checked by systemd-analyze where it exists, and the container
file, parsed (nothing can build images here); its HEALTHCHECK command is run against /healthz
(issue 13 item 9)."""

from __future__ import annotations

import configparser
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "webnaccs-bot.service"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")


def unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)  # SystemCallFilter= may be given twice
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_the_unit_runs_serve_as_its_own_user_in_its_state_directory_hardened():
    service = unit()["Service"]
    assert service["Type"] == "notify" and service["Restart"] == "on-failure"
    assert service["ExecStart"].endswith("webnaccs-bot serve")
    assert service["User"] == "webnaccs-bot" and service["StateDirectory"] == "webnaccs-bot"
    assert service["StateDirectoryMode"] == "0700" and service["UMask"] == "0077"
    environment = [line.split("=", 1)[1] for line in UNIT.read_text().splitlines() if line.startswith("Environment=")]
    assert "WEBNACCS_DATA_DIR=/var/lib/webnaccs-bot" in environment  # the StateDirectory
    assert service["EnvironmentFile"] == "/etc/webnaccs-bot/env"
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": ""}.items():
        assert service[key] == value, key
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The unit as installed here: ExecStart pointing at this environment's webnaccs-bot."""
    command = Path(sys.executable).parent / "webnaccs-bot"
    assert command.exists(), "pip install -e . puts the webnaccs-bot command beside python"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/webnaccs-bot/bin/webnaccs-bot", str(command))
    path = tmp_path / "webnaccs-bot.service"
    path.write_text(text, encoding="utf-8")
    return path


def verify(path: Path) -> list[str]:
    """What systemd-analyze verify says about the unit (it exits 0 on values it ignores)."""
    assert ANALYZE is not None
    result = subprocess.run([ANALYZE, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60)
    said = [line for line in (result.stdout + result.stderr).splitlines() if path.name in line]
    return said if result.returncode == 0 else [*said, f"exit {result.returncode}: {result.stderr}"]


@needs_systemd
def test_systemd_analyze_verify_finds_nothing_wrong(installed):
    assert verify(installed) == []


@needs_systemd
def test_verify_would_catch_a_mistake(installed):
    """The check above can fail: a misspelt value is reported against the unit."""
    installed.write_text(installed.read_text().replace("ProtectSystem=strict", "ProtectSystem=stricter"))
    assert any("stricter" in line for line in verify(installed))


@needs_systemd
def test_the_units_exposure_is_low(installed):
    """systemd-analyze security rates it 'OK' (exposure under 2.0 of 10)."""
    result = subprocess.run([ANALYZE, "security", "--offline=yes", "--threshold=20", str(installed)],
                            capture_output=True, text=True, timeout=60)
    if "--offline" in result.stderr and "unrecognized" in result.stderr:
        pytest.skip("this systemd-analyze has no offline security check (systemd < 250)")
    assert result.returncode == 0, result.stdout[-500:]


def containerfile() -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO(CONTAINERFILE.read_bytes()))


def instructions(parsed: DockerfileParser, name: str) -> list[str]:
    return [i["value"] for i in parsed.structure if i["instruction"] == name]


def test_the_container_file_is_slim_unprivileged_and_keeps_its_data_in_a_volume():
    parsed = containerfile()
    assert parsed.baseimage == "python:3.11-slim"
    user = instructions(parsed, "USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    volumes = [v for value in instructions(parsed, "VOLUME") for v in json.loads(value)]
    assert parsed.envs["WEBNACCS_DATA_DIR"] in volumes
    exposed = {int(p) for value in instructions(parsed, "EXPOSE") for p in value.split()}
    assert exposed == {int(parsed.envs["WEBNACCS_HTTP_PORT"]), int(parsed.envs["WEBNACCS_SMTP_PORT"])}
    assert parsed.envs["WEBNACCS_HTTP_HOST"] == "0.0.0.0"  # reachable from outside the container
    [health] = instructions(parsed, "HEALTHCHECK")
    assert "/healthz" in health
    for value in instructions(parsed, "COPY"):
        *sources, _ = value.split()
        assert all((ROOT / s).exists() for s in sources), value
    assert json.loads(instructions(parsed, "ENTRYPOINT")[-1]) == ["webnaccs-bot"]
    assert json.loads(instructions(parsed, "CMD")[-1]) == ["serve"]


def health_command() -> list[str]:
    [health] = instructions(containerfile(), "HEALTHCHECK")
    return json.loads(health[health.index("CMD") + 3:].strip())


class Healthz(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "ok"}).encode()
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def healthz() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_the_healthcheck_command_passes_on_healthz_and_fails_without_it(healthz):
    command = [sys.executable, *health_command()[1:]]
    assert health_command()[0] == "python"
    up = subprocess.run(command, env={**os.environ, "WEBNACCS_HTTP_PORT": str(healthz)}, capture_output=True,
                        timeout=30)
    assert up.returncode == 0, up.stderr
    down = subprocess.run(command, env={**os.environ, "WEBNACCS_HTTP_PORT": str(unused_port())}, capture_output=True,
                          timeout=30)
    assert down.returncode != 0


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

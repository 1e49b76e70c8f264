"""The checks of what is on this machine: the data directory, the schedule; and the public URL."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import stat
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bot.config import Config
from handlers.bootstrap import load_schedule
from handlers.doctor.checks import Check, fail, ok, warn
from handlers.schedule_coverage import covers_less_than_a_year

PRIVATE = 0o077  # group and other bits: none may be set on anything in the data directory
STORE_PARTS = ("journal", "apps", "index")  # what a store that has run leaves (store/tiny/layout.py)


def data_dir(config: Config) -> list[Check]:
    path = config.data_dir.resolve()
    if not path.exists():
        return [warn("data_missing", path=str(path))]
    if not path.is_dir():
        return [fail("data_not_dir", path=str(path))]
    checks: list[Check] = []
    info = path.stat()
    if not os.access(path, os.W_OK | os.X_OK):
        checks.append(fail("data_not_writable", path=str(path)))
    if info.st_uid != os.geteuid():
        checks.append(warn("data_owner", path=str(path), uid=info.st_uid, me=os.geteuid()))
    if info.st_mode & PRIVATE:
        checks.append(fail("data_dir_mode", path=str(path), mode=_mode(info.st_mode)))
    opened, count = _too_open(path)
    if opened:
        checks.append(fail("data_files_mode", path=str(path), count=len(opened), example=opened[0][0],
                           mode=opened[0][1]))
    if not checks:
        checks.append(ok("data_ok", path=str(path), files=count))
    return [*checks, _key(config, path)]


def _too_open(root: Path) -> tuple[list[tuple[str, str]], int]:
    """(relative path, mode) of what group or others may use, and how many files were looked at."""
    found: list[tuple[str, str]] = []
    count = 0
    for folder, dirs, files in os.walk(root, onerror=lambda e: None):
        for name in [*dirs, *files]:
            full = Path(folder) / name
            try:
                mode = full.lstat().st_mode
            except OSError:  # removed meanwhile by the running service
                continue
            count += 0 if stat.S_ISDIR(mode) else 1
            if mode & PRIVATE and not stat.S_ISLNK(mode):
                found.append((str(full.relative_to(root)), _mode(mode)))
    return sorted(found), count


def _mode(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def _key(config: Config, path: Path) -> Check:
    key = path / "secret.key"
    if config.secret and key.exists():
        return warn("key_both", path=str(key))
    if config.secret:
        return ok("key_env")
    if key.is_file():
        return ok("key_file", path=str(key))
    if any((path / part).exists() for part in STORE_PARTS):
        return fail("key_lost", path=str(key))
    return warn("key_new", path=str(key))


def schedule(config: Config, today: date) -> list[Check]:
    path = config.schedule
    try:
        parsed = load_schedule(path)
    except (OSError, UnicodeDecodeError) as e:
        return [fail("schedule_unreadable", path=str(path), error=reason_of(e))]
    if parsed.problems:
        first = parsed.problems[0]
        return [fail("schedule_problems", path=str(path), count=len(parsed.problems), line=first.line,
                     text=first.text)]
    last = parsed.last_date()
    if not parsed.next_dates(today, 1):
        return [fail("schedule_none_open", path=str(path), last=last)]
    if covers_less_than_a_year(last, today):
        return [warn("schedule_short", path=str(path), last=last, rows=len(parsed.slots))]
    return [ok("schedule_ok", path=str(path), last=last, rows=len(parsed.slots))]


async def public_url(config: Config, env: Mapping[str, str], *, timeout: float) -> list[Check]:
    url = config.public_url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [fail("url_bad", url=url)]
    checks: list[Check] = []
    if not (env.get("WEBNACCS_PUBLIC_URL") or "").strip():
        checks.append(warn("url_unset", url=url))
    elif parts.scheme == "http" and not _loopback(parts.hostname):
        checks.append(warn("url_plain_http", url=url))
    health = url.rstrip("/") + "/healthz"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, \
                session.get(health, allow_redirects=False) as response:
            body = await response.json(content_type=None) if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as e:
        return [*checks, warn("url_unreachable", url=health, error=reason_of(e))]
    if not isinstance(body, dict) or body.get("status") != "ok":
        return [*checks, warn("url_not_ours", url=health, status=response.status)]
    return checks or [ok("url_ok", url=url)]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reason_of(e: BaseException) -> str:
    text = str(e).strip()
    if isinstance(e, asyncio.TimeoutError | TimeoutError) and not text:
        return "timed out"
    return f"{type(e).__name__}: {text}" if text else type(e).__name__

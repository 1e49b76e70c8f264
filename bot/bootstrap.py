"""The composition root: the one place that builds real adapters and wires them to the core."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

from bot.config import Config
from bot.dates import JST
from bot.ports import Clock
from bot.reminders import Policy
from bot.schedule import Schedule
from bot.service import Service
from handlers.render import Renderer
from store import TinyStore
from store.vault import AesVault


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(JST)


@dataclass
class Bot:
    config: Config
    service: Service
    renderer: Renderer
    store: TinyStore
    schedule: Schedule
    secret: bytes  # WEBNACCS_SECRET, or one generated once into the data dir


def load_env(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The environment, with a ``.env`` file in the working directory filling the gaps."""
    values = {k: v for k, v in dotenv_values(dotenv or Path.cwd() / ".env").items() if v is not None}
    values.update(os.environ if environ is None else environ)
    return values


def load_schedule(path: Path) -> Schedule:
    return Schedule.parse(path.read_text(encoding="utf-8"))


def load_secret(config: Config) -> bytes:
    """WEBNACCS_SECRET if set; otherwise a random key created once in the data dir (0600)."""
    if config.secret:
        return config.secret.encode("utf-8")
    path = config.data_dir / "secret.key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex())
        f.flush()
        os.fsync(f.fileno())
    return key


def build(config: Config | None = None, *, clock: Clock | None = None) -> Bot:
    config = config or Config.from_env(load_env())
    schedule = load_schedule(config.schedule)
    store = TinyStore(config.data_dir)
    secret = load_secret(config)
    service = Service(store=store, clock=clock or SystemClock(), schedule=schedule,
                      vault=AesVault(secret), default_lang=config.lang,
                      policy=Policy(close_after_days=config.draft_close_days))
    return Bot(config=config, service=service, renderer=Renderer(), store=store,
               schedule=schedule, secret=secret)

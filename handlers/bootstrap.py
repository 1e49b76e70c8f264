"""The composition root: the one place that builds the real adapters and wires them to the core.

Nothing else constructs a store, a clock or a channel's parts; the core (``bot/``) sees only
its ports, and each channel gets the collaborators it uses.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dotenv import dotenv_values

from bot.config import Config
from bot.dates import JST
from bot.pacing import Pace
from bot.ports import Clock, Store
from bot.reminders import Policy
from bot.schedule import Schedule
from bot.service import Service
from handlers.links import LinkSigner
from handlers.outbox import OutboxSignal
from handlers.render import Renderer
from store import TinyStore
from store.postgres import PgStore
from store.postgres.spool import PgSpool
from store.spool import Spool
from store.vault import AesVault

if TYPE_CHECKING:
    from handlers.email import EmailChannel
    from handlers.server import Channel
    from handlers.slack import SlackChannel


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(JST)


class OperatedStore(Store, Protocol):
    """The store ``serve`` and the CLI run: the port, and what operating it needs."""

    def checkpoint(self) -> int: ...

    def own(self) -> None: ...

    def listen(self, wake: Callable[[], None]) -> None: ...

    def disown(self) -> None: ...

    def close(self) -> None: ...

    def sweep_temp_files(self) -> int: ...

    def prune_seen(self, older_than: datetime) -> int: ...


@dataclass
class Bot:
    """Everything built from one configuration (what ``serve`` and the CLI work with)."""

    config: Config
    service: Service
    renderer: Renderer
    store: OperatedStore
    schedule: Schedule
    secret: bytes  # WEBNACCS_SECRET, or one generated once into the data dir
    signal: OutboxSignal  # the core rings it after queuing messages; the dispatcher listens

    @property
    def links(self) -> LinkSigner:
        return LinkSigner(self.secret, self.config.public_url)


def load_env(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The environment, with a ``.env`` file in the working directory filling the gaps."""
    values = {k: v for k, v in dotenv_values(dotenv or Path.cwd() / ".env").items() if v is not None}
    values.update(os.environ if environ is None else environ)
    return values


def load_schedule(path: Path) -> Schedule:
    return Schedule.parse(path.read_text(encoding="utf-8"))


def load_secret(config: Config, store: OperatedStore | None = None) -> bytes:
    """WEBNACCS_SECRET if set; otherwise a random key created once — in the database when the
    replicas share one, else in the data dir (0600)."""
    if config.secret:
        return config.secret.encode("utf-8")
    if isinstance(store, PgStore):
        return store.secret()
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
    store = open_store(config)
    secret = load_secret(config, store)
    signal = OutboxSignal()
    service = Service(store=store, clock=clock or SystemClock(), schedule=schedule,
                      vault=AesVault(secret), default_lang=config.lang,
                      policy=Policy(close_after_days=config.draft_close_days), notify=signal, ahead=signal.ahead,
                      review_channels=config.review_channels,
                      pace=Pace(limit=config.mail_reply_limit, window=config.mail_reply_window))
    return Bot(config=config, service=service, renderer=Renderer(), store=store,
               schedule=schedule, secret=secret, signal=signal)


def open_store(config: Config) -> OperatedStore:
    """PostgreSQL when WEBNACCS_DATABASE_URL is set (several replicas), else TinyDB files."""
    if config.database_url:
        return PgStore(config.database_url, pool_size=config.database_pool)
    return TinyStore(config.data_dir)


def spool(bot: Bot) -> Spool | PgSpool:
    """Where an accepted mail is kept until it is processed: beside the state."""
    if isinstance(bot.store, PgStore):
        return PgSpool(bot.store)
    return Spool(bot.config.data_dir / "spool")


# --- channels -------------------------------------------------------------------------------


def email_channel(bot: Bot, **options: Any) -> EmailChannel:
    """SMTP in, mail out: the channel with its spool, reply addresses, composer and sender."""
    from handlers.email import EmailChannel, compose, fillin
    from handlers.email.addresses import Addresses
    from handlers.email.outbound import MailSender
    from handlers.email.process import Processor

    config = bot.config
    addresses = Addresses(config.mail_address, bot.secret)
    composer = compose.Composer(bot.renderer, addresses, bot.links)
    sender = MailSender(composer, load=bot.service.load, clock=bot.service.clock,
                        envelope_sender=addresses.bot, relay=config.smtp_relay,
                        mail_dir=config.data_dir / "mail", username=config.smtp_user,
                        password=config.smtp_password, tls=config.smtp_tls, ca_file=config.smtp_ca_file)
    bot.signal.here(sender.build_ahead)  # a reply mail is built by the turn that queued it
    processor = Processor(service=bot.service, store=bot.store, addresses=addresses,
                          labels=fillin.Labels(bot.renderer), markers=compose.markers(bot.renderer))
    return EmailChannel(service=bot.service, addresses=addresses, spool=spool(bot),
                        sender=sender, processor=processor, host=options.pop("host", config.smtp_host),
                        port=options.pop("port", config.smtp_port),
                        max_connections=options.pop("max_connections", config.smtp_max_connections),
                        time_budget=options.pop("time_budget", config.mail_time_budget),
                        lang=options.pop("lang", config.lang), **options)


def slack_channel(bot: Bot, **options: Any) -> SlackChannel:
    """Build only when ``config.slack_enabled`` (Slack's libraries load here)."""
    from handlers.slack import SlackChannel

    legacy = bot.config.data_dir / "slack_inbox"  # written by the first release before each 200
    return SlackChannel(config=bot.config, service=bot.service, renderer=bot.renderer, store=bot.store,
                        inbox=Spool(legacy) if legacy.is_dir() else None, **options)


def channels(bot: Bot) -> list[Channel]:
    """Every channel whose settings are present: email always (loopback by default)."""
    found: list[Channel] = [email_channel(bot)]
    if bot.config.slack_enabled:
        found.append(slack_channel(bot))
    return found

"""Settings (SPEC §8), read from a mapping such as ``os.environ``; no I/O here."""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

BUNDLED_SCHEDULE = Path(__file__).resolve().parent / "data" / "schedule.txt"
# WEBNACCS_SMTP_TLS: STARTTLS required, implicit TLS (port 465 style), or plain;
# unset (None) = STARTTLS whenever the relay offers it.
SMTP_TLS_MODES = ("starttls", "tls", "none")
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("./data")
    schedule: Path = BUNDLED_SCHEDULE
    http_host: str = "127.0.0.1"
    http_port: int = 3000
    public_url: str = "http://127.0.0.1:3000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_address: str = "webnaccs@localhost"
    smtp_relay: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str | None = None
    smtp_ca_file: Path | None = None
    secret: str | None = field(default=None, repr=False)
    review_channel: str | None = None
    reviewers: tuple[str, ...] = ()
    reviewer_emails: tuple[str, ...] = ()  # WEBNACCS_REVIEWER_EMAILS: decide by mail and the review page
    lang: str = "ja"
    draft_close_days: int = 14
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    database_url: str | None = field(default=None, repr=False)  # postgresql://… (several replicas)
    database_pool: int = 8
    mail_reply_limit: int = 5  # answers to mail turns that change nothing, per window (bot/pacing.py)
    mail_reply_window: int = 600  # seconds
    smtp_max_connections: int = 256  # inbound SMTP connections open at once; more get 421

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        lang = (get("WEBNACCS_LANG") or "ja").lower()
        http_host = get("WEBNACCS_HTTP_HOST") or "127.0.0.1"
        http_port = int(get("WEBNACCS_HTTP_PORT") or 3000)
        ca_file = get("WEBNACCS_SMTP_CA_FILE")
        return cls(
            data_dir=Path(get("WEBNACCS_DATA_DIR") or "./data"),
            schedule=Path(get("WEBNACCS_SCHEDULE") or BUNDLED_SCHEDULE),
            http_host=http_host,
            http_port=http_port,
            public_url=(get("WEBNACCS_PUBLIC_URL") or local_url(http_host, http_port)).rstrip("/"),
            smtp_host=get("WEBNACCS_SMTP_HOST") or "127.0.0.1",
            smtp_port=int(get("WEBNACCS_SMTP_PORT") or 8025),
            mail_address=get("WEBNACCS_MAIL_ADDRESS") or "webnaccs@localhost",
            smtp_relay=get("WEBNACCS_SMTP_RELAY"),
            smtp_user=get("WEBNACCS_SMTP_USER"),
            smtp_password=get("WEBNACCS_SMTP_PASSWORD"),
            smtp_tls=smtp_tls(get("WEBNACCS_SMTP_TLS"), get("WEBNACCS_SMTP_STARTTLS")),
            smtp_ca_file=Path(ca_file) if ca_file else None,
            secret=get("WEBNACCS_SECRET"),
            review_channel=get("WEBNACCS_REVIEW_CHANNEL"),
            reviewers=tuple(r.strip() for r in (get("WEBNACCS_REVIEWERS") or "").split(",")
                            if r.strip()),
            reviewer_emails=reviewer_emails(get("WEBNACCS_REVIEWER_EMAILS")),
            lang=lang if lang in ("ja", "en") else "ja",
            draft_close_days=int(get("WEBNACCS_DRAFT_CLOSE_DAYS") or 14),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=get("SLACK_API_URL"),
            database_url=get("WEBNACCS_DATABASE_URL"),
            database_pool=int(get("WEBNACCS_DATABASE_POOL") or 8),
            mail_reply_limit=int(get("WEBNACCS_MAIL_REPLY_LIMIT") or 5),
            mail_reply_window=int(get("WEBNACCS_MAIL_REPLY_WINDOW") or 600),
            smtp_max_connections=int(get("WEBNACCS_SMTP_MAX_CONNECTIONS") or 256),
        )

    @property
    def smtp_starttls(self) -> bool:
        """STARTTLS required (what ``WEBNACCS_SMTP_STARTTLS=true`` always meant)."""
        return self.smtp_tls == "starttls"

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def review_channels(self) -> tuple[str, ...]:
        """Where review requests go (the core's ``review_channels``): ``review``, the Slack review
        channel, when Slack and WEBNACCS_REVIEW_CHANNEL are set, and ``email:ADDRESS`` for each
        mail reviewer. Nothing is queued for a channel not listed."""
        slack = ("review",) if self.slack_enabled and self.review_channel else ()
        return (*slack, *(f"email:{a}" for a in self.reviewer_emails))


def _word(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def smtp_tls(tls: str | None, starttls: str | None) -> str | None:
    """The relay TLS mode from ``WEBNACCS_SMTP_TLS`` and the older ``WEBNACCS_SMTP_STARTTLS``."""
    mode = _word(tls) if tls else None
    if mode is not None and mode not in SMTP_TLS_MODES:
        raise ValueError(f"WEBNACCS_SMTP_TLS must be starttls, tls or none (or unset: STARTTLS whenever "
                         f"the relay offers it), not {tls!r}")
    flag = _word(starttls) if starttls else None
    if flag is None or flag in _NO:
        return mode
    if flag not in _YES:
        raise ValueError(f"WEBNACCS_SMTP_STARTTLS must be true or false, not {starttls!r}")
    if mode not in (None, "starttls"):
        raise ValueError(f"WEBNACCS_SMTP_STARTTLS={starttls} contradicts WEBNACCS_SMTP_TLS={tls}: "
                         "set only WEBNACCS_SMTP_TLS")
    return "starttls"


def reviewer_emails(value: str | None) -> tuple[str, ...]:
    """WEBNACCS_REVIEWER_EMAILS: comma-separated addresses (full-width accepted), lower-cased,
    each once; a value that is not an address is refused with its position."""
    found: list[str] = []
    for n, part in enumerate(unicodedata.normalize("NFKC", value or "").split(","), start=1):
        address = part.strip().strip("<>").strip()
        if not address:
            continue
        try:
            address = validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError as e:
            raise ValueError(f"WEBNACCS_REVIEWER_EMAILS: entry {n} ({part.strip()!r}) is not an email "
                             f"address: {e}") from None
        if address not in found:
            found.append(address)
    return tuple(found)


def local_url(host: str, port: int) -> str:
    """The web server's own address, for links when ``WEBNACCS_PUBLIC_URL`` is not set."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # a wildcard is not an address to visit
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:  # a host name
        pass
    return f"http://{host}:{port}"

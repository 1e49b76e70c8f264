"""What ``serve`` says when it starts, or why it cannot: one line, never a traceback, for the
faults an operator makes (a port taken, another serve on the same data directory, a bad
setting). Also the systemd readiness notice (``Type=notify``; nothing without systemd)."""

from __future__ import annotations

import errno
import re
import sys
from typing import Any

import sdnotify

from handlers.bootstrap import Bot
from store.tiny import OwnedElsewhere

# asyncio names the address it could not bind only in the message: "… on address ('::1', 3000, 0, 0): …"
_ADDRESS = re.compile(r"address \('([^']*)', (\d+)")
_PROBLEMS = {errno.EADDRINUSE: "port_busy", errno.EACCES: "port_denied", errno.EADDRNOTAVAIL: "address_unavailable"}


def refusal(bot: Bot, error: BaseException) -> dict[str, Any] | None:
    """The template values that explain ``error``, or None when it is not an operator's fault."""
    if isinstance(error, OwnedElsewhere):
        return {"problem": "owned", "path": str(bot.config.data_dir.resolve())}
    if not isinstance(error, OSError) or error.errno is None or not _ADDRESS.search(str(error)):
        return None  # not a failure to listen: a real fault, with its traceback
    found = _ADDRESS.search(str(error))
    assert found is not None
    host, port = found.group(1), int(found.group(2))
    config = bot.config
    which = "HTTP" if port == config.http_port else "SMTP" if port == config.smtp_port else ""
    return {"problem": _PROBLEMS.get(error.errno, "listen"), "which": which, "host": host, "port": port,
            "error": error.strerror or str(error)}


def say_refused(bot: Bot, values: dict[str, Any]) -> int:
    print(bot.renderer.render("cli/serve_failed.j2", bot.config.lang, **values), file=sys.stderr, flush=True)
    return 1


def started(bot: Bot, port: int, channels: list[str]) -> str:
    config = bot.config
    return bot.renderer.render("cli/serve_started.j2", config.lang, data_dir=str(config.data_dir.resolve()),
                               schedule=str(config.schedule), url=f"http://{config.http_host}:{port}",
                               relay=config.smtp_relay, tls=config.smtp_tls,
                               mail_dir=str((config.data_dir / "mail").resolve()) + "/", channels=channels)


class Ready:
    """Tells systemd (``NOTIFY_SOCKET``) when the service is up and when it stops."""

    def __init__(self) -> None:
        self._notifier = sdnotify.SystemdNotifier()

    def ready(self, status: str) -> None:
        self._notifier.notify(f"READY=1\nSTATUS={status}")

    def stopping(self) -> None:
        self._notifier.notify("STOPPING=1")

"""The ``webnaccs-bot`` command line (SPEC §8): one group, its commands in small modules."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """webnaccs-bot: WebNACCS処理方式の追加申込 assistant for Slack, email and the terminal."""


from handlers.cli import applications, conversation, database, inbound, operations  # noqa: E402  (they register on main)

__all__ = ["applications", "conversation", "database", "inbound", "main", "operations"]
from handlers.cli import checks  # noqa: E402, F401  (reminders, doctor, --version)

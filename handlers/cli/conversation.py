"""Talking to the bot: the terminal chat, and how a date is read."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date

import click

from bot import dates
from bot.service import Person
from handlers import bootstrap
from handlers.cli import main
from handlers.cli.common import DATE, build, lang_of


@main.command()
@click.option("--jsonl", is_flag=True, help="Speak JSON lines: {\"text\": …} in, one object per reply out.")
@click.option("--as", "who", default="local", show_default=True,
              help="Who is chatting; the same name resumes the same draft.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Language of a new draft.")
def chat(jsonl: bool, who: str, lang: str | None) -> None:
    """Talk to the bot in the terminal (interactive, or one answer per line on piped stdin)."""
    from handlers.console import Console, run_jsonl, run_plain

    bot = build(lang=lang)
    console = Console(bot.service, bot.renderer, Person(key=f"console:{who}", channel="console"))
    dates.warm_up()
    if jsonl:
        sys.exit(run_jsonl(console, sys.stdin, sys.stdout, bot.renderer))
    lines = _interactive() if sys.stdin.isatty() else sys.stdin
    sys.exit(run_plain(console, lines, sys.stdout))


def _interactive() -> Iterator[str]:
    while True:
        try:
            yield input("> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return


@main.command(name="dates")
@click.argument("text")
@click.option("--today", type=DATE, default=None,
              help="Read the date as if today (Japan time) were this day (any form the chat reads).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def dates_command(text: str, today: date | None, lang: str | None) -> None:
    """Print how the bot reads a date: the ISO date, or the reason on stderr (exit 1)."""
    from handlers.render import Renderer

    base = today or bootstrap.SystemClock().now().date()
    try:
        click.echo(dates.parse_date(text, today=base).isoformat())
    except dates.DateError as e:
        reason = Renderer().reason({"code": f"date_{e.code}", **e.params}, lang_of(lang))
        click.echo(reason, err=True)
        sys.exit(1)



"""Operators: the schedule, the outbox, and serving."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from bot.config import Config
from handlers import bootstrap
from handlers.cli import main
from handlers.cli.common import build, lang_of


@main.group()
def schedule() -> None:
    """The registration schedule (システム登録日 and 申込締切日)."""


@schedule.command(name="check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                required=False)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def schedule_check(path: Path | None, lang: str | None) -> None:
    """Check the schedule file: sorted, each deadline before its date, no duplicates."""
    from handlers.render import Renderer

    config = Config.from_env(bootstrap.load_env())
    path = path or config.schedule
    parsed = bootstrap.load_schedule(path)
    today = bootstrap.SystemClock().now().date()
    text = Renderer().render("cli/schedule_check.j2", lang_of(lang), path=str(path),
                             problems=parsed.problems, rows=len(parsed.slots),
                             last=parsed.last_date(), open=parsed.next_dates(today, 3),
                             short=_covers_less_than_a_year(parsed.last_date(), today))
    click.echo(text, err=bool(parsed.problems))
    sys.exit(1 if parsed.problems else 0)


def _covers_less_than_a_year(last: date | None, today: date) -> bool:
    return last is None or (last - today).days < 365


@main.group(invoke_without_command=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@click.pass_context
def outbox(ctx: click.Context, lang: str | None) -> None:
    """Outgoing messages not sent yet: pending (with their tries) and failed."""
    if ctx.invoked_subcommand is None:
        from handlers import outbox_cli

        bot = build()
        click.echo(outbox_cli.render_list(bot.renderer, lang_of(lang), bot.store))


@outbox.command(name="retry")
@click.argument("ref")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def outbox_retry(ref: str, lang: str | None) -> None:
    """Queue a failed message (APP_ID/MESSAGE_ID, as listed) to be sent again."""
    from handlers import outbox_cli

    bot = build()
    outcome = outbox_cli.retry(bot.store, ref)
    click.echo(outbox_cli.render_retry(bot.renderer, lang_of(lang), ref, outcome), err=outcome != "retried")
    sys.exit(0 if outcome == "retried" else 1)


@main.command()
def serve() -> None:
    """Run the service with every channel that is configured."""
    from handlers.server import run

    sys.exit(run(build()))

"""Operators: ``--version``, and what the reminder scheduler will do (``reminders``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import click

from handlers.cli import main
from handlers.cli.common import DATE, JSON, build, echo_json, lang_of

click.version_option(package_name="webnaccs-bot", prog_name="webnaccs-bot", message="%(prog)s %(version)s")(main)


@main.command()
@click.option("--until", type=DATE, default=None, help="Only what happens up to this day (Japan time).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@JSON
def reminders(until: date | None, lang: str | None, as_json: bool) -> None:
    """What the reminder scheduler will do, and when: reminders, drafts closed, start dates."""
    from handlers.cli.display import helpers
    from handlers.upcoming import upcoming

    bot = build()
    rows = upcoming(bot.service, bot.store, until=until)
    if as_json:
        echo_json([{**asdict(r), "at": r.at.isoformat(), "action": str(r.action)} for r in rows])
        return
    language = lang_of(lang)
    click.echo(bot.renderer.render("cli/reminders.j2", language, rows=rows, **helpers(bot.renderer, language)))


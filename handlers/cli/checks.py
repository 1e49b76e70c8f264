"""Operators: ``--version``, what the reminder scheduler will do (``reminders``), and
``doctor``, which checks the configuration without changing anything."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict
from datetime import date

import click

from handlers.cli import main
from handlers.cli.common import DATE, JSON, build, config, echo_json, lang_of, today

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


@main.command()
@click.option("--timeout", type=float, default=10.0, show_default=True,
              help="Seconds to wait for each server (Slack, the relay, the public URL).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def doctor(timeout: float, lang: str | None) -> None:
    """Check the configuration, changing nothing: one line per check, exit 1 if any fails."""
    from handlers import bootstrap, doctor
    from handlers.doctor.checks import FAIL, WARN
    from handlers.render import Renderer

    settings = config()
    checks = asyncio.run(doctor.run(settings, today=today(), env=bootstrap.load_env(), timeout=timeout))
    renderer, language = Renderer(), lang_of(lang)
    for check in checks:
        click.echo(f"{check.symbol} {renderer.block('cli/doctor.j2', check.code, language, **check.params)}")
    failed = sum(c.status == FAIL for c in checks)
    click.echo(renderer.block("cli/doctor.j2", "summary", language, failed=failed,
                              warned=sum(c.status == WARN for c in checks)))
    sys.exit(1 if failed else 0)

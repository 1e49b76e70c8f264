"""Operators: the schedule, the outbox, and serving."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from handlers import bootstrap
from handlers.cli import main
from handlers.cli.common import JSON, build, config, echo_json, lang_of, today
from handlers.schedule_coverage import covers_less_than_a_year


@main.group()
def schedule() -> None:
    """The registration schedule (システム登録日 and 申込締切日)."""


@schedule.command(name="check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                required=False)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@JSON
def schedule_check(path: Path | None, lang: str | None, as_json: bool) -> None:
    """Check the schedule file: sorted, each deadline before its date, no duplicates."""
    from handlers.render import Renderer

    path = path or config().schedule
    parsed = bootstrap.load_schedule(path)
    now, last = today(), parsed.last_date()
    opened, short = parsed.next_dates(now, 3), covers_less_than_a_year(last, now)
    if as_json:
        echo_json({"path": str(path), "ok": not parsed.problems, "rows": len(parsed.slots),
                   "problems": [{"line": p.line, "code": p.code, "text": p.text} for p in parsed.problems],
                   "last": last.isoformat() if last else None, "open": [d.isoformat() for d in opened],
                   "short": short})
    else:
        click.echo(Renderer().render("cli/schedule_check.j2", lang_of(lang), path=str(path), problems=parsed.problems,
                                     rows=len(parsed.slots), last=last, open=opened, short=short),
                   err=bool(parsed.problems))
    sys.exit(1 if parsed.problems else 0)


@main.group(invoke_without_command=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@JSON
@click.pass_context
def outbox(ctx: click.Context, lang: str | None, as_json: bool) -> None:
    """Outgoing messages not sent yet: pending (with their tries) and failed."""
    if ctx.invoked_subcommand is None:
        from handlers import outbox_cli

        bot = build()
        if as_json:
            echo_json(outbox_cli.as_json(bot.store))
        else:
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

    sys.exit(run(build(create=True)))

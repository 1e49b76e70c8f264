"""The ``webnaccs-bot`` command line (SPEC §8)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click

from bot import bootstrap, dates
from bot.config import Config
from bot.service import Person


def _bot() -> bootstrap.Bot:
    return bootstrap.build()


def _lang(explicit: str | None) -> str:
    return explicit or Config.from_env(bootstrap.load_env()).lang


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """webnaccs-bot: WebNACCS処理方式の追加申込 assistant for Slack, email and the terminal."""


@main.command()
@click.option("--jsonl", is_flag=True, help="Speak JSON lines: {\"text\": …} in, one object per reply out.")
@click.option("--as", "who", default="local", show_default=True,
              help="Who is chatting; the same name resumes the same draft.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Language of a new draft.")
def chat(jsonl: bool, who: str, lang: str | None) -> None:
    """Talk to the bot in the terminal (interactive, or one answer per line on piped stdin)."""
    from handlers.console import Console, run_jsonl, run_plain

    bot = _bot()
    if lang:
        bot.service.default_lang = lang
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
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Read the date as if today (Japan time) were YYYY-MM-DD.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def dates_command(text: str, today: object, lang: str | None) -> None:
    """Print how the bot reads a date: the ISO date, or the reason on stderr (exit 1)."""
    from handlers.render import Renderer

    base = today.date() if today else bootstrap.SystemClock().now().date()  # type: ignore[attr-defined]
    try:
        click.echo(dates.parse_date(text, today=base).isoformat())
    except dates.DateError as e:
        reason = Renderer().reason({"code": f"date_{e.code}", **e.params}, _lang(lang))
        click.echo(reason, err=True)
        sys.exit(1)


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
    text = Renderer().render("cli/schedule_check.j2", _lang(lang), path=str(path),
                             problems=parsed.problems, rows=len(parsed.slots),
                             last=parsed.last_date(), open=parsed.next_dates(today, 3),
                             short=_covers_less_than_a_year(parsed.last_date(), today))
    click.echo(text, err=bool(parsed.problems))
    sys.exit(1 if parsed.problems else 0)


def _covers_less_than_a_year(last: date | None, today: date) -> bool:
    return last is None or (last - today).days < 365


@main.group()
def applications() -> None:
    """Look at applications."""


@applications.command(name="list")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def applications_list(lang: str | None) -> None:
    """Every application, newest first."""
    bot = _bot()
    apps = [a for a in (bot.service.load(i) for i in bot.store.all_ids()) if a]
    apps.sort(key=lambda a: a.created_at, reverse=True)
    click.echo(bot.renderer.render("cli/applications_list.j2", _lang(lang), apps=apps))


@applications.command(name="show")
@click.argument("number")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def applications_show(number: str, lang: str | None) -> None:
    """One application by acceptance number (or id), with its audit trail."""
    bot = _bot()
    app = bot.service.find(number) or (bot.service.load(number) if number.isascii() else None)
    if app is None:
        click.echo(bot.renderer.render("cli/not_found.j2", _lang(lang), number=number), err=True)
        sys.exit(1)
    click.echo(bot.renderer.render("cli/application_show.j2", _lang(lang), app=app,
                                   audit=bot.store.audit(app.id)))


@applications.command(name="pdf")
@click.argument("number")
@click.option("--notice", is_flag=True, help="The approval notice (from the start date on) instead of the form.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it (default: NUMBER-form.pdf / NUMBER-notice.pdf).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def applications_pdf(number: str, notice: bool, out: Path | None, lang: str | None) -> None:
    """Write the application form (申込書) or the approval notice (承認通知) of NUMBER as PDF."""
    from handlers import documents

    bot = _bot()
    app = bot.service.find(number)
    language = _lang(lang)
    if app is None:
        click.echo(bot.renderer.render("cli/not_found.j2", language, number=number), err=True)
        sys.exit(1)
    try:
        data = (documents.approval_notice(app, bot.renderer, bot.service.today(), language) if notice
                else documents.application_form(app, bot.renderer, language))
    except documents.NotYetAvailable as e:
        click.echo(bot.renderer.render("cli/notice_not_yet.j2", language, number=number,
                                       start_date=e.start_date), err=True)
        sys.exit(1)
    path = out or Path(f"{app.acceptance_number}-{'notice' if notice else 'form'}.pdf")
    path.write_bytes(data)
    click.echo(str(path))


@main.group()
def review() -> None:
    """Decide on a filed application from the command line (same rules as the Slack buttons)."""


def _decide(number: str, decision: str, lang: str | None, *, reason: str = "", comment: str = "",
            start_date: str | None = None) -> None:
    bot = _bot()
    result = bot.service.decide(number, decision=decision, actor=f"cli:{getpass.getuser()}",
                                reason=reason, comment=comment, start_date=start_date)
    text = bot.renderer.render("cli/review_result.j2", _lang(lang), number=number, decision=decision,
                               applied=result.applied, problem=result.problem,
                               app=result.app, open=bot.schedule.next_dates(bot.service.today(), 5))
    click.echo(text, err=not result.applied)
    sys.exit(0 if result.applied else 1)


@review.command(name="approve")
@click.argument("number")
@click.option("--start-date", required=True, help="The confirmed start date, YYYY-MM-DD (a schedule date).")
@click.option("--comment", default="", help="An optional comment for the applicant.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def review_approve(number: str, start_date: str, comment: str, lang: str | None) -> None:
    """承認: approve NUMBER with its confirmed start date."""
    _decide(number, "approve", lang, start_date=start_date, comment=comment)


@review.command(name="return")
@click.argument("number")
@click.option("--reason", required=True, help="Why the applicant must correct it.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def review_return(number: str, reason: str, lang: str | None) -> None:
    """差戻し: return NUMBER to the applicant for correction."""
    _decide(number, "return", lang, reason=reason)


@review.command(name="reject")
@click.argument("number")
@click.option("--reason", required=True, help="Why it is rejected.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def review_reject(number: str, reason: str, lang: str | None) -> None:
    """却下: reject NUMBER."""
    _decide(number, "reject", lang, reason=reason)


@main.group(invoke_without_command=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@click.pass_context
def outbox(ctx: click.Context, lang: str | None) -> None:
    """Outgoing messages not sent yet: pending (with their tries) and failed."""
    if ctx.invoked_subcommand is None:
        from handlers import outbox_cli

        bot = _bot()
        click.echo(outbox_cli.render_list(bot.renderer, _lang(lang), bot.store))


@outbox.command(name="retry")
@click.argument("ref")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def outbox_retry(ref: str, lang: str | None) -> None:
    """Queue a failed message (APP_ID/MESSAGE_ID, as listed) to be sent again."""
    from handlers import outbox_cli

    bot = _bot()
    outcome = outbox_cli.retry(bot.store, ref)
    click.echo(outbox_cli.render_retry(bot.renderer, _lang(lang), ref, outcome), err=outcome != "retried")
    sys.exit(0 if outcome == "retried" else 1)


@main.command()
def serve() -> None:
    """Run the service with every channel that is configured."""
    from handlers.server import run

    sys.exit(run(_bot()))


if __name__ == "__main__":  # pragma: no cover
    main()

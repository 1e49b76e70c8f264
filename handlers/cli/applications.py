"""Operators: applications and review decisions."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from handlers.cli import main
from handlers.cli.common import build, lang_of


@main.group()
def applications() -> None:
    """Look at applications."""


@applications.command(name="list")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def applications_list(lang: str | None) -> None:
    """Every application, newest first."""
    bot = build()
    apps = [a for a in (bot.service.load(i) for i in bot.store.all_ids()) if a]
    apps.sort(key=lambda a: a.created_at, reverse=True)
    click.echo(bot.renderer.render("cli/applications_list.j2", lang_of(lang), apps=apps))


@applications.command(name="show")
@click.argument("number")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def applications_show(number: str, lang: str | None) -> None:
    """One application by acceptance number (or id), with its audit trail."""
    bot = build()
    app = bot.service.find(number) or (bot.service.load(number) if number.isascii() else None)
    if app is None:
        click.echo(bot.renderer.render("cli/not_found.j2", lang_of(lang), number=number), err=True)
        sys.exit(1)
    click.echo(bot.renderer.render("cli/application_show.j2", lang_of(lang), app=app,
                                   audit=bot.store.audit(app.id)))


@applications.command(name="pdf")
@click.argument("number")
@click.option("--notice", is_flag=True, help="The approval notice (from the start date on) instead of the form.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it (default: NUMBER-application-form.pdf / NUMBER-approval-notice.pdf).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def applications_pdf(number: str, notice: bool, out: Path | None, lang: str | None) -> None:
    """Write the application form (申込書) or the approval notice (承認通知) of NUMBER as PDF."""
    from handlers import documents

    bot = build()
    app = bot.service.find(number)
    language = lang_of(lang)
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
    path = out or Path(documents.file_name(app.acceptance_number or number, "notice" if notice else "form"))
    path.write_bytes(data)
    click.echo(str(path))


@main.group()
def review() -> None:
    """Decide on a filed application from the command line (same rules as the Slack buttons)."""


def _decide(number: str, decision: str, lang: str | None, *, reason: str = "", comment: str = "",
            start_date: str | None = None) -> None:
    bot = build()
    result = bot.service.decide(number, decision=decision, actor=f"cli:{getpass.getuser()}",
                                reason=reason, comment=comment, start_date=start_date)
    text = bot.renderer.render("cli/review_result.j2", lang_of(lang), number=number, decision=decision,
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



"""Operators: applications and review decisions."""

from __future__ import annotations

import getpass
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path

import click

from bot.vocabulary import State
from handlers.cli import main
from handlers.cli.common import DATE, JSON, build, echo_json, lang_of
from handlers.cli.display import application_json, helpers

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # an application id, as the store names them


@main.group()
def applications() -> None:
    """Look at applications."""


@applications.command(name="list")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@JSON
def applications_list(lang: str | None, as_json: bool) -> None:
    """Every application, newest first (states in words, times in Japan time)."""
    bot = build()
    apps = [a for a in (bot.service.load(i) for i in bot.store.all_ids()) if a and a.state != State.CONTACT]
    apps.sort(key=lambda a: a.created_at, reverse=True)
    if as_json:
        echo_json([application_json(a) for a in apps])
        return
    language = lang_of(lang)
    click.echo(bot.renderer.render("cli/applications_list.j2", language, apps=apps,
                                   **helpers(bot.renderer, language)))


@applications.command(name="show")
@click.argument("number")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
@JSON
def applications_show(number: str, lang: str | None, as_json: bool) -> None:
    """One application by acceptance number (or id), with its audit trail."""
    bot = build()
    language = lang_of(lang)
    number = unicodedata.normalize("NFKC", number).strip()
    app = bot.service.find(number) or (bot.service.load(number) if _ID.fullmatch(number) else None)
    if app is None:
        click.echo(bot.renderer.render("cli/not_found.j2", language, number=number), err=True)
        sys.exit(1)
    audit = bot.store.audit(app.id)
    if as_json:
        echo_json(application_json(app, audit))
        return
    click.echo(bot.renderer.render("cli/application_show.j2", language, app=app, audit=audit,
                                   **helpers(bot.renderer, language)))


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
    app = bot.service.find(unicodedata.normalize("NFKC", number).strip())
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
            start_date: date | None = None) -> None:
    bot = build()
    number = unicodedata.normalize("NFKC", number).strip()
    result = bot.service.decide(number, decision=decision, actor=f"cli:{getpass.getuser()}",
                                reason=reason, comment=comment,
                                start_date=start_date.isoformat() if start_date else None)
    text = bot.renderer.render("cli/review_result.j2", lang_of(lang), number=number, decision=decision,
                               applied=result.applied, problem=result.problem,
                               app=result.app, open=bot.schedule.next_dates(bot.service.today(), 5))
    click.echo(text, err=not result.applied)
    sys.exit(0 if result.applied else 1)


@review.command(name="approve")
@click.argument("number")
@click.option("--start-date", required=True, type=DATE,
              help="The confirmed start date (a schedule date), written as in the chat: 2026-12-16, 20261216, "
                   "2026年12月16日 …")
@click.option("--comment", default="", help="An optional comment for the applicant.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None)
def review_approve(number: str, start_date: date, comment: str, lang: str | None) -> None:
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



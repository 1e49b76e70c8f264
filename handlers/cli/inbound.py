"""Operators: inbound mail that was set aside (``webnaccs-bot inbound list|retry``).

Works beside a running ``serve``: a retried mail is moved back into the spool (TinyDB: a rename
inside the data directory; PostgreSQL: its row's status), where the service finds it at its next
look for waiting mail (every 30 s) and processes it with no tries counted."""

from __future__ import annotations

import sys
from typing import Any

import click

from handlers import bootstrap
from handlers.cli import main
from handlers.cli.common import JSON, LANG, build, echo_json, lang_of


@main.group()
def inbound() -> None:
    """Inbound mail set aside (acknowledged with 250, never processable as it is)."""


@inbound.command(name="list")
@click.option("--waiting", is_flag=True, help="Also the mails being tried again (temporary failures).")
@LANG
@JSON
def inbound_list(waiting: bool, lang: str | None, as_json: bool) -> None:
    """Mails set aside: name, sender, subject, when received, tries and why."""
    from handlers.cli.display import helpers

    bot = build()
    found = rows(bot)
    retrying = retrying_rows(bot) if waiting else []
    if as_json:
        echo_json(found + retrying)
        return
    shown = lang_of(lang)
    click.echo(bot.renderer.render("cli/inbound.j2", shown, rows=found, retrying=retrying, waiting=waiting,
                                   **helpers(bot.renderer, shown)))


@inbound.command(name="retry")
@click.argument("name", required=False)
@click.option("--all", "every", is_flag=True, help="Put back every mail set aside.")
@LANG
def inbound_retry(name: str | None, every: bool, lang: str | None) -> None:
    """Put a mail set aside (NAME as listed, or --all) back into the spool for the running service."""
    bot = build()
    shown = lang_of(lang)
    if bool(name) == every:
        click.echo(bot.renderer.render("cli/inbound_retry.j2", shown, outcome="usage"), err=True)
        sys.exit(2)
    spool = bootstrap.spool(bot)
    names = [a.name for a in spool.set_aside_list()] if every else [str(name)]
    back = []
    for each in names:
        try:
            if spool.put_back(each):
                back.append(each)
        except ValueError:  # not a spool name at all
            pass
    outcome = "retried" if back else ("none" if every else "not_found")
    click.echo(bot.renderer.render("cli/inbound_retry.j2", shown, outcome=outcome, names=back, name=name),
               err=outcome == "not_found")
    sys.exit(1 if outcome == "not_found" else 0)


def rows(bot: bootstrap.Bot) -> list[dict[str, Any]]:
    """What was set aside, oldest first; a mail an earlier release set aside is described now."""
    from handlers.email.addresses import Addresses
    from handlers.email.set_aside import describe

    spool = bootstrap.spool(bot)
    found = []
    for aside in spool.set_aside_list():
        info = dict(aside.info)
        if "subject" not in info:
            try:
                spooled = spool.read_set_aside(aside.name)
            except FileNotFoundError:
                continue
            info = {**describe(spooled.raw, spooled.envelope, Addresses(bot.config.mail_address, bot.secret)),
                    **info}
        found.append({"name": aside.name, "state": "set_aside",
                      "from": info.get("sender") or aside.envelope.get("mail_from") or "",
                      "subject": info.get("subject") or "",
                      "received_at": info.get("received_at") or aside.envelope.get("received_at"),
                      "attempts": int(info.get("attempts") or 0), "reason": info.get("reason") or "",
                      "error": info.get("error") or "", "set_aside_at": info.get("set_aside_at"),
                      "told": bool(info.get("told")), "automatic": info.get("automatic")})
    return found


def retrying_rows(bot: bootstrap.Bot) -> list[dict[str, Any]]:
    """Mails waiting for their next try after temporary failures (a full disk, the database away)."""
    return [{"name": w.name, "state": "retrying", "from": w.envelope.get("mail_from") or "",
             "received_at": w.envelope.get("received_at"), "attempts": w.info.get("attempts", 0),
             "next_at": w.info.get("next_at"), "error": w.info.get("reason") or ""}
            for w in bootstrap.spool(bot).retrying()]

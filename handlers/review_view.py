"""What a reviewer by mail sees of an application, in the review mail and on the review page:
its rows, who decided and when, the start dates offered, and whose link a link is.

The reviewers are the core's configured review channels (``email:ADDRESS``, from
WEBNACCS_REVIEWER_EMAILS): one list decides both who gets the mail and who may decide.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from bot import fields as F
from bot.application import Application
from bot.service import Service
from handlers.links import LinkSigner
from handlers.render import Renderer, format_date

WORDS = "reviewing.j2"
DECISIONS = ("approve", "return", "reject")
LINK_DAYS = 30  # a review link works this many days after its mail was sent
START_DATES = 24  # registration dates offered when approving (as in Slack)


def link_expires_on(sent_at: str) -> str:
    """The last day the links of a review mail sent at ``sent_at`` (ISO) work."""
    return (date.fromisoformat(sent_at[:10]) + timedelta(days=LINK_DAYS)).isoformat()


def mail_reviewers(service: Service) -> tuple[str, ...]:
    return tuple(c.removeprefix("email:") for c in service.core.review_channels if c.startswith("email:"))


def reviewer_of(tag: str, service: Service, signer: LinkSigner) -> str | None:
    """The configured mail reviewer a review link was made for, or None (no longer configured)."""
    return next((a for a in mail_reviewers(service) if signer.reviewer_tag(a) == tag), None)


def rows(app: Application, renderer: Renderer, lang: str) -> list[tuple[str, str]]:
    """The whole application as (label, value): number, filing time, then every answer."""
    found = [(renderer.block(WORDS, "number", lang), app.acceptance_number or ""),
             (renderer.block(WORDS, "filed_at", lang), when(app.filed_at, lang))]
    found += [(renderer.label(f.key, lang), renderer.show(f.key, app.answers.get(f.key), lang))
              for f in F.applicable(app.answers)]
    return found


def fixed_settings(app: Application, renderer: Renderer, lang: str) -> str:
    fixed = app.answers.get("fixed_settings")
    return renderer.render("fixed.j2", lang, fixed=fixed) if fixed else ""


def seen(app: Application) -> str:
    """A fingerprint of what the reviewer was shown: a form shown before the application was
    returned and filed again with other answers does not decide the new answers."""
    text = json.dumps(app.answers, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def when(moment: str | None, lang: str) -> str:
    """An ISO timestamp as a reviewer reads it: date and minutes (Japan time)."""
    if not moment:
        return ""
    return f"{format_date(moment[:10], lang)} {moment[11:16]}".strip()


def who(actor: str | None, renderer: Renderer, lang: str) -> str:
    """Who decided, readably: a mail reviewer's address, a Slack user, the operator's CLI."""
    kind, _, name = (actor or "").partition(":")
    if kind in ("email", "slack", "cli"):
        return renderer.block(WORDS, f"who_{kind}", lang, name=name)
    return actor or ""


def outcome(app: Application, renderer: Renderer, lang: str,
            review: dict[str, Any] | None = None) -> dict[str, Any]:
    """What became of the filing, for the templates: the decision (label, who, when, date,
    reason, comment) if there is one — ``review`` as a message recorded it, else the
    application's — and the state it is in now."""
    review = review or app.review or {}
    decision = review.get("decision")
    return {
        "decision": decision if decision in DECISIONS else None,
        "decision_label": renderer.block(WORDS, str(decision), lang) if decision in DECISIONS else "",
        "who": who(review.get("by"), renderer, lang), "when": when(review.get("at"), lang),
        "start_date": review.get("start_date"), "reason": review.get("reason") or "",
        "comment": review.get("comment") or "", "state": str(app.state),
        "state_label": renderer.block(WORDS, f"state_{app.state}", lang),
    }


def start_dates(service: Service, app: Application) -> list[date]:
    """The registration dates a reviewer may confirm: the next ones on the schedule, and the
    desired date if it is a later one."""
    today = service.today()
    scheduled = {s.start for s in service.schedule.slots}
    dates = sorted(d for d in scheduled if d > today)[:START_DATES]
    try:
        wanted = date.fromisoformat(str(app.answers.get("desired_start_date") or ""))
    except ValueError:
        return dates
    if wanted > today and wanted in scheduled and wanted not in dates:
        dates = sorted([*dates, wanted])
    return dates

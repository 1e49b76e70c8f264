"""A mail that came back undelivered (a bounce): the message is marked failed, and the applicant
is told which address did not accept it and how to correct it.

The notice goes to the applicant's Slack DM when they are known in Slack, else to their own mail
address — never to the address that bounced; when there is no other way to reach them, the
failed message in ``webnaccs-bot outbox`` is what tells the operator. A bounce is recorded
once: the report's key (its Message-ID) is saved with the application, and a message already
marked bounced is not announced again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from bot import commands as C
from bot.application import Application, audit_entry
from bot.events import Outcome
from bot.service.core import INBOUND_KEPT, Core
from bot.vocabulary import OutboxMessage

NOTICE = "bounced"
ACTOR = "system:bounces"  # who the audit entry names: a report from the receiving side
FIELDS = ("admin_email", "applicant_email")  # the answers a bounced address can be
_MARKED = ("status", "last_error", "bounced", "bounce_status")  # what a bounce changes


def report(core: Core, command: C.ReportBounce) -> Outcome:
    app = core.load(command.app_id)
    if app is None:
        return Outcome(None, [])
    if command.key is not None and command.key in app.inbound:
        return Outcome(app, [], duplicate=True)
    message = core.store.outbox_message(app.id, command.message_id)
    if message is None:
        return Outcome(app, [])
    now = core.now()
    if command.key is not None:
        app.inbound = [*app.inbound, command.key][-INBOUND_KEPT:]
    if message.get("bounced"):  # another report of the same failure (until the operator retries it)
        core.save(app)
        return Outcome(app, [], duplicate=True)
    info: dict[str, Any] = {"last_error": command.reason, "bounced": now.isoformat(),
                            "bounce_status": command.status}
    outbox: list[OutboxMessage] = []
    try:
        core.store.mark_outbox(app.id, command.message_id, "failed", **info)
    except KeyError:
        # A store may keep a sent message only in its history (TinyStore after a checkpoint):
        # it comes back as failed, in the same write as the notice.
        outbox.append(_failed_copy(message, info))
    address = str(message.get("to") or command.address)
    if message.get("role") != "reviewer":  # a reviewer's address is the operator's setting
        outbox += notice(app, address, command.status, message, now)
    entry = audit_entry(at=now, actor=ACTOR, action="mail_bounced",
                        reason=f"{command.message_id} → {address}: {command.reason}"[:500])
    core.save(app, audit=[entry], outbox=outbox)
    return Outcome(app, [])


def notice(app: Application, address: str, status: str, message: dict[str, Any], now: datetime
           ) -> list[OutboxMessage]:
    """The 不達 notice to the applicant, where they can be reached other than ``address``."""
    where = reach(app, address)
    if where is None:
        return []
    channel, to = where
    answers = {**app.prefill, **app.answers}
    params = {
        "acceptance_number": app.acceptance_number, "state": str(app.state), "address": address,
        "field": field_of(app, address, message.get("role")), "status": status,
        "sent_on": str(message.get("sent_at") or message.get("created_at") or "")[:10] or None,
        "company_name": answers.get("company_name"), "office_name": answers.get("office_name"),
        "applicant_name": answers.get("applicant_name"),
        "applicant_department": answers.get("applicant_department"),
    }
    return [{"id": f"{NOTICE}-{app.version}-{channel}", "kind": "notice", "notice": NOTICE, "lang": app.lang,
             "created_at": now.isoformat(), "role": "applicant", "channel": channel, "to": to,
             "acceptance_number": app.acceptance_number, "params": params}]


def reach(app: Application, bounced: str) -> tuple[str, str] | None:
    """(channel, address) of the applicant: Slack first, else a mail address that is not the
    one that bounced."""
    for key in app.people:
        if key.startswith("slack:"):
            return "slack", key.removeprefix("slack:")
    mails = [k.removeprefix("email:") for k in app.people if k.startswith("email:")]
    mails.append(str(app.answers.get("applicant_email") or app.prefill.get("applicant_email") or ""))
    for candidate in mails:
        if candidate and not _same(candidate, bounced):
            return "email", candidate
    return None


def field_of(app: Application, address: str, role: object) -> str:
    """Which answer holds the address that bounced ("" when none does)."""
    answers = {**app.prefill, **app.answers}
    if role == "admin" and answers.get("admin_email"):
        return "admin_email"
    for key in FIELDS:
        if answers.get(key) and _same(str(answers[key]), address):
            return key
    return ""


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _failed_copy(message: dict[str, Any], info: dict[str, Any]) -> OutboxMessage:
    kept = {k: v for k, v in message.items() if k != "app_id" and k not in _MARKED}
    return cast(OutboxMessage, {**kept, "status": "failed", **info})

"""A reviewer's 承認 / 差戻し / 却下, and notes in an application's audit trail.

Only one decision ever applies to a filing; approving issues the ID通知 codes, sealed by the
vault before they are stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot import commands as C
from bot import id_notice, notices
from bot.application import Application, audit_entry
from bot.events import Decided, Ruling
from bot.service.core import Core
from bot.text import nfkc, one_line
from bot.vocabulary import Decision, Mode, State

TARGETS = {Decision.APPROVE: State.APPROVED, Decision.RETURN: State.RETURNED,
           Decision.REJECT: State.REJECTED}


def decide(core: Core, command: C.Decide) -> Ruling:
    app = core.find(command.number)
    if app is None:
        return Ruling(None, applied=False, problem="not_found")
    if app.state != State.UNDER_REVIEW:
        return Ruling(app, applied=False, problem="already_decided")
    decision = Decision(command.decision)
    reason, comment = one_line(nfkc(command.reason)), nfkc(command.comment).strip()
    if decision in (Decision.RETURN, Decision.REJECT) and not reason:
        return Ruling(app, applied=False, problem="reason_required")
    start_date = command.start_date
    if decision == Decision.APPROVE:
        problem = _check_start_date(core, start_date)
        if problem:
            return Ruling(app, applied=False, problem=problem)
    now = core.now()
    target = TARGETS[decision]
    entry = app.move(target, at=now, actor=command.actor, reason=reason or comment)
    app.review = {"decision": str(decision), "by": command.actor, "at": now.isoformat(),
                  "reason": reason, "comment": comment, "start_date": start_date}
    if target == State.RETURNED:
        app.conversation = {"field": "confirm", "mode": Mode.ASK, "failures": 0}
    outbox = [*notices.decision(app, now), *notices.review(app, now, "decided", core.review_channels)]
    if target == State.APPROVED:
        _issue_ids(core, app, now, date.fromisoformat(start_date or ""))
        outbox += notices.id_notification(app, now)
    core.save(app, audit=[entry], outbox=outbox)
    return Ruling(app, applied=True, events=[Decided(app.id, app.acceptance_number or "", str(decision))])


def note(core: Core, command: C.Note) -> None:
    app = core.load(command.app_id)
    if app is not None:
        entry = audit_entry(at=core.clock.now(), actor=command.actor, action=command.action,
                            reason=command.reason)
        core.save(app, audit=[entry])


def id_codes(core: Core, app: Application) -> list[dict[str, Any]]:
    """The ID通知 codes in clear, for the applicant's eyes only (DM or the reveal page)."""
    if not app.id_notice or core.vault is None:
        return []
    return list(core.vault.unseal(app.id, app.id_notice["sealed"]))


def _issue_ids(core: Core, app: Application, now: datetime, start: date) -> None:
    if core.vault is None:
        raise RuntimeError("approving needs a vault to seal the ID通知 codes")
    codes = id_notice.issue(int(app.answers.get("certificate_count") or 1), now.date(),
                            app.answers.get("user_code"))
    app.id_notice = {"sealed": core.vault.seal(app.id, codes), "count": len(codes),
                     "issued_on": now.date().isoformat(),
                     "expires_on": id_notice.link_expires_on(start).isoformat()}


def _check_start_date(core: Core, start_date: str | None) -> str | None:
    try:
        chosen = date.fromisoformat(start_date or "")
    except ValueError:
        return "start_date_required"
    if all(s.start != chosen for s in core.schedule.slots):
        return "start_date_not_on_schedule"
    return "start_date_in_the_past" if chosen <= core.today() else None

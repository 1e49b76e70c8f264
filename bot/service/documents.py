"""申込書 / 承認通知 on request: the PDF goes to the person's DM or mail (the approval notice
only from the start date on). Rendering the PDF is the outbox sender's work."""

from __future__ import annotations

from datetime import date

from bot import commands as C
from bot import notices
from bot.application import Application
from bot.conversation import Reply
from bot.events import Outcome
from bot.service.core import Core
from bot.vocabulary import Document, OutboxMessage, State


def request(core: Core, apps: list[Application], command: C.RequestDocument) -> Outcome | None:
    """None when the person has no filed application (the words are then an ordinary answer)."""
    filed = [a for a in apps if a.acceptance_number]
    if not filed:
        return None
    app, person, kind = filed[-1], command.person, command.document
    params = {"acceptance_number": app.acceptance_number, "document": str(kind)}
    start = (app.review or {}).get("start_date") if app.state in (State.APPROVED, State.ACTIVE) else None
    if kind == Document.NOTICE and (start is None or core.today() < date.fromisoformat(start)):
        return core.commit(app, person, [Reply("document_not_yet", params={**params, "start_date": start})],
                           key=command.key, sync=command.sync)
    if person.address is None:  # the terminal: the operator's command writes the file
        return core.commit(app, person, [Reply("document_command", params=params)], key=command.key, sync=command.sync)
    now = core.now()
    message: OutboxMessage = {
        "id": f"document-{kind}-{app.version}", "kind": "notice", "notice": "document",
        "lang": app.lang, "created_at": now.isoformat(), "role": "applicant",
        "channel": person.channel, "to": person.address, "acceptance_number": app.acceptance_number,
        "params": {**notices.decision_params(app, now), "document": str(kind)}}
    return core.commit(app, core.told_by_notice(person, [message]), [Reply("document_sent", params=params)],
                       key=command.key, sync=command.sync, outbox=[message], changed=True)

"""Reminders and the start date (SPEC §5): every action that is due, each exactly once.

Each is recorded in ``Application.reminders`` in the same write as its notice; the store's
wake-up index says which applications to look at on a day, so a pass reads only those.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import assert_never

from bot import notices, reminders
from bot.application import Application
from bot.service.core import Core
from bot.vocabulary import AuditEntry, OutboxMessage, ReminderAction, State

Changes = tuple[list[AuditEntry], list[OutboxMessage]]


def run(core: Core) -> int:
    """Send every reminder that is due (also those missed while the service was down) and
    activate applications whose start date has come. Returns how many actions were taken."""
    today = core.today().isoformat()
    taken = 0
    for day, app_id in core.store.wakeups_due(today):
        with core.turn(f"app:{app_id}"):
            app = core.load(app_id)
            if app is None or app.wakeup is None or app.wakeup > today:
                core.store.drop_wakeup(day, app_id)  # moved on: a newer marker exists
                continue
            now = core.now()
            actions = reminders.due(app, now, core.policy)
            audit: list[AuditEntry] = []
            outbox: list[OutboxMessage] = []
            for action in actions:
                entries, messages = remind(core, app, action, now)
                audit += entries
                outbox += messages
            if actions:
                core.save(app, audit=audit, outbox=outbox)
                taken += len(actions)
            if app.wakeup != day:
                core.store.drop_wakeup(day, app_id)
    return taken


def remind(core: Core, app: Application, action: ReminderAction, now: datetime) -> Changes:
    stamp = now.isoformat()
    match action:
        case ReminderAction.IDLE_REMINDER:
            app.reminders["idle"] = stamp
            since = datetime.fromisoformat(app.active_at or app.created_at).astimezone(now.tzinfo)
            answer_by = (since + timedelta(days=core.policy.close_after_days - 1)).date().isoformat()
            return [], notices.to_people(app, "reminder", now, {
                **notices.addressed(app), "reminder": "idle", "close_after": core.policy.close_after_days,
                "answer_by": answer_by})
        case ReminderAction.CLOSE_IDLE:
            entry = app.move(State.CLOSED, at=now, actor="system:reminders", reason="idle")
            app.closed_reason = "idle"
            app.conversation["field"] = None
            app.reminders["closed"] = stamp
            return [entry], notices.to_people(app, "reminder", now, {**notices.addressed(app), "reminder": "closed"})
        case ReminderAction.CERTIFICATE:
            app.reminders["certificate"] = stamp
            return [], notices.build("reminder", app, now, {**_approved(app, now), "reminder": "certificate"})
        case ReminderAction.START:
            entry = app.move(State.ACTIVE, at=now, actor="system:reminders", reason="start date reached")
            app.reminders["start"] = stamp
            return [entry], notices.build("reminder", app, now, {**_approved(app, now), "reminder": "start"})
        case _:
            assert_never(action)


def _approved(app: Application, now: datetime) -> dict[str, object]:
    return {**notices.decision_params(app, now),
            **{k: v for k, v in (app.id_notice or {}).items() if k != "sealed"}}

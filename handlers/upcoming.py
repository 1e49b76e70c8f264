"""What the reminder scheduler will do, and when (``webnaccs-bot reminders``).

The store's wake-up index names the day on which something may next be due for each
application (``store.wakeups_due``); ``bot.reminders.due`` says what is due at a moment. This
asks it at the moments that matter on that day: the day's start (certificate reminders and the
start date), and for drafts the exact moment they have been idle long enough. Nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot import reminders
from bot.application import Application
from bot.dates import JST
from bot.ports import Store
from bot.service import Service
from bot.vocabulary import ReminderAction, State

FOREVER = "9999-12-31"


@dataclass(frozen=True)
class Upcoming:
    at: datetime  # when the scheduler takes it (now, for what is overdue); Japan time
    overdue: bool  # due already: the running service takes it within a minute
    action: ReminderAction
    app_id: str
    acceptance_number: str | None
    state: str
    company_name: str | None


def upcoming(service: Service, store: Store, *, until: date | None = None) -> list[Upcoming]:
    """Every reminder action from the wake-up index, soonest first (up to ``until`` inclusive)."""
    now = service.clock.now().astimezone(JST)
    policy = service.core.policy
    found: list[Upcoming] = []
    for day, app_id in store.wakeups_due(until.isoformat() if until else FOREVER):
        app = service.load(app_id)
        if app is None or app.wakeup != day:  # moved on: the index keeps an older marker a while
            continue
        moment, actions = _first_due(app, date.fromisoformat(day), now, policy)
        found += [Upcoming(at=moment, overdue=moment <= now, action=a, app_id=app.id,
                           acceptance_number=app.acceptance_number, state=str(app.state),
                           company_name=app.answers.get("company_name")) for a in actions]
    return sorted(found, key=lambda u: (u.at, u.app_id, str(u.action)))


def _first_due(app: Application, day: date, now: datetime, policy: reminders.Policy
               ) -> tuple[datetime, list[ReminderAction]]:
    start = datetime.combine(day, time(), JST)
    end = start + timedelta(days=1) - timedelta(seconds=1)
    moments = [start, end]
    if app.state == State.DRAFT:
        since = datetime.fromisoformat(app.active_at or app.created_at).astimezone(JST)
        moments += [since + policy.idle_after, since + timedelta(days=policy.close_after_days)]
    for moment in sorted(max(m, now) for m in moments if m <= end):
        actions = reminders.due(app, moment, policy)
        if actions:
            return moment, actions
    return max(end, now), []

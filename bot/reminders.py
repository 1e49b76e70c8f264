"""What is due when (SPEC §3, §5; issue: reminders), as pure functions of an application and a
moment in Japan time. ``bot.service.reminding`` applies them; each is recorded in
``Application.reminders`` in the same write as its notice, so it goes out exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.application import Application
from bot.business_days import business_days_before
from bot.vocabulary import ReminderAction, State

JST_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    idle_after: timedelta = JST_DAY         # one reminder for a draft left alone this long
    close_after_days: int = 14              # then closed after this many days without answers
    certificate_business_days: int = 3      # certificate reminder, business days before start


def _start(app: Application) -> date | None:
    start = (app.review or {}).get("start_date")
    return date.fromisoformat(start) if start else None


def _idle_since(app: Application) -> datetime:
    return datetime.fromisoformat(app.active_at or app.created_at)


def due(app: Application, now: datetime, policy: Policy) -> list[ReminderAction]:
    """The actions due at ``now``."""
    done = app.reminders
    actions: list[ReminderAction] = []
    if app.state == State.DRAFT:
        idle = now - _idle_since(app)
        if idle >= timedelta(days=policy.close_after_days):
            actions.append(ReminderAction.CLOSE_IDLE)
        elif idle >= policy.idle_after and "idle" not in done:
            actions.append(ReminderAction.IDLE_REMINDER)
    elif app.state == State.APPROVED and (start := _start(app)) is not None:
        today = now.date()
        if today >= start:
            actions.append(ReminderAction.START)
        elif "certificate" not in done and today >= certificate_day(start, policy):
            actions.append(ReminderAction.CERTIFICATE)
    return actions


def certificate_day(start: date, policy: Policy) -> date:
    return business_days_before(start, policy.certificate_business_days)


def next_wakeup(app: Application, policy: Policy) -> date | None:
    """The day (JST) on which something may next be due for this application."""
    if app.state == State.DRAFT:
        since = _idle_since(app)
        if "idle" not in app.reminders:
            return (since + policy.idle_after).date()
        return (since + timedelta(days=policy.close_after_days)).date()
    if app.state == State.APPROVED and (start := _start(app)) is not None:
        if "certificate" not in app.reminders:
            return min(certificate_day(start, policy), start)
        return start
    return None

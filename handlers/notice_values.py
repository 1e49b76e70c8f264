"""The values a notice's text addresses people with, completed from the application.

The core puts some of them in a notice's params (bot/notices.py): the company, the office and
the applicant's name, but not the applicant's department nor the administrator's name, and an
idle reminder carries the days until the draft closes, not the day. Until the core passes them
(``applicant_department``, ``admin_name``, ``answer_by``), they are read here from the
application the message belongs to; what is known neither way is left out by the templates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.application import Application
from bot.dates import JST

PEOPLE = ("company_name", "office_name", "applicant_department", "applicant_name", "admin_name")


def completed(params: dict[str, Any], app: Application | None) -> dict[str, Any]:
    values = dict(params)
    if app is None:
        return values
    for key in PEOPLE:
        if not values.get(key):
            values[key] = app.answers.get(key) or app.prefill.get(key)
    if values.get("reminder") == "idle" and not values.get("answer_by") and values.get("close_after"):
        values["answer_by"] = answer_by(app, int(values["close_after"]))
    return values


def answer_by(app: Application, close_after_days: int) -> str:
    """The last whole day (JST) on which an answer keeps an idle draft open: the draft is
    closed ``close_after_days`` after the person last wrote (bot/reminders.py)."""
    since = datetime.fromisoformat(app.active_at or app.created_at)
    if since.tzinfo is None:
        since = since.replace(tzinfo=JST)
    closes = since.astimezone(JST) + timedelta(days=close_after_days)
    return (closes.date() - timedelta(days=1)).isoformat()

"""受付: an application that is complete gets its acceptance number and goes to the reviewers."""

from __future__ import annotations

from bot import fields as F
from bot import notices
from bot.application import Application, acceptance_number
from bot.commands import Person
from bot.conversation import Reply
from bot.events import Filed, Outcome
from bot.service.core import Core
from bot.vocabulary import Mode, State


def file(core: Core, app: Application, person: Person, *, key: str | None, sync: bool = True) -> Outcome:
    """Assign the acceptance number and move to 受付 (under_review) in one write.

    A returned application is filed again under the number it already has."""
    now = core.now()
    if app.acceptance_number is None:
        serial = core.store.next_acceptance_serial(now.year % 100)
        app.acceptance_number = acceptance_number(now, serial)
        app.filed_at = now.isoformat()
    applicable = {f.key for f in F.applicable(app.answers)}
    app.answers = {k: v for k, v in app.answers.items() if k in applicable}
    fixed = F.fixed_settings(app.answers)
    if fixed:
        app.answers["fixed_settings"] = fixed
    entry = app.move(State.UNDER_REVIEW, at=now, actor=person.key)
    app.review = None
    app.conversation = {"field": None, "mode": Mode.FILED, "failures": 0}
    core.remember(app, person)
    outbox = [*notices.acknowledgment(app, now), *notices.review(app, now, "request", core.review_channels)]
    params = notices.acknowledgment_params(app, now)
    return core.commit(app, core.told_by_notice(person, outbox), [Reply("filed", params=params)], key=key,
                       sync=sync, audit=[entry],
                       outbox=outbox, changed=True, events=[Filed(app.id, app.acceptance_number)])

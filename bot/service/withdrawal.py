"""取下げ: the applicant withdraws a filed application before approval, confirming first."""

from __future__ import annotations

from bot import commands as C
from bot import intents, notices
from bot.application import WITHDRAWABLE, Application
from bot.conversation import Reply
from bot.events import Outcome, Withdrawn
from bot.service.core import Core
from bot.vocabulary import Mode, State

FILED = {"field": None, "mode": Mode.FILED, "failures": 0}


def typed(core: Core, apps: list[Application], command: C.Command) -> Outcome | None:
    """取下げ asks for confirmation; while it is asked, whatever is typed answers it. None when
    the person has nothing to withdraw or neither applies."""
    filed = [a for a in apps if a.state in WITHDRAWABLE]
    if not filed:
        return None
    app = filed[-1]
    if app.conversation.get("mode") == Mode.CONFIRM_WITHDRAW:
        yes = isinstance(command, C.Withdraw) or intents.is_yes(command.text)
        return answer(core, app, command, yes)
    if not isinstance(command, C.Withdraw):
        return None
    app.conversation = {**app.conversation, "mode": Mode.CONFIRM_WITHDRAW, "back": app.conversation}
    return core.commit(app, command.person, [Reply("withdraw_confirm", params={
        "acceptance_number": app.acceptance_number}, choices=[C.YES, C.NO])], key=command.key, sync=command.sync,
        changed=True)


def answer(core: Core, app: Application, command: C.Command, yes: bool) -> Outcome:
    """The answer to 取り下げますか: withdraw, or keep it as it was."""
    person = command.person
    app.conversation = app.conversation.get("back") or dict(FILED)
    if not yes:
        replies = [Reply("withdraw_kept", params={"acceptance_number": app.acceptance_number})]
        if app.state == State.RETURNED:
            replies.append(core.engine.prompt(app, core.today()))
        return core.commit(app, person, replies, key=command.key, sync=command.sync, changed=True)
    now = core.now()
    entry = app.move(State.WITHDRAWN, at=now, actor=person.key, reason="withdrawn by the applicant")
    app.conversation = {"field": None, "mode": Mode.WITHDRAWN, "failures": 0}
    outbox = [*notices.build("withdrawn", app, now, notices.decision_params(app, now)),
              *notices.review(app, now, "withdrawn", core.review_channels)]
    number = app.acceptance_number or ""
    replies = [Reply("withdrawn", params={"acceptance_number": number})]
    return core.commit(app, core.told_by_notice(person, outbox), replies,
                       key=command.key, sync=command.sync, audit=[entry], outbox=outbox, changed=True,
                       events=[Withdrawn(app.id, number)])

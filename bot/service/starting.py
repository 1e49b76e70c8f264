"""A person without an open draft: where they stand, and a new application stored only once it
has its first answer.

Someone who comes back after filing is told the number and state of their application and is
offered a new one when they ask for it (新規). Its first question is asked from the record of
their latest application: that record's conversation keeps ``pending`` (the id the new draft
will have, and where its conversation stands) and its outbox carries the question, so nothing
empty is stored; the first accepted answer stores the draft under that id. After a draft that
ended unfiled (cancelled, ineligible, idle) any message begins the new one the same way. In the
chat, which queues nothing, a first question needs no record at all. A first contact by Slack or
mail, whose reply must be queued (and whose message key kept) with some record, gets a record of
its own in state ``contact``: no application, hidden wherever applications are listed, it asks
the first question the same way and becomes the application (same id) with the first answer.
"""

from __future__ import annotations

import copy
from typing import Any

from bot import commands as C
from bot.application import WITHDRAWABLE, Application
from bot.conversation import Reply
from bot.events import Created, Outcome
from bot.service.core import Core
from bot.vocabulary import State

PENDING = "pending"  # Application.conversation key of the latest application: a new one is asked


def without_draft(core: Core, command: C.Command, apps: list[Application]) -> Outcome:
    """Anything a person says while no draft of theirs is open."""
    person = command.person
    host = apps[-1] if apps else None
    if host is None:
        if person.address is None and command.key is None:  # the chat: nothing to queue or remember
            return _pending(core, command, None, {})
        return _first_contact(core, command)
    pending = host.conversation.get(PENDING)
    if pending is not None:
        return _pending(core, command, host, pending)
    if host.acceptance_number is None:  # a draft that ended unfiled: anything but 状況 starts anew
        if isinstance(command, C.ShowStatus) and host.state != State.CONTACT:
            return _where(core, command, host, offer=False)
        return _begin(core, command, host)
    if isinstance(command, C.Start):
        return _begin(core, command, host)
    return _where(core, command, host, offer=not isinstance(command, C.ShowStatus))


def _first_contact(core: Core, command: C.Command) -> Outcome:
    """A first message through a channel whose reply is queued (or whose message key is kept)
    with a record. One that already answers the first question stores the draft with it (after
    the guidance); anything else, one that would end the application included (it waits for the
    question to be seen), is answered from a contact record, and no empty draft is stored."""
    if isinstance(command, C.Answer) and command.text.strip():
        app = _draft(core, command, None, {})
        replies = core.engine.apply(app, command, core.today()).replies
        if app.answers and app.state == State.DRAFT:
            person = command.person
            _, created = core.new_draft(person, app.lang)
            return core.commit(app, person, [Reply("guidance"), *replies], key=command.key, sync=command.sync,
                               audit=[created], changed=True, events=[Created(app.id)])
    contact, _ = core.new_draft(command.person, None)
    contact.state = State.CONTACT
    return _begin(core, command, contact)


def choose(core: Core, host: Application, command: C.ChooseOption) -> Outcome:
    """A button of the new application's first question (posted from ``host``'s record)."""
    return _pending(core, command, host, host.conversation.get(PENDING) or {})


def waits_for(host: Application, command: C.ChooseOption) -> bool:
    """Whether ``host`` asks a new application's question that this button answers."""
    pending = host.conversation.get(PENDING)
    return pending is not None and pending.get("mode") == command.mode and (
        command.field is None or pending.get("field") == command.field)


# --- the new application, not yet stored ----------------------------------------------------


def _begin(core: Core, command: C.Command, host: Application) -> Outcome:
    """Ask the first question of a new application from the latest application's record."""
    if isinstance(command, C.Start | C.SetLanguage) and command.lang:
        host.lang = command.lang
    app = _draft(core, command, host, {})
    replies = core.engine.begin(app, core.today())
    return _keep(core, command, host, app, replies)


def _pending(core: Core, command: C.Command, host: Application | None, pending: dict[str, Any]) -> Outcome:
    """A turn of the new application: stored once it has an answer, else kept with ``host``."""
    app = _draft(core, command, host, pending)
    today = core.today()
    if isinstance(command, C.Cancel):  # nothing to lose: no need to ask first
        if host is None:
            return Outcome(None, [Reply("cancelled")])
        host.conversation.pop(PENDING, None)
        return core.commit(host, command.person, [Reply("cancelled")], key=command.key, sync=command.sync,
                           changed=True)
    if isinstance(command, C.Start | C.Resume):
        replies = [Reply("resumed" if pending else "guidance"), core.engine.prompt(app, today)]  # asked before?
    elif isinstance(command, C.ShowStatus) and host is not None and host.state != State.CONTACT:
        replies = [core.engine.status(host), core.engine.prompt(app, today)]
    elif isinstance(command, C.ChooseOption):
        replies = core.engine.choose(app, command, today).replies
    else:
        replies = core.engine.apply(app, command, today).replies
    if not app.answers:
        return _keep(core, command, host, app, replies)
    person = command.person
    _, created = core.new_draft(person, app.lang)
    audit = [created, *core.transition(app, State.DRAFT, person)]  # closed at once: another industry
    core.remember(app, person)
    return core.commit(app, person, replies, key=command.key, sync=command.sync, audit=audit,
                       changed=True, events=[Created(app.id)])


def _draft(core: Core, command: C.Command, host: Application | None, pending: dict[str, Any]) -> Application:
    """The new application as it stands: its id and conversation from ``pending``, if any. A
    contact record becomes the application itself (its id, outbox, message keys and mail
    thread go on), so a first contact's mails and buttons stay those of its application."""
    if host is not None and host.state == State.CONTACT:
        app = Application.from_record(copy.deepcopy(host.to_record()))
        app.state, app.conversation = State.DRAFT, {}
    else:
        app, _ = core.new_draft(command.person, host.lang if host else None)
        known = pending.get("id")
        if isinstance(known, str) and core.store.get(known) is None:
            app.id = known
    conversation = {k: v for k, v in pending.items() if k != "id"}
    if conversation:
        app.conversation = conversation
    else:
        core.engine.begin(app, core.today())
    return app


def _keep(core: Core, command: C.Command, host: Application | None, app: Application,
          replies: list[Reply]) -> Outcome:
    """Nothing answered yet: the conversation waits in ``host`` (the chat's first one nowhere)."""
    if host is None:
        return Outcome(app, replies)
    host.conversation[PENDING] = {"id": app.id, **app.conversation}
    host.lang = app.lang
    kept = core.commit(host, command.person, replies, key=command.key, sync=command.sync, changed=True,
                       hosting=app.id)
    return Outcome(app, kept.replies)


# --- after filing ---------------------------------------------------------------------------


def _where(core: Core, command: C.Command, host: Application, *, offer: bool) -> Outcome:
    """The latest application's number and state, and (``offer``) what can be asked of it, 新規
    among them; 状況 gets the state alone."""
    replies: list[Reply] = []
    changed = False
    if isinstance(command, C.SetLanguage) and command.lang != host.lang:
        host.lang, changed = command.lang, True
    if isinstance(command, C.SetLanguage):
        replies.append(Reply("language_changed", params={"language": host.lang}))
    replies.append(core.engine.status(host))
    if offer:
        review = host.review or {}
        replies.append(Reply("after_filing", params={
            "acceptance_number": host.acceptance_number, "state": host.state,
            "withdrawable": host.state in WITHDRAWABLE,
            "notice": host.state in (State.APPROVED, State.ACTIVE), "start_date": review.get("start_date"),
            "refused": "withdraw" if isinstance(command, C.Withdraw) else None}))
    return core.commit(host, command.person, replies, key=command.key, sync=command.sync, changed=changed)

"""Filling a draft: start or resume it, answer its questions, press its buttons, fill a form.

Each function runs under the store's lock (the bus takes it) and ends in one ``Core.commit``.
"""

from __future__ import annotations

from bot import commands as C
from bot.application import OPEN_FOR_ANSWERS, WITHDRAWABLE, Application
from bot.conversation import Reply, Turn
from bot.events import Created, Event, Outcome
from bot.service import filing, starting, withdrawal
from bot.service.core import Core
from bot.vocabulary import AuditEntry, Mode, State


def start(core: Core, command: C.Command, draft: Application) -> Outcome:
    """新規 / a first message while a draft is open: it is resumed at its question."""
    replies = [Reply("resumed"), core.engine.prompt(draft, core.today())]
    return core.commit(draft, command.person, replies, key=command.key, sync=command.sync)


def resume(core: Core, command: C.Resume) -> Outcome:
    """Where the person stands: the open draft's question, or their latest application."""
    apps = core.applications_of(command.person)
    duplicate = core.duplicate(apps, command.key)
    if duplicate is not None:  # a redelivered message (an edit, a file) is answered once
        return duplicate
    draft = core.open_draft(apps)
    if draft is not None:
        return core.commit(draft, command.person, [core.engine.prompt(draft, core.today())],
                           key=command.key, sync=command.sync)
    return starting.without_draft(core, command, apps)


def converse(core: Core, draft: Application, command: C.Command) -> Outcome:
    """A typed command for the open draft."""
    if isinstance(command, C.Start):
        return start(core, command, draft)
    before = draft.state
    return _after(core, draft, command, before, core.engine.apply(draft, command, core.today()))


def choose(core: Core, command: C.ChooseOption) -> Outcome:
    """A button: applied only while application ``app_id`` still waits for exactly that answer
    (its mode, and its field unless None). Stale once the conversation has moved on, so a double
    click or an old button never answers a later question."""
    person = command.person
    app = core.load(command.app_id)
    if app is None or not set(person.keys) & set(app.people):
        return Outcome(None, [], stale=True)
    conv = app.conversation or {}
    if app.state not in OPEN_FOR_ANSWERS and starting.waits_for(app, command):
        return _first_of_new(core, app, command)
    if conv.get("mode") != command.mode or (command.field is not None and conv.get("field") != command.field):
        return Outcome(None, [], stale=True)
    apps = core.applications_of(person)
    duplicate = core.duplicate(apps, command.key)
    if duplicate is not None:
        return duplicate
    if command.mode == Mode.CONFIRM_WITHDRAW:
        if app.state not in WITHDRAWABLE:
            return Outcome(None, [], stale=True)
        return withdrawal.answer(core, app, command, command.option == C.YES)
    if app.state not in OPEN_FOR_ANSWERS:
        return Outcome(None, [], stale=True)
    current = core.open_draft(apps)
    if current is None or current.id != app.id:
        return Outcome(None, [], stale=True)
    before = app.state
    return _after(core, app, command, before, core.engine.choose(app, command, core.today()))


def _first_of_new(core: Core, host: Application, command: C.ChooseOption) -> Outcome:
    """The button of a new application's question, posted from ``host``'s record: it applies
    while ``host`` is still the person's latest application and no draft is open."""
    apps = core.applications_of(command.person)
    duplicate = core.duplicate(apps, command.key)
    if duplicate is not None:
        return duplicate
    if core.open_draft(apps) is not None or not apps or apps[-1].id != host.id:
        return Outcome(None, [], stale=True)
    return starting.choose(core, host, command)


def fill(core: Core, command: C.Fill) -> Outcome:
    """Several answers at once, keyed by field; starts a draft when none is open."""
    person = command.person
    apps = core.applications_of(person)
    duplicate = core.duplicate(apps, command.key)
    if duplicate is not None:
        return duplicate
    app = core.open_draft(apps)
    audit: list[AuditEntry] = []
    intro: list[Reply] = []
    events: list[Event] = []
    if app is None:
        app, entry = core.new_draft(person, None)
        guidance = core.engine.begin(app, core.today())[:1]
        intro = guidance if person.address is not None else []  # a chat opens with it anyway
        audit.append(entry)
        events.append(Created(app.id))
    before = app.state
    replies = core.engine.fill(app, dict(command.values), core.today())
    audit += core.transition(app, before, person)
    core.remember(app, person)
    return core.commit(app, person, [*intro, *replies], key=command.key, sync=command.sync, audit=audit,
                       changed=True, events=events)


def _after(core: Core, app: Application, command: C.Command, before: State, turn: Turn) -> Outcome:
    if turn.submit:
        return filing.file(core, app, command.person, key=command.key, sync=command.sync)
    person = command.person
    audit = core.transition(app, before, person)
    core.remember(app, person)
    return core.commit(app, person, turn.replies, key=command.key, sync=command.sync, audit=audit, changed=True)

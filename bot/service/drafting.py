"""Filling a draft: start or resume it, answer its questions, press its buttons, fill a form.

Each function runs under the store's lock (the bus takes it) and ends in one ``Core.commit``.
"""

from __future__ import annotations

from bot import commands as C
from bot.application import OPEN_FOR_ANSWERS, WITHDRAWABLE, Application
from bot.conversation import Reply, Turn
from bot.events import Created, Event, Outcome
from bot.service import filing, withdrawal
from bot.service.core import Core
from bot.vocabulary import AuditEntry, Mode, State


def start(core: Core, command: C.Command, apps: list[Application]) -> Outcome:
    """Resume the open draft, or open a new one and ask its first question."""
    person = command.person
    draft = core.open_draft(apps)
    if draft is not None:
        replies = [Reply("resumed"), core.engine.prompt(draft, core.today())]
        return core.commit(draft, person, replies, key=command.key, sync=command.sync)
    lang = command.lang if isinstance(command, C.Start | C.SetLanguage) else None
    app, entry = core.new_draft(person, lang)
    replies = core.engine.begin(app, core.today())
    return core.commit(app, person, replies, key=command.key, sync=command.sync, audit=[entry], changed=True,
                       events=[Created(app.id)])


def resume(core: Core, command: C.Resume) -> Outcome:
    """Where the person's open draft stands (the current question, or the last status)."""
    apps = core.applications_of(command.person)
    draft = core.open_draft(apps)
    if draft is not None:
        return core.commit(draft, command.person, [core.engine.prompt(draft, core.today())],
                           key=command.key, sync=command.sync)
    if apps:
        return core.commit(apps[-1], command.person, [core.engine.status(apps[-1])], key=command.key, sync=command.sync)
    return Outcome(None, [Reply("no_application")])


def converse(core: Core, draft: Application, command: C.Command) -> Outcome:
    """A typed command for the open draft."""
    if isinstance(command, C.Start):
        return start(core, command, [draft])
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
        intro = core.engine.begin(app, core.today())[:1]  # the guidance
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

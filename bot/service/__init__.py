"""The message bus: commands in, outcomes out — the one place the core touches the Store.

``dispatch`` sends each command to its handler module (drafting, filing, withdrawal,
documents, review, reminding, bouncing) under the store's lock; every change is saved with one
``Store.commit`` that also holds its audit entries and the outgoing messages (the outbox).
The named methods below are the same commands for callers that do not build them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, overload

from bot import commands as C
from bot import intents, reminders
from bot.application import Application
from bot.commands import Person
from bot.events import Outcome, Ruling
from bot.pacing import Pace
from bot.ports import Ahead, Clock, Notify, Store, Vault
from bot.schedule import Schedule
from bot.service import bouncing, documents, drafting, reminding, review, starting, withdrawal
from bot.service.core import Core, _never, _not_ahead
from bot.vocabulary import Decision, State

__all__ = ["Outcome", "Person", "Ruling", "Service"]


class Service:
    def __init__(self, *, store: Store, clock: Clock, schedule: Schedule,
                 vault: Vault | None = None, default_lang: str = "ja",
                 policy: reminders.Policy | None = None,
                 new_id: Callable[[], str] | None = None, notify: Notify = _never, ahead: Ahead = _not_ahead,
                 review_channels: Sequence[str] = ("review",), pace: Pace | None = None) -> None:
        self.core = Core(store=store, clock=clock, schedule=schedule, vault=vault,
                         default_lang=default_lang, policy=policy or reminders.Policy(),
                         notify=notify, ahead=ahead, review_channels=tuple(review_channels), pace=pace or Pace(),
                         **({"new_id": new_id} if new_id else {}))

    # --- the bus ------------------------------------------------------------------------

    @overload
    def dispatch(self, command: C.Decide) -> Ruling: ...
    @overload
    def dispatch(self, command: C.Note) -> None: ...
    @overload
    def dispatch(self, command: C.RunReminders) -> int: ...
    @overload
    def dispatch(self, command: C.Command | C.ReportBounce) -> Outcome: ...

    def dispatch(self, command: C.Command | C.Decide | C.Note | C.ReportBounce | C.RunReminders
                 ) -> Outcome | Ruling | int | None:
        core = self.core
        if isinstance(command, C.RunReminders):
            return reminding.run(core)  # takes the lock per application
        with core.turn(*_keys(command), unread=getattr(command, "unread", ())):
            match command:
                case C.Decide():
                    return review.decide(core, command)
                case C.Note():
                    review.note(core, command)
                    return None
                case C.ReportBounce():
                    return bouncing.report(core, command)
                case C.ChooseOption():
                    return drafting.choose(core, command)
                case C.Fill():
                    return drafting.fill(core, command)
                case C.Resume():
                    return drafting.resume(core, command)
                case _:
                    return self._person(command)

    def _person(self, command: C.Command) -> Outcome:
        """Anything else a person says, typed or not."""
        core, person = self.core, command.person
        apps = core.applications_of(person)  # read once per message
        duplicate = core.duplicate(apps, command.key)
        if duplicate is not None:
            return duplicate
        if command.text and (asked := withdrawal.typed(core, apps, command)) is not None:
            return asked
        if isinstance(command, C.RequestDocument) and (sent := documents.request(core, apps, command)):
            return sent
        draft = core.open_draft(apps)
        if draft is None:
            return starting.without_draft(core, command, apps)
        return drafting.converse(core, draft, command)

    # --- the same, by name --------------------------------------------------------------

    def handle(self, person: Person, text: str, *, key: str | None = None) -> Outcome:
        """What a person typed, read by ``bot.intents``."""
        return self.dispatch(intents.read(text, person=person, key=key))

    def start(self, person: Person, *, lang: str | None = None, key: str | None = None) -> Outcome:
        return self.dispatch(C.Start(person=person, lang=lang, key=key))

    def fill(self, person: Person, values: Mapping[str, str], *, key: str | None = None) -> Outcome:
        return self.dispatch(C.Fill(person=person, values=dict(values), key=key))

    def resume(self, person: Person) -> Outcome:
        return self.dispatch(C.Resume(person=person))

    def decide(self, number: str, *, decision: str, actor: str, reason: str = "",
               start_date: str | None = None, comment: str = "") -> Ruling:
        return self.dispatch(C.Decide(number=number, decision=Decision(decision), actor=actor,
                                      reason=reason, start_date=start_date, comment=comment))

    def note(self, app_id: str, *, actor: str, action: str, reason: str = "") -> None:
        self.dispatch(C.Note(app_id=app_id, actor=actor, action=action, reason=reason))

    def run_reminders(self) -> int:
        return self.dispatch(C.RunReminders())

    # --- queries ------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def schedule(self) -> Schedule:
        return self.core.schedule

    @property
    def default_lang(self) -> str:
        return self.core.default_lang

    @default_lang.setter
    def default_lang(self, lang: str) -> None:
        """The language of replies with no application to take it from, and of new drafts (the
        chat sets it when its person switches language before anything is stored)."""
        self.core.default_lang = lang

    def today(self) -> date:
        return self.core.today()

    def load(self, app_id: str) -> Application | None:
        return self.core.load(app_id)

    def find(self, acceptance_number: str) -> Application | None:
        return self.core.find(acceptance_number)

    def applications_of(self, person: Person) -> list[Application]:
        """The person's applications, oldest first (a first contact's record is none)."""
        return [a for a in self.core.applications_of(person) if a.state != State.CONTACT]

    def first_question_waiting(self, person: Person) -> bool:
        """Whether the person was asked a first question, unanswered, before any application."""
        return any(a.state == State.CONTACT and starting.PENDING in a.conversation
                   for a in self.core.applications_of(person))

    def open_draft(self, person: Person) -> Application | None:
        return self.core.open_draft(self.core.applications_of(person))

    def id_codes(self, app: Application) -> list[dict[str, Any]]:
        return review.id_codes(self.core, app)


def _keys(command: C.Command | C.Decide | C.Note | C.ReportBounce) -> tuple[str, ...]:
    """What a command's turn is about, for the store's lock."""
    match command:
        case C.Decide():
            return (f"number:{command.number}",)
        case C.Note() | C.ReportBounce():
            return (f"app:{command.app_id}",)
        case _:
            return command.person.keys

"""What every handler works with: the ports, the engine, and one way to save a turn.

``Core.commit`` is the only way a handler saves: the record, its audit entries, the replies
routed to the person's channel and any other outgoing messages go to the store in ONE write,
together with the inbound message key, which is always an argument, never state kept between
calls.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot import dates, notices, pacing, reminders
from bot import fields as F
from bot.application import OPEN_FOR_ANSWERS, Application, audit_entry
from bot.commands import Person
from bot.conversation import Engine, Reply
from bot.events import Event, Outcome
from bot.ports import Ahead, Clock, Notify, Store, Vault
from bot.schedule import Schedule
from bot.text import squash, without_bidi
from bot.vocabulary import AuditEntry, OutboxMessage, State

INBOUND_KEPT = 50  # inbound message keys remembered per application, for redeliveries


def _never() -> None:
    """No dispatcher to wake (the CLI and unit tests)."""


def _not_ahead(app_id: str, messages: Sequence[OutboxMessage]) -> None:
    """No sender to get messages ready (the CLI and unit tests)."""


@dataclass
class Core:
    store: Store
    clock: Clock
    schedule: Schedule
    vault: Vault | None = None
    default_lang: str = "ja"
    policy: reminders.Policy = field(default_factory=reminders.Policy)
    new_id: Callable[[], str] = lambda: secrets.token_hex(8)
    notify: Notify = _never  # something was queued: wake the outbox dispatcher
    ahead: Ahead = _not_ahead  # ... and, before the turn's sync, the messages to get ready
    # Where review requests go (notices.review): "review" (the Slack channel), "email:ADDRESS".
    review_channels: tuple[str, ...] = ("review",)
    pace: pacing.Pace = field(default_factory=pacing.Pace)  # answers to mail turns that change nothing
    engine: Engine = field(init=False)
    _turn: threading.local = field(init=False, default_factory=threading.local)

    def __post_init__(self) -> None:
        self.engine = Engine(check_date=self.check_desired_date, next_dates=self.schedule.next_dates)

    @contextmanager
    def turn(self, *keys: str, unread: Sequence[str] = ()) -> Iterator[None]:
        """One turn under the store's lock; when it queued messages, the dispatcher is woken
        after the lock is let go — by then the store has them on disk. ``unread``: what the
        channel did not read of the message (``Command.unread``), said first by the turn's
        commit."""
        self._turn.queued = False
        self._turn.unread = tuple(unread)
        try:
            with self.store.locked(*keys):
                yield
        finally:
            self._turn.unread = ()
            if getattr(self._turn, "queued", False):
                self._turn.queued = False
                self.notify()

    # --- reading ------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now().astimezone(dates.JST)

    def today(self) -> date:
        return self.now().date()

    def check_desired_date(self, text: str, today: date) -> str:
        """Read a desired start date and check it against the schedule (SPEC §4)."""
        try:
            wanted = dates.parse_date(text, today=today)
        except dates.DateError as e:
            raise F.Invalid(f"date_{e.code}", **e.params) from None
        refusal = self.schedule.refusal(wanted, today)
        if refusal is not None:
            raise F.Invalid(f"date_{refusal.code}", date=wanted.isoformat(),
                            deadline=refusal.deadline.isoformat() if refusal.deadline else None,
                            alternatives=[d.isoformat() for d in self.nearest_dates(wanted, today)])
        return wanted.isoformat()

    def nearest_dates(self, wanted: date, today: date, count: int = 3) -> list[date]:
        """The open registration dates nearest to ``wanted``: those after it first (the nearest
        first), then those before it; at equal distance the later one is taken."""
        open_dates = [s.start for s in self.schedule.open_slots(today)]
        near = sorted(open_dates, key=lambda d: (abs((d - wanted).days), d < wanted))[:count]
        return sorted(near, key=lambda d: (d < wanted, abs((d - wanted).days)))

    def load(self, app_id: str) -> Application | None:
        record = self.store.get(app_id)
        return Application.from_record(record) if record else None

    def find(self, acceptance_number: str) -> Application | None:
        record = self.store.by_number(squash(acceptance_number).upper())
        return Application.from_record(record) if record else None

    def applications_of(self, person: Person) -> list[Application]:
        found: dict[str, Application] = {}
        for key in person.keys:
            for record in self.store.records_of(key):
                found.setdefault(record["id"], Application.from_record(record))
        return sorted(found.values(), key=lambda a: a.created_at)

    @staticmethod
    def open_draft(apps: Sequence[Application]) -> Application | None:
        """The draft (or returned application) waiting for answers, if any."""
        drafts = [a for a in apps if a.state in OPEN_FOR_ANSWERS]
        return drafts[-1] if drafts else None

    @staticmethod
    def duplicate(apps: Sequence[Application], key: str | None) -> Outcome | None:
        """The outcome for an inbound message already handled (by its key), else None."""
        if key is not None:
            for app in reversed(apps):
                if key in app.inbound:
                    return Outcome(app, [], duplicate=True)
        return None

    # --- changing -----------------------------------------------------------------------

    def new_draft(self, person: Person, lang: str | None) -> tuple[Application, AuditEntry]:
        now = self.clock.now()
        app = Application(id=self.new_id(), created_at=now.isoformat(),
                          lang=lang or self.default_lang, people=list(person.keys),
                          prefill={k: without_bidi(v) if isinstance(v, str) else v
                                   for k, v in person.prefill.items() if v})
        entry = audit_entry(at=now, actor=person.key, action="created", target=State.DRAFT,
                            channel=person.channel)
        return app, entry

    def transition(self, app: Application, before: State, person: Person) -> list[AuditEntry]:
        """The audit entry for a state the engine changed (closed drafts), if it did."""
        if app.state == before:
            return []
        return [audit_entry(at=self.clock.now(), actor=person.key, action="transition",
                            source=before, target=app.state, reason=app.closed_reason or "")]

    def commit(self, app: Application, person: Person, replies: list[Reply], *, key: str | None,
               sync: bool = True, audit: Sequence[AuditEntry] = (), outbox: Sequence[OutboxMessage] = (),
               changed: bool = False, events: Sequence[Event] = (), hosting: str | None = None) -> Outcome:
        """Save what changed; replies to a person reached through a channel go to the outbox
        in the same write, so an answer is never acknowledged without its reply queued.

        ``sync`` False: the message this answers is kept durably by its channel until the
        write is (a spooled mail), so the write need not wait for the disk. ``hosting``: the
        new application this record asks the first question of (``notices.replies``)."""
        unread = getattr(self._turn, "unread", ())
        if unread:  # said once, before what the turn answers
            self._turn.unread = ()
            replies = [*(Reply("not_read", params={"what": what}) for what in unread), *replies]
        replies, paused = self.paced(app, person, replies)
        audit = [*audit, *paused]  # the operator sees a pause in the audit trail
        routed = notices.replies(app, person.channel, person.address, replies, self.clock.now(),
                                 thread=person.thread, hosting=hosting)
        if key is not None:
            app.inbound = [*app.inbound, key][-INBOUND_KEPT:]
            changed = True
        if changed or routed:
            app.active_at = self.clock.now().isoformat()  # the person acted: not idle
            self.save(app, audit=audit, outbox=[*routed, *outbox], sync=sync)  # the reply first
        return Outcome(app, replies, events=list(events))

    def paced(self, app: Application, person: Person, replies: list[Reply]
              ) -> tuple[list[Reply], list[AuditEntry]]:
        """The replies of a mail turn as the brake on mail loops lets them go (bot/pacing.py):
        all, only the notice that the bot pauses, or none. Other channels are not paced."""
        if person.channel != "email":
            return replies, []
        if not person.address or not replies:  # nothing to send (a notice answers): seen, not counted
            pacing.remember(app)
            return replies, []
        verdict = pacing.judge(app, person.address, self.now(), self.pace)
        if verdict == pacing.Verdict.PAUSE:
            until = pacing.resumes_at(app, person.address, self.pace)
            entry = audit_entry(at=self.clock.now(), actor=person.key, action="mail_paused",
                                reason=f"{self.pace.limit} answers in {self.pace.window} s that changed nothing")
            return [Reply("mail_paused", params={"until": until.isoformat() if until else None,
                                                 "minutes": max(1, self.pace.window // 60)})], [entry]
        return (replies if verdict == pacing.Verdict.ANSWER else []), []

    def save(self, app: Application, *, audit: Sequence[AuditEntry] = (),
             outbox: Sequence[OutboxMessage] = (), sync: bool = True) -> None:
        app.version += 1
        wakeup = reminders.next_wakeup(app, self.policy)
        app.wakeup = wakeup.isoformat() if wakeup else None
        self.store.commit(app.to_record(), audit=audit, outbox=outbox, sync=sync)
        if outbox:
            self.ahead(app.id, outbox)  # rendered while the disk syncs
            self._turn.queued = True  # the bus rings once the turn is durable (its lock let go)

    @staticmethod
    def told_by_notice(person: Person, outbox: Sequence[OutboxMessage]) -> Person:
        """``person`` without a reply address when one of the notices in ``outbox`` already
        goes to that address by mail: the notice answers them, so they get one mail, not two.
        (In Slack the reply and the notice are two posts of one DM and both stay.)"""
        if person.channel != "email" or not person.address:
            return person
        mine = person.address.strip().lower()
        if any(m["kind"] == "notice" and m["channel"] == "email" and str(m.get("to", "")).strip().lower() == mine
               for m in outbox):
            return replace(person, address=None)
        return person

    @staticmethod
    def remember(app: Application, person: Person) -> None:
        for key in person.keys:
            if key not in app.people:
                app.people.append(key)

"""Commands in, replies and stored changes out: the one place the core touches the Store.

Every change is saved with ``Store.commit`` in one write that also holds its audit entries and
the outgoing notices (the outbox), under the store's lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot import dates, id_notice, notices, reminders
from bot import fields as F
from bot.application import (
    ACTIVE,
    APPROVED,
    CLOSED,
    DRAFT,
    OPEN_FOR_ANSWERS,
    REJECTED,
    RETURNED,
    UNDER_REVIEW,
    WITHDRAWN,
    Application,
    acceptance_number,
    audit_entry,
)
from bot.conversation import ENGLISH, FORM_PDF, JAPANESE, NOTICE_PDF, STATUS, WITHDRAW, YES, Engine, Reply
from bot.ports import Clock, Store, Vault
from bot.schedule import Schedule
from bot.text import nfkc, one_line, squash

WITHDRAWABLE = frozenset({UNDER_REVIEW, RETURNED})
INBOUND_KEPT = 50  # inbound message keys remembered per application, for redeliveries
DECISIONS = {"approve": APPROVED, "return": RETURNED, "reject": REJECTED}
NEW = frozenset(squash(w) for w in ("新規", "新規申込", "new", "start", "開始"))


@dataclass(frozen=True)
class Person:
    """Someone talking to the bot. ``key`` is channel-specific (``slack:U1``, ``email:a@b``);
    ``aliases`` are other keys known to be the same person (the Slack profile's email)."""

    key: str
    channel: str
    prefill: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    address: str | None = None  # where replies go (Slack user id, email); None = returned only

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


@dataclass
class Decision:
    """What became of a review decision; ``problem`` says why it did not apply."""

    app: Application | None
    applied: bool
    problem: str | None = None  # not_found, already_decided, reason_required, start_date_*


@dataclass
class Outcome:
    app: Application | None
    replies: list[Reply]
    filed: bool = False
    created: bool = False
    duplicate: bool = False  # the inbound message had been handled before; nothing was done

    @property
    def acceptance_number(self) -> str | None:
        return self.app.acceptance_number if self.app else None


class Service:
    def __init__(self, *, store: Store, clock: Clock, schedule: Schedule,
                 vault: Vault | None = None, default_lang: str = "ja",
                 policy: reminders.Policy | None = None,
                 new_id: Callable[[], str] = lambda: secrets.token_hex(8)) -> None:
        self.store = store
        self.vault = vault
        self.policy = policy or reminders.Policy()
        self.clock = clock
        self.schedule = schedule
        self.default_lang = default_lang
        self._new_id = new_id
        self.on_outbox: Callable[[], None] | None = None  # called after queuing messages
        self._inbound_key: str | None = None  # set under the lock for the current message
        self.engine = Engine(check_date=self.check_desired_date,
                             next_dates=schedule.next_dates)

    # --- queries ------------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().astimezone(dates.JST).date()

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
                            alternatives=[d.isoformat() for d in refusal.alternatives])
        return wanted.isoformat()

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

    def open_draft(self, person: Person, apps: list[Application] | None = None) -> Application | None:
        """The person's draft (or returned application) waiting for answers, if any."""
        drafts = [a for a in (self.applications_of(person) if apps is None else apps)
                  if a.state in OPEN_FOR_ANSWERS]
        return drafts[-1] if drafts else None

    # --- commands -----------------------------------------------------------------------

    def start(self, person: Person, *, lang: str | None = None) -> Outcome:
        """Open a new draft (or resume the open one) and ask the first question."""
        with self.store.locked():
            draft = self.open_draft(person)
            if draft is not None:
                replies = [Reply("resumed"), self.engine.prompt(draft, self.today())]
                return self._commit(draft, person, replies)
            app, entry = self._new_draft(person, lang)
            replies = self.engine.begin(app, self.today())
            return self._commit(app, person, replies, audit=[entry], changed=True)

    def _new_draft(self, person: Person, lang: str | None) -> tuple[Application, dict[str, Any]]:
        now = self.clock.now()
        app = Application(id=self._new_id(), created_at=now.isoformat(),
                          lang=lang or self.default_lang, people=list(person.keys),
                          prefill={k: v for k, v in person.prefill.items() if v})
        entry = audit_entry(at=now, actor=person.key, action="created", target=DRAFT,
                            channel=person.channel)
        return app, entry

    def handle(self, person: Person, text: str, *, key: str | None = None) -> Outcome:
        """One message from a person: answer, command, or the start of a new application.

        ``key`` identifies the inbound message (a Slack event id, a Message-ID); it is saved
        in the same write as the answer, so a redelivered message is recognised and ignored
        even after a crash between the two."""
        with self.store.locked():
            apps = self.applications_of(person)  # read once per message
            duplicate = self._duplicate(apps, key)
            if duplicate is not None:
                return duplicate
            self._inbound_key = key
            word = squash(text)
            withdrawing = self._withdrawal(apps, person, word)
            if withdrawing is not None:
                return withdrawing
            document = self._document_request(apps, person, word)
            if document is not None:
                return document
            app = self.open_draft(person, apps)
            if app is None:
                if apps and word in STATUS:
                    return self._commit(apps[-1], person, [self.engine.status(apps[-1])])
                lang = "en" if word in ENGLISH else "ja" if word in JAPANESE else None
                return self.start(person, lang=lang)
            if word in NEW:
                replies = [Reply("resumed"), self.engine.prompt(app, self.today())]
                return self._commit(app, person, replies)
            before = app.state
            turn = self.engine.respond(app, text, self.today())
            if turn.submit:
                return self._file(app, person)
            audit = []
            if app.state != before:
                audit.append(audit_entry(at=self.clock.now(), actor=person.key,
                                         action="transition", source=before, target=app.state,
                                         reason=app.closed_reason or ""))
            self._remember(app, person)
            return self._commit(app, person, turn.replies, audit=audit, changed=True)

    def handle_if_asking(self, person: Person, text: str, *, app_id: str, field: str | None,
                         mode: str = "ask", key: str | None = None) -> Outcome | None:
        """A button pressed on an earlier message: handled like the typed ``text`` only while
        application ``app_id`` still waits for that answer (``mode``, and ``field`` unless None).

        Returns None once the conversation has moved on, so a double click or an old button
        never answers a later question."""
        with self.store.locked():
            app = self.load(app_id)
            if app is None or not set(person.keys) & set(app.people):
                return None
            conv = app.conversation or {}
            if conv.get("mode") != mode or (field is not None and conv.get("field") != field):
                return None
            if app.state in OPEN_FOR_ANSWERS:
                current = self.open_draft(person)
                if current is None or current.id != app_id:
                    return None
            return self.handle(person, text, key=key)

    def fill(self, person: Person, values: dict[str, str], *, key: str | None = None) -> Outcome:
        """Several answers at once, keyed by field; starts a draft when none is open."""
        with self.store.locked():
            apps = self.applications_of(person)
            duplicate = self._duplicate(apps, key)
            if duplicate is not None:
                return duplicate
            self._inbound_key = key
            app = self.open_draft(person, apps)
            audit: list[dict[str, Any]] = []
            intro: list[Reply] = []
            if app is None:
                app, entry = self._new_draft(person, None)
                intro = self.engine.begin(app, self.today())[:1]  # the guidance
                audit.append(entry)
            before = app.state
            replies = self.engine.fill(app, values, self.today())
            if app.state != before:
                audit.append(audit_entry(at=self.clock.now(), actor=person.key,
                                         action="transition", source=before, target=app.state,
                                         reason=app.closed_reason or ""))
            self._remember(app, person)
            outcome = self._commit(app, person, [*intro, *replies], audit=audit, changed=True)
            outcome.created = bool(intro)
            return outcome

    def resume(self, person: Person) -> Outcome:
        """Where the person's open draft stands (the current question, or the last status)."""
        with self.store.locked():
            app = self.open_draft(person)
            if app is not None:
                return self._commit(app, person, [self.engine.prompt(app, self.today())])
            past = self.applications_of(person)
            if past:
                return self._commit(past[-1], person, [self.engine.status(past[-1])])
            return Outcome(None, [Reply("no_application")])

    def decide(self, number: str, *, decision: str, actor: str, reason: str = "",
               start_date: str | None = None, comment: str = "") -> Decision:
        """A reviewer's 承認 / 差戻し / 却下. Only one decision ever applies to a filing."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        with self.store.locked():
            app = self.find(number)
            if app is None:
                return Decision(None, applied=False, problem="not_found")
            if app.state != UNDER_REVIEW:
                return Decision(app, applied=False, problem="already_decided")
            reason, comment = one_line(nfkc(reason)), nfkc(comment).strip()
            if decision in ("return", "reject") and not reason:
                return Decision(app, applied=False, problem="reason_required")
            if decision == "approve":
                problem = self._check_start_date(start_date)
                if problem:
                    return Decision(app, applied=False, problem=problem)
            now = self.clock.now().astimezone(dates.JST)
            target = DECISIONS[decision]
            entry = app.move(target, at=now, actor=actor, reason=reason or comment)
            app.review = {"decision": decision, "by": actor, "at": now.isoformat(),
                          "reason": reason, "comment": comment, "start_date": start_date}
            if target == RETURNED:
                app.conversation = {"field": "confirm", "mode": "ask", "failures": 0}
            outbox = [*notices.decision(app, now), *notices.review(app, now, "decided")]
            if target == APPROVED:
                self._issue_ids(app, now, date.fromisoformat(start_date or ""))
                outbox += notices.id_notification(app, now)
            self._save(app, audit=[entry], outbox=outbox)
            return Decision(app, applied=True)

    def note(self, app_id: str, *, actor: str, action: str, reason: str = "") -> None:
        """Record something that happened to an application (no state change) in its audit."""
        with self.store.locked():
            app = self.load(app_id)
            if app is not None:
                entry = audit_entry(at=self.clock.now(), actor=actor, action=action, reason=reason)
                self._save(app, audit=[entry])

    def run_reminders(self) -> int:
        """Send every reminder that is due (also those missed while the service was down) and
        activate applications whose start date has come. Returns how many actions were taken."""
        today = self.today().isoformat()
        taken = 0
        for day, app_id in self.store.wakeups_due(today):
            with self.store.locked():
                app = self.load(app_id)
                if app is None or app.wakeup is None or app.wakeup > today:
                    self.store.drop_wakeup(day, app_id)  # moved on: a newer marker exists
                    continue
                now = self.clock.now().astimezone(dates.JST)
                actions = reminders.due(app, now, self.policy)
                audit, outbox = [], []
                for action in actions:
                    audit_items, messages = self._remind(app, action, now)
                    audit += audit_items
                    outbox += messages
                if actions:
                    self._save(app, audit=audit, outbox=outbox)
                    taken += len(actions)
                if app.wakeup != day:
                    self.store.drop_wakeup(day, app_id)
        return taken

    def _remind(self, app: Application, action: str, now: datetime
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        stamp = now.isoformat()
        if action == "idle_reminder":
            app.reminders["idle"] = stamp
            return [], notices.to_people(app, "reminder", now, {"reminder": "idle",
                                                                "close_after": self.policy.close_after_days})
        if action == "close_idle":
            entry = app.move(CLOSED, at=now, actor="system:reminders", reason="idle")
            app.closed_reason = "idle"
            app.conversation["field"] = None
            app.reminders["closed"] = stamp
            return [entry], notices.to_people(app, "reminder", now, {"reminder": "closed"})
        params = {**notices.decision_params(app, now),
                  **{k: v for k, v in (app.id_notice or {}).items() if k != "sealed"}}
        if action == "certificate":
            app.reminders["certificate"] = stamp
            return [], notices.build("reminder", app, now, {**params, "reminder": "certificate"})
        entry = app.move(ACTIVE, at=now, actor="system:reminders", reason="start date reached")
        app.reminders["start"] = stamp
        return [entry], notices.build("reminder", app, now, {**params, "reminder": "start"})

    def _issue_ids(self, app: Application, now: datetime, start: date) -> None:
        if self.vault is None:
            raise RuntimeError("approving needs a vault to seal the ID通知 codes")
        codes = id_notice.issue(int(app.answers.get("certificate_count") or 1), now.date(),
                                app.answers.get("user_code"))
        app.id_notice = {"sealed": self.vault.seal(app.id, codes), "count": len(codes),
                         "issued_on": now.date().isoformat(),
                         "expires_on": id_notice.link_expires_on(start).isoformat()}

    def id_codes(self, app: Application) -> list[dict[str, Any]]:
        """The ID通知 codes in clear, for the applicant's eyes only (DM or the reveal page)."""
        if not app.id_notice or self.vault is None:
            return []
        return list(self.vault.unseal(app.id, app.id_notice["sealed"]))

    def _check_start_date(self, start_date: str | None) -> str | None:
        try:
            chosen = date.fromisoformat(start_date or "")
        except ValueError:
            return "start_date_required"
        slot = next((s for s in self.schedule.slots if s.start == chosen), None)
        if slot is None:
            return "start_date_not_on_schedule"
        return "start_date_in_the_past" if chosen <= self.today() else None

    # --- internals ----------------------------------------------------------------------

    def _file(self, app: Application, person: Person) -> Outcome:
        """Assign the acceptance number and move to 受付 (under_review) in one write.

        A returned application is filed again under the number it already has."""
        now = self.clock.now().astimezone(dates.JST)
        if app.acceptance_number is None:
            serial = self.store.next_acceptance_serial(now.year % 100)
            app.acceptance_number = acceptance_number(now, serial)
            app.filed_at = now.isoformat()
        applicable = {f.key for f in F.applicable(app.answers)}
        app.answers = {k: v for k, v in app.answers.items() if k in applicable}
        fixed = F.fixed_settings(app.answers)
        if fixed:
            app.answers["fixed_settings"] = fixed
        entry = app.move(UNDER_REVIEW, at=now, actor=person.key)
        app.review = None
        app.conversation = {"field": None, "mode": "filed", "failures": 0}
        self._remember(app, person)
        outbox = [*notices.acknowledgment(app, now), *notices.review(app, now, "request")]
        params = notices.acknowledgment_params(app, now)
        return self._commit(app, person, [Reply("filed", params=params)], audit=[entry],
                            outbox=outbox, changed=True, filed=True)

    def _withdrawal(self, apps: list[Application], person: Person, word: str) -> Outcome | None:
        """取下げ / withdraw of a filed application before approval: asked, then confirmed."""
        filed = [a for a in apps if a.state in WITHDRAWABLE]
        if not filed:
            return None
        app = filed[-1]
        asked = app.conversation.get("mode") == "confirm_withdraw"
        if not asked and word not in WITHDRAW:
            return None
        if not asked:
            app.conversation = {**app.conversation, "mode": "confirm_withdraw", "back": app.conversation}
            return self._commit(app, person, [Reply("withdraw_confirm", params={
                "acceptance_number": app.acceptance_number}, choices=["yes", "no"])], changed=True)
        previous = app.conversation.get("back") or {"field": None, "mode": "filed", "failures": 0}
        app.conversation = previous
        if word not in YES and word not in WITHDRAW:
            replies = [Reply("withdraw_kept", params={"acceptance_number": app.acceptance_number})]
            if app.state == RETURNED:
                replies.append(self.engine.prompt(app, self.today()))
            return self._commit(app, person, replies, changed=True)
        now = self.clock.now().astimezone(dates.JST)
        entry = app.move(WITHDRAWN, at=now, actor=person.key, reason="withdrawn by the applicant")
        app.conversation = {"field": None, "mode": "withdrawn", "failures": 0}
        outbox = [*notices.build("withdrawn", app, now, notices.decision_params(app, now)),
                  *notices.review(app, now, "withdrawn")]
        return self._commit(app, person, [Reply("withdrawn", params={
            "acceptance_number": app.acceptance_number})], audit=[entry], outbox=outbox,
            changed=True)

    def _document_request(self, apps: list[Application], person: Person, word: str) -> Outcome | None:
        """申込書 / 承認通知 on request: the PDF goes to the person's DM or mail (the approval
        notice only from the start date on). None when the words were not such a request."""
        kind = "form" if word in FORM_PDF else "notice" if word in NOTICE_PDF else None
        filed = [a for a in apps if a.acceptance_number]
        if kind is None or not filed:
            return None
        app = filed[-1]
        params = {"acceptance_number": app.acceptance_number, "document": kind}
        start = (app.review or {}).get("start_date") if app.state in (APPROVED, ACTIVE) else None
        if kind == "notice" and (start is None or self.today() < date.fromisoformat(start)):
            return self._commit(app, person, [Reply("document_not_yet", params={**params, "start_date": start})])
        if person.address is None:  # the terminal: the operator's command writes the file
            return self._commit(app, person, [Reply("document_command", params=params)])
        now = self.clock.now().astimezone(dates.JST)
        outbox = [{"id": f"document-{kind}-{app.version}", "kind": "notice", "notice": "document",
                   "lang": app.lang, "created_at": now.isoformat(), "role": "applicant",
                   "channel": person.channel, "to": person.address,
                   "acceptance_number": app.acceptance_number,
                   "params": {**notices.decision_params(app, now), "document": kind}}]
        return self._commit(app, person, [Reply("document_sent", params=params)], outbox=outbox)

    def _duplicate(self, apps: list[Application], key: str | None) -> Outcome | None:
        """The outcome for an inbound message already handled (by its key), else None."""
        self._inbound_key = None
        if key is None:
            return None
        for app in reversed(apps):
            if key in app.inbound:
                return Outcome(app, [], duplicate=True)
        return None

    def _commit(self, app: Application, person: Person, replies: list[Reply], *,
                audit: Sequence[dict[str, Any]] = (), outbox: Sequence[dict[str, Any]] = (),
                changed: bool = False, filed: bool = False) -> Outcome:
        """Save what changed; replies to a person reached through a channel go to the outbox
        in the same write, so an answer is never acknowledged without its reply queued."""
        routed = notices.replies(app, person.channel, person.address, replies, self.clock.now())
        if self._inbound_key is not None:
            app.inbound = [*app.inbound, self._inbound_key][-INBOUND_KEPT:]
            self._inbound_key = None
            changed = True
        if changed or routed:
            app.active_at = self.clock.now().isoformat()  # the person acted: not idle
            self._save(app, audit=audit, outbox=[*routed, *outbox])  # the reply first
        return Outcome(app, replies, filed=filed)

    @staticmethod
    def _remember(app: Application, person: Person) -> None:
        for key in person.keys:
            if key not in app.people:
                app.people.append(key)

    def _save(self, app: Application, *, audit: Sequence[dict[str, Any]] = (),
              outbox: Sequence[dict[str, Any]] = ()) -> None:
        app.version += 1
        wakeup = reminders.next_wakeup(app, self.policy)
        app.wakeup = wakeup.isoformat() if wakeup else None
        self.store.commit(app.to_record(), audit=audit, outbox=outbox)
        if outbox and self.on_outbox is not None:
            self.on_outbox()  # wake the dispatcher

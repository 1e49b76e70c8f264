"""What an accepted mail means: a new application, an answer, a command, or nothing.

Runs in a worker thread (the core is synchronous). Every call into the core carries the mail's
Message-ID as ``key``, saved in the same write as the answer: a mail delivered twice, or
processed again after a crash, is recognised and nothing happens twice.

Only a reply to one of our reply addresses (``local+TOKEN@domain``) from the person the token
was issued to can change anything. It is read like a chat message: an answer, or any word of the
conversation — after filing 取下げ, 申込書, 承認通知, English/日本語, 状況, 新規 as in Slack. A reply to
an earlier question mail (its ``In-Reply-To``) answers that question (``bot.commands.Answer.field``).
A new mail to the bot's own address starts an application, or — when the sender already has one
— sends the current question, or the state of the filed application, back with a reply address,
so a forged ``From`` cannot answer someone else's questions.

A mail to a bounce address (the envelope sender of each mail we send) goes to ``bounces`` first,
before the auto-reply filter that would drop it: a bounce is a program's mail by nature.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import commands as C
from bot import intents
from bot.ports import Store
from bot.service import Outcome, Person, Service
from bot.service.starting import PENDING
from handlers.email import bounces, budget, fillin, quotes, replied
from handlers.email.addresses import APPLICANT, Addresses, normalise, person_key
from handlers.email.budget import OverBudget
from handlers.email.failures import Unreadable
from handlers.email.reading import Inbound, read

log = logging.getLogger("webnaccs.email")

_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|返信|転送)\s*[:：]\s*)+", re.IGNORECASE)
_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
_ENGLISH_WORDS = re.compile(r"\b(apply|application|applying|start|register|registration|request|"
                            r"hello|hi|dear|please|would like|want)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Result:
    """What became of one mail (logged; tests look at it)."""

    action: str  # handled | filled | bounced | duplicate | ignored
    reason: str = ""
    app_id: str | None = None


class Processor:
    def __init__(self, *, service: Service, store: Store, addresses: Addresses,
                 labels: fillin.Labels, markers: Sequence[str]) -> None:
        self.service = service
        self.store = store
        self.addresses = addresses
        self.labels = labels
        self.markers = list(markers)

    def process(self, raw: bytes, envelope: dict[str, Any]) -> Result:
        recipients = [str(r) for r in envelope.get("rcpt_tos") or []]
        bounce = bounces.first_token(self.addresses, recipients)
        if bounce is not None:
            budget.act()
            return Result(*bounces.handle(self.service, self.store, self.addresses, raw, envelope, bounce))
        try:
            mail = read(raw, envelope_sender=envelope.get("mail_from"), markers=self.markers)
        except OverBudget:
            raise
        except Exception as e:  # the mail itself, not the service: trying again will not help
            raise Unreadable(f"{type(e).__name__}: {e}") from e
        budget.check()
        if mail.limited:
            log.warning("mail %s read only in part: %s", mail.key, mail.limited)
        if mail.automatic:
            return Result("ignored", mail.automatic)
        if mail.message_id and self.addresses.is_our_message_id(mail.message_id):
            return Result("ignored", "own_message")
        if mail.sender is None:
            return Result("ignored", "no_sender")
        if self.addresses.is_ours(mail.sender):
            return Result("ignored", "from_ourselves")
        for rcpt in recipients:
            token = self.addresses.token_of(rcpt)
            if token is not None:
                return self._reply(mail, *token, raw=raw)
        if any(self.addresses.is_bot(r) for r in recipients):
            return self._new_mail(mail)
        return Result("ignored", "no_recipient")

    # --- a reply to one of our mails ------------------------------------------------------

    def _reply(self, mail: Inbound, app_id: str, mac: str, *, raw: bytes) -> Result:
        app = self.service.load(app_id)
        holder = self.addresses.holder(app, mac)
        if holder is None:
            return Result("ignored", "unknown_token")
        sender = normalise(mail.sender or "")
        if sender != holder.address:
            self._audit(holder.app.id, mail, "sender_mismatch")
            log.warning("mail %s for application %s from %s, but its reply address was given to "
                        "someone else: ignored", mail.key, app_id, sender)
            return Result("ignored", "sender_mismatch", app_id)
        if holder.role != APPLICANT:
            self._audit(holder.app.id, mail, "not_the_applicant")
            return Result("ignored", "not_the_applicant", app_id)
        key = person_key(sender)
        aliases = () if key in holder.app.people else tuple(holder.app.people)
        person = Person(key=key, channel="email", prefill={"applicant_email": mail.sender},
                        aliases=aliases, address=mail.sender)
        text = quotes.answer_text(mail.text, self.markers)
        said = intents.read(text, person=person, key=mail.key, replayable=True)
        draft = self.service.open_draft(person)
        if draft is None:  # filed, or ended: every word works as in Slack (取下げ, 申込書, 新規 …)
            if not text:
                said = C.Resume(person=person, key=mail.key, replayable=True)
            return self._dispatch(said)
        values = fillin.parse(text, self.labels)
        current = draft.conversation.get("field")
        if len(values) == 1 and current in values:
            said = intents.read(values[current], person=person, key=mail.key, replayable=True)
            return self._dispatch(said)
        if values:
            return self._dispatch(C.Fill(person=person, values=values, key=mail.key, replayable=True), "filled")
        if not text:  # nothing written above the quote: the current question again
            said = C.Start(person=person, key=mail.key, replayable=True)
        elif isinstance(said, C.Answer | C.Submit):
            hosted = (holder.app.conversation.get(PENDING) or {}).get("id") == draft.id
            asked = replied.asked_field(list(mail.replied_to), domain=self.addresses.domain,
                                        app_ids=(draft.id, holder.app.id) if hosted else (draft.id,),
                                        message=self.store.outbox_message)
            # A reply to an earlier question mail answers that question (登録 only an old summary).
            if asked is not None and asked != current and (isinstance(said, C.Answer) or asked == "confirm"):
                said = C.Answer(person=person, key=mail.key, text=text, replayable=True, field=asked)
        return self._dispatch(said)

    # --- a new mail to the bot's address --------------------------------------------------

    def _new_mail(self, mail: Inbound) -> Result:
        """Never an answer or a command on what the sender has (a ``From`` is easily forged):
        the current question, the state of the latest application, or a new application."""
        assert mail.sender is not None
        person = Person(key=person_key(mail.sender), channel="email",
                        prefill={"applicant_email": mail.sender}, address=mail.sender)
        text = quotes.answer_text(mail.text, self.markers)
        subject = _SUBJECT_PREFIX.sub("", mail.subject).strip()
        said = intents.read(text or subject, person=person, key=mail.key, replayable=True)
        common: dict[str, Any] = {"person": person, "key": mail.key, "replayable": True}
        if self.service.open_draft(person) is not None:
            # Answers come only by reply: send the current question with its reply address.
            command: C.Command = C.ShowStatus(**common) if isinstance(said, C.ShowStatus) else C.Start(**common)
            return self._dispatch(command)
        values = fillin.parse(text, self.labels)
        if values:
            return self._dispatch(C.Fill(**common, values=values), "filled")
        past = self.service.applications_of(person)
        if isinstance(said, C.ShowStatus):
            command = C.ShowStatus(**common)
        elif isinstance(said, C.SetLanguage):
            command = C.SetLanguage(**common, lang=said.lang)
        elif isinstance(said, C.Start) or not past or past[-1].acceptance_number is None:
            lang = "en" if _looks_english(f"{subject}\n{text}") else None
            command = C.Start(**common, lang=lang)
        else:  # someone with a filed application: where it stands, a new one on 新規
            command = C.Resume(**common)
        return self._dispatch(command)

    # --- helpers --------------------------------------------------------------------------

    def _dispatch(self, command: C.Command, action: str = "handled") -> Result:
        budget.act()  # the first write: from here the mail is no longer abandoned for time
        return self._result(self.service.dispatch(command), action)

    @staticmethod
    def _result(outcome: Outcome, action: str = "handled") -> Result:
        app_id = outcome.app.id if outcome.app else None
        return Result("duplicate" if outcome.duplicate else action, app_id=app_id)

    def _audit(self, app_id: str, mail: Inbound, reason: str) -> None:
        """Record an ignored mail in the application's audit trail (once per Message-ID)."""
        budget.act()
        if self.store.mark_seen("email-ignored", mail.key):
            self.service.note(app_id, actor=person_key(mail.sender or ""), action="mail_ignored",
                              reason=reason)


def _looks_english(text: str) -> bool:
    """A first mail written in English (and not Japanese) starts the conversation in English."""
    return bool(_ENGLISH_WORDS.search(text)) and not _JAPANESE.search(text)

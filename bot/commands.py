"""What a person or a reviewer can ask of the core, as data.

A channel builds one of these per inbound message: typed text goes through
``bot.intents.read`` (the one place words are recognised); a button, a form or a mail's
fill-in block builds its command directly. Each carries who asks (``person``), and the
inbound message's ``key`` (a Slack event id, a Message-ID) which is saved in the same write
as what the command changes, so a redelivery is recognised and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.vocabulary import Decision, Document, Mode


@dataclass(frozen=True)
class Person:
    """Someone talking to the bot. ``key`` is channel-specific (``slack:U1``, ``email:a@b``);
    ``aliases`` are other keys known to be the same person (the Slack profile's email)."""

    key: str
    channel: str
    prefill: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    address: str | None = None  # where replies go (Slack user id, email); None = returned only
    # The conversation inside the channel the person wrote in, when replies go there and not
    # to the channel's main line (a Slack thread's ts); carried on the outbox reply.
    thread: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class Command:
    """From a person. ``text`` is what they typed (empty for buttons and forms): a word that
    means something elsewhere is still an ordinary answer where a question expects text."""

    person: Person
    key: str | None = None
    text: str = ""
    replayable: bool = False  # the channel keeps the message on disk until its turn is durable
    # What the channel did not read of the message, said before the turn's replies:
    # ATTACHMENTS (files beside the text), FILES_ONLY (files and no text), EDITED (an edit).
    unread: tuple[str, ...] = ()

    @property
    def sync(self) -> bool:
        """Whether the turn's write must reach the disk before it returns."""
        return not self.replayable


@dataclass(frozen=True, kw_only=True)
class Start(Command):
    """Open a draft, or resume the open one (新規 / a first message / App Home)."""

    lang: str | None = None


@dataclass(frozen=True, kw_only=True)
class Resume(Command):
    """Where the person stands: the current question, or the state of their last application."""


@dataclass(frozen=True, kw_only=True)
class Answer(Command):
    """Typed text for the question being asked, or for ``field`` when the channel knows the
    person answers an earlier question (a reply to an older question mail)."""

    field: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChooseOption(Command):
    """A button pressed on an earlier message: ``option`` (one of the reply's choices, or
    ``keep``) for ``field`` in ``mode`` of application ``app_id``. It applies only while that
    application still waits for exactly that, so an old button never answers a later question."""

    app_id: str
    field: str | None
    mode: Mode
    option: str


# ChooseOption.option besides a choice value, a date or a field key:
KEEP = "keep"  # keep the current (prefilled) value
SUBMIT = "submit"  # 登録 at the summary
EDIT = "edit"  # 修正 at the summary: pick the answer to change
EDIT_PREFIX = "edit:"  # "edit:applicant_phone" at the summary
YES, NO = "yes", "no"  # confirm_cancel / confirm_withdraw
# Command.unread: what of a message was not read (each said in a "not_read" reply).
ATTACHMENTS, FILES_ONLY, EDITED = "attachments", "files_only", "edited"


@dataclass(frozen=True, kw_only=True)
class Fill(Command):
    """Several answers at once, keyed by field (the Slack form, a mail's fill-in lines)."""

    values: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class Back(Command):
    """戻る: the previous question."""


@dataclass(frozen=True, kw_only=True)
class Edit(Command):
    """修正: pick an answered field (``target`` None) or change the one ``target`` names."""

    target: str | None = None


@dataclass(frozen=True, kw_only=True)
class ShowStatus(Command):
    """状況."""


@dataclass(frozen=True, kw_only=True)
class Help(Command):
    """ヘルプ."""


@dataclass(frozen=True, kw_only=True)
class Example(Command):
    """例: sample answers (the reason question)."""


@dataclass(frozen=True, kw_only=True)
class SetLanguage(Command):
    lang: str


@dataclass(frozen=True, kw_only=True)
class Submit(Command):
    """登録 at the summary."""


@dataclass(frozen=True, kw_only=True)
class Cancel(Command):
    """取消: cancel the draft (asked first)."""


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    """取下げ: withdraw a filed application before approval (asked first)."""


@dataclass(frozen=True, kw_only=True)
class RequestDocument(Command):
    """申込書 / 承認通知 as PDF, to the person's DM or mail."""

    document: Document


@dataclass(frozen=True, kw_only=True)
class Decide:
    """A reviewer's 承認 / 差戻し / 却下 of the filing ``number``."""

    number: str
    decision: Decision
    actor: str
    reason: str = ""
    start_date: str | None = None
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class Note:
    """Record something that happened to an application (no state change) in its audit."""

    app_id: str
    actor: str
    action: str
    reason: str = ""


@dataclass(frozen=True)
class RunReminders:
    """Send every reminder that is due, and activate applications whose start date came."""


@dataclass(frozen=True, kw_only=True)
class ReportBounce:
    """A mail the bot sent came back undelivered: outbox message ``message_id`` of ``app_id``
    was not accepted by ``address``; ``reason`` is what the report says (for the operator),
    ``status`` its RFC 3463 code (5.1.1). ``key`` is the report's Message-ID: the same report
    delivered twice is recorded once."""

    app_id: str
    message_id: str
    address: str
    reason: str
    status: str = ""
    key: str | None = None

"""The core's vocabulary as types: states, conversation modes, decisions, reminder actions,
and the shapes of outbox messages and audit entries.

They are ``StrEnum``s, so a stored record keeps plain strings (``"under_review"``) and a value
read back compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NotRequired, TypedDict


class State(StrEnum):
    """Where an application is in its lifecycle (SPEC §5)."""

    DRAFT = "draft"
    UNDER_REVIEW = "under_review"  # filed: 受付, 内容確認中
    RETURNED = "returned"  # 差戻し: back to the applicant
    APPROVED = "approved"  # 審査終了
    ACTIVE = "active"  # 利用開始日 reached
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # a draft that ended unfiled: cancelled, ineligible industry, idle too long
    CONTACT = "contact"  # not an application: someone asked the first question, nothing answered


class Mode(StrEnum):
    """What the conversation waits for (``Application.conversation["mode"]``)."""

    ASK = "ask"  # an answer to ``field`` (or 登録 at the summary)
    PICK_FIELD = "pick_field"  # which answer to change, after a bare 修正/edit
    CONFIRM_CANCEL = "confirm_cancel"  # yes/no: cancel the draft
    CONFIRM_WITHDRAW = "confirm_withdraw"  # yes/no: withdraw the filed application
    FILED = "filed"  # nothing asked: the application is with the reviewers
    WITHDRAWN = "withdrawn"


class Decision(StrEnum):
    """A reviewer's decision on a filing."""

    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


class ReminderAction(StrEnum):
    IDLE_REMINDER = "idle_reminder"  # a draft left alone for a day
    CLOSE_IDLE = "close_idle"  # a draft left alone too long is closed
    CERTIFICATE = "certificate"  # obtain the digital certificates before the start date
    START = "start"  # the start date has come: the application becomes active


class Document(StrEnum):
    FORM = "form"  # 申込書
    NOTICE = "notice"  # 承認通知 (from the start date on)


# One line of the append-only audit trail: who, when, from, to, why. (The functional form,
# because ``from`` is a keyword.)
AuditEntry = TypedDict("AuditEntry", {
    "at": str, "actor": str, "action": str, "from": str | None, "to": str | None, "reason": str,
    "channel": NotRequired[str],
})


class OutboxMessage(TypedDict):
    """Something to deliver, queued in the same write as the change that causes it.

    ``kind`` is ``reply`` (one turn's replies), ``notice`` (SPEC §5) or ``review`` (the card in
    the reviewers' channel); ``channel`` names the sender that delivers it."""

    id: str
    kind: str
    channel: str
    lang: str
    created_at: str
    acceptance_number: str | None
    to: NotRequired[str]
    role: NotRequired[str]  # applicant | admin
    # To an administrator address the applicant typed that no channel verified (issue 15.8): who
    # asked for the mail, so that it can say so and carry nothing else the applicant wrote.
    requested_by: NotRequired[dict[str, str]]
    notice: NotRequired[str]
    params: NotRequired[dict[str, Any]]
    replies: NotRequired[list[dict[str, Any]]]
    thread: NotRequired[str]  # reply: the conversation inside the channel it answers (a Slack thread)
    application_id: NotRequired[str]  # reply: the new application its first question is about
    action: NotRequired[str]  # review: request | decided | withdrawn
    review: NotRequired[dict[str, Any] | None]

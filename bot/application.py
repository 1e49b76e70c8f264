"""The application: its record, its lifecycle (SPEC §5) and its acceptance number."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.vocabulary import AuditEntry, State

TRANSITIONS: dict[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.UNDER_REVIEW, State.CLOSED}),
    State.UNDER_REVIEW: frozenset({State.APPROVED, State.RETURNED, State.REJECTED, State.WITHDRAWN}),
    State.RETURNED: frozenset({State.UNDER_REVIEW, State.WITHDRAWN}),
    State.APPROVED: frozenset({State.ACTIVE}),
    State.ACTIVE: frozenset(),
    State.REJECTED: frozenset(),
    State.WITHDRAWN: frozenset(),
    State.CLOSED: frozenset(),
    State.CONTACT: frozenset(),
}
OPEN_FOR_ANSWERS = frozenset({State.DRAFT, State.RETURNED})
WITHDRAWABLE = frozenset({State.UNDER_REVIEW, State.RETURNED})


class TransitionError(ValueError):
    def __init__(self, state: State, target: State) -> None:
        super().__init__(f"{state} -> {target} is not allowed")
        self.state = state
        self.target = target


def acceptance_number(filed_at: datetime, serial: int) -> str:
    """Two-digit filing year (JST), four-digit serial within that year, and ``A``: 260001A."""
    if serial < 1:
        raise ValueError("serial starts at 1")
    return f"{filed_at.year % 100:02d}{serial:04d}A"


@dataclass
class Application:
    id: str
    created_at: str
    lang: str = "ja"
    state: State = State.DRAFT
    answers: dict[str, Any] = field(default_factory=dict)
    people: list[str] = field(default_factory=list)  # person keys, the starter first
    acceptance_number: str | None = None
    filed_at: str | None = None
    closed_reason: str | None = None
    review: dict[str, Any] | None = None  # the reviewer's decision: who, when, what, why
    id_notice: dict[str, Any] | None = None  # sealed ID通知 codes, issue and expiry dates
    conversation: dict[str, Any] = field(default_factory=dict)
    prefill: dict[str, Any] = field(default_factory=dict)
    inbound: list[str] = field(default_factory=list)  # keys of recent inbound messages
    active_at: str | None = None  # when the person last said something (drafts go idle)
    reminders: dict[str, str] = field(default_factory=dict)  # reminder → when it was sent
    wakeup: str | None = None  # ISO day on which a reminder may next be due (indexed)
    pacing: dict[str, Any] = field(default_factory=dict)  # mail turns answered (bot/pacing.py)
    version: int = 0

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Application:
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        known["state"] = State(known.get("state", State.DRAFT))
        return cls(**known)

    def move(self, target: State, *, at: datetime, actor: str, reason: str = "") -> AuditEntry:
        """Change state if the lifecycle allows it; returns the audit entry to record."""
        if target not in TRANSITIONS[self.state]:
            raise TransitionError(self.state, target)
        entry = audit_entry(at=at, actor=actor, action="transition", source=self.state,
                            target=target, reason=reason)
        self.state = target
        return entry


def audit_entry(*, at: datetime, actor: str, action: str, source: str | None = None,
                target: str | None = None, reason: str = "", channel: str | None = None) -> AuditEntry:
    """One line of the append-only audit trail: who, when, from, to, why."""
    entry: AuditEntry = {"at": at.isoformat(), "actor": actor, "action": action, "from": source,
                         "to": target, "reason": reason}
    if channel is not None:
        entry["channel"] = channel
    return entry

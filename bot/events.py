"""What happened, past tense, and the outcome of one command (replies and events)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.application import Application
from bot.conversation import Reply


@dataclass(frozen=True)
class Event:
    app_id: str


@dataclass(frozen=True)
class Created(Event):
    """A new draft was stored."""


@dataclass(frozen=True)
class Filed(Event):
    """受付: the application has its acceptance number and is with the reviewers."""

    number: str


@dataclass(frozen=True)
class Withdrawn(Event):
    number: str


@dataclass(frozen=True)
class Decided(Event):
    """A reviewer's decision applied (approve, return or reject)."""

    number: str
    decision: str


@dataclass
class Outcome:
    """What one command did: the replies for the person and what happened."""

    app: Application | None
    replies: list[Reply]
    events: list[Event] = field(default_factory=list)
    duplicate: bool = False  # the inbound message had been handled before; nothing was done
    stale: bool = False  # a button for something no longer asked; nothing was done

    @property
    def filed(self) -> bool:
        return any(isinstance(e, Filed) for e in self.events)

    @property
    def created(self) -> bool:
        return any(isinstance(e, Created) for e in self.events)

    @property
    def acceptance_number(self) -> str | None:
        return self.app.acceptance_number if self.app else None


@dataclass
class Ruling:
    """What became of a review decision; ``problem`` says why it did not apply."""

    app: Application | None
    applied: bool
    problem: str | None = None  # not_found, already_decided, reason_required, start_date_*
    events: list[Event] = field(default_factory=list)

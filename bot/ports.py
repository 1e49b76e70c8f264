"""Protocols the core needs from the outside world.

The core only sees these; the composition root (``handlers.bootstrap``) wires the real adapters
(TinyDB store, system clock) and the tests wire in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.vocabulary import AuditEntry, OutboxMessage

Record = dict[str, Any]


class Conflict(Exception):
    """Two turns on the same application collided (a database deadlock or serialisation
    failure); nothing of this one was saved, and it can simply run again."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment as an aware datetime in Japan time (Asia/Tokyo)."""
        ...


class Notify(Protocol):
    def __call__(self) -> None:
        """Something was queued in the outbox (thread-safe: wake the dispatcher)."""
        ...


class Ahead(Protocol):
    def __call__(self, app_id: str, messages: Sequence[OutboxMessage]) -> None:
        """Messages were committed and are not yet on disk (the turn's sync is next): a sender
        may get them ready meanwhile (render them). Nothing is sent before ``Notify``."""
        ...


@runtime_checkable
class ClaimsAtOnce(Protocol):
    """A store whose outbox claim can be asked without waiting (TinyDB: in memory, under a lock
    that is either free or not): the dispatcher asks it on its event loop first."""

    def claim_outbox_now(self, channels: Iterable[str], *, lease_seconds: float) -> list[Record] | None:
        """What ``claim_outbox`` returns, or None when that would mean waiting for a lock."""
        ...


class Vault(Protocol):
    """Encryption at rest for secrets (the ID通知 codes), bound to one application."""

    def seal(self, app_id: str, payload: Any) -> str: ...

    def unseal(self, app_id: str, sealed: str) -> Any: ...


class Store(Protocol):
    """Durable state: one record per application (its conversation included).

    A record is a JSON-able dict with at least ``id``, ``state``, ``people`` (list of person
    keys such as ``"slack:U123"`` or ``"email:a@b.jp"``) and ``acceptance_number`` (None until
    filed). Every method is atomic; ``locked()`` is a reentrant context that serialises a
    read-modify-write sequence across threads and processes.
    """

    def locked(self, *keys: str) -> AbstractContextManager[None]:
        """Hold what a read-modify-write sequence needs: ``keys`` name the people or the
        application it is about (a store may lock only those, or everything)."""
        ...

    def get(self, app_id: str) -> Record | None: ...

    def commit(
        self,
        record: Record,
        *,
        audit: Sequence[AuditEntry] = (),
        outbox: Sequence[OutboxMessage] = (),
        sync: bool = True,
    ) -> None:
        """Write the record, append audit entries and queue outbox messages in ONE atomic write.

        When this returns, all of it survives a crash (with ``sync`` False: a killed process,
        and a power cut once the store next syncs); when it raises or the process dies before
        it returns, none of it is visible (the previous record stays intact).
        """
        ...

    def records_of(self, person_key: str) -> list[Record]:
        """The records of those applications, oldest first."""
        ...

    def next_acceptance_serial(self, year: int) -> int:
        """The next serial (1, 2, …) for a two-digit filing year; never returns one twice."""
        ...

    def by_number(self, acceptance_number: str) -> Record | None: ...

    def all_ids(self) -> Iterator[str]: ...

    def audit(self, app_id: str) -> list[Record]: ...

    def outbox(self, app_id: str) -> list[Record]: ...

    def outbox_message(self, app_id: str, message_id: str) -> Record | None:
        """One message of the application, sent or not (None: no such message); a recent one
        without reading the application's whole history."""
        ...

    def pending_outbox(self, channels: Iterable[str] | None = None) -> list[Record]:
        """Outbox messages not yet sent (each carries ``app_id`` and ``id``), oldest first."""
        ...

    def claim_outbox(self, channels: Iterable[str], *, lease_seconds: float) -> list[Record]:
        """Pending messages of ``channels`` that this process may deliver now; with several
        processes each message is given to one of them at a time (for ``lease_seconds``)."""
        ...

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None: ...

    def wakeups_due(self, day: str) -> list[tuple[str, str]]:
        """(day, app id) of applications to look at on or before ``day``; a record's ``wakeup``
        (ISO date) field, when set, is indexed by ``commit``."""
        ...

    def drop_wakeup(self, day: str, app_id: str) -> None: ...

    def mark_seen(self, namespace: str, key: str) -> bool:
        """Remember an event/message id; True the first time, False when already seen."""
        ...

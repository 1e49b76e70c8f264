"""What a TinyStore holds in memory: the applications changed since the checkpoint (``dirty``,
the journal has them), a cache of others read from their files, and the indexes — and how one
journal line changes them, the same for the process that wrote it and for one that follows it."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from store import checks
from store.atomic import encode
from store.tiny import apps
from store.tiny.apps import SENT, AppState, Record
from store.tiny.indexes import Indexes
from store.tiny.layout import Layout, is_safe_name

CACHE = 4096  # applications kept parsed besides those changed since the checkpoint
SENT_KEPT = 4096  # sent messages a checkpoint archived, kept for the replies that name them


class Memory:
    def __init__(self, paths: Layout, index: Indexes) -> None:
        self._paths = paths
        self.index = index
        self.dirty: dict[str, AppState] = {}
        self.touched: dict[str, int] = {}  # how often each dirty one changed (for a checkpoint)
        self._cache: OrderedDict[str, AppState] = OrderedDict()
        self._sent: OrderedDict[tuple[str, str], Record] = OrderedDict()  # lately archived

    def state(self, app_id: str) -> AppState | None:
        state = self.dirty.get(app_id)
        if state is not None:
            return state
        state = self._cache.get(app_id)
        if state is not None:
            self._cache.move_to_end(app_id)
            return state
        state = apps.load(self._paths.app(app_id))
        if state is not None:
            self._cache[app_id] = state
            if len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return state

    def apply(self, entry: dict[str, Any]) -> None:
        """One journal line onto the state in memory (the same for a writer and a follower)."""
        op = entry.get("op")
        if op == "serial":
            self.index.note_serial(str(entry.get("year")), int(entry.get("last") or 0))
            return
        app_id = entry.get("app")
        if not is_safe_name(app_id):
            return
        state = self.state(app_id)
        if op == "commit":
            record = entry["record"]
            for person in checks.people(record):  # facts that held: true also of a line already in
                self.index.add_person(person, app_id)  # the application file, whose index
            if record.get("acceptance_number"):  # a checkpoint cut short may not have written
                self.index.add_number(str(record["acceptance_number"]), app_id)
            if state is not None and state.rev >= int(entry["rev"]):
                self.index.set_wakeup(app_id, state.decoded().get("wakeup"))
                self.index.set_pending(app_id, state.pending_channels())
                return  # already in the application file
            state = AppState(int(entry["rev"]), encode(record), dict(state.outbox) if state else {},
                             list(state.audit) if state else [])
            state.audit += [(state.rev, n, a) for n, a in enumerate(entry.get("audit") or [])]
            for message in entry.get("outbox") or []:
                state.outbox[str(message["id"])] = message
            self.index.set_wakeup(app_id, record.get("wakeup"))
        elif op == "mark" and state is not None and entry.get("id") in state.outbox:
            message = state.outbox[str(entry["id"])]
            message.update({**(entry.get("info") or {}), "status": entry.get("status")})
        else:
            return
        self._cache.pop(app_id, None)
        self.dirty[app_id] = state
        self.touched[app_id] = self.touched.get(app_id, 0) + 1
        self.index.set_pending(app_id, state.pending_channels())

    def archived_message(self, app_id: str, message_id: str) -> Record | None:
        """A sent message a checkpoint archived lately (the newest ``SENT_KEPT`` are kept)."""
        return self._sent.get((app_id, message_id))

    def archived(self, app_id: str, written: AppState, touched: int) -> None:
        """After a checkpoint: forget what it archived; an application unchanged since is clean."""
        state = self.dirty.get(app_id)
        if state is None:
            return
        state.audit = [a for a in state.audit if a[0] > written.rev]
        done = {k for k, m in written.outbox.items() if m.get("status") == SENT}
        for key in done:
            if key in state.outbox:
                self._sent[(app_id, key)] = state.outbox[key]
        while len(self._sent) > SENT_KEPT:
            self._sent.popitem(last=False)
        state.outbox = {k: m for k, m in state.outbox.items() if k not in done}
        if self.touched.get(app_id) == touched:
            del self.dirty[app_id], self.touched[app_id]
            self._cache[app_id] = state

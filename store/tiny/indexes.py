"""The store's indexes, kept in memory and written with each checkpoint.

People and acceptance numbers are sharded files read the first time a shard is needed; the
serials, the wake-up days and the applications with pending messages are small and live in
``index/meta.json``. Every index is derived from the records, so replaying the journal over the
checkpointed files gives the same indexes, whatever moment a kill chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.atomic import encode, read_json
from store.tiny.layout import Layout, number_year, person_shard

FORMAT = 2


@dataclass
class Snapshot:
    """What a checkpoint writes, copied under the lock and written without it."""

    meta: dict[str, Any]
    people: dict[str, dict[str, list[str]]]
    numbers: dict[str, dict[str, str]]


@dataclass
class Indexes:
    paths: Layout
    people: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # shard → key → ids
    numbers: dict[str, dict[str, str]] = field(default_factory=dict)  # year → number → id
    serials: dict[str, int] = field(default_factory=dict)  # "26" → last serial handed out
    wakeups: dict[str, str] = field(default_factory=dict)  # app id → ISO day
    pending: dict[str, set[str]] = field(default_factory=dict)  # channel → app ids
    seq: int = 0  # the journal segments before this one are in the checkpoint
    _dirty: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, paths: Layout) -> Indexes:
        meta = read_json(paths.meta) or {}
        return cls(paths, serials={str(k): int(v) for k, v in (meta.get("serials") or {}).items()},
                   wakeups=dict(meta.get("wakeups") or {}),
                   pending={str(c): set(ids) for c, ids in (meta.get("pending") or {}).items()},
                   seq=int(meta.get("seq", 0)))

    # --- people -----------------------------------------------------------------------

    def apps_of(self, person_key: str) -> list[str]:
        return list(self._people_shard(person_shard(person_key)).get(person_key, ()))

    def add_person(self, person_key: str, app_id: str) -> None:
        shard = person_shard(person_key)
        ids = self._people_shard(shard).setdefault(person_key, [])
        if app_id not in ids:
            ids.append(app_id)
            self._dirty.add(("people", shard))

    def _people_shard(self, shard: str) -> dict[str, list[str]]:
        if shard not in self.people:
            self.people[shard] = dict(read_json(self.paths.people_shard(shard)) or {})
        return self.people[shard]

    # --- numbers and serials ----------------------------------------------------------

    def owner(self, number: str) -> str | None:
        return self._numbers(number_year(number)).get(number)

    def add_number(self, number: str, app_id: str) -> None:
        year = number_year(number)
        if self._numbers(year).get(number) != app_id:
            self._numbers(year)[number] = app_id
            self._dirty.add(("numbers", year))
        if number[2:6].isdigit():
            self.serials[year] = max(self.serials.get(year, 0), int(number[2:6]))

    def _numbers(self, year: str) -> dict[str, str]:
        if year not in self.numbers:
            self.numbers[year] = dict(read_json(self.paths.numbers_shard(year)) or {})
        return self.numbers[year]

    def next_serial(self, year: int) -> int:
        key = f"{year:02d}"
        self.serials[key] = self.serials.get(key, 0) + 1
        return self.serials[key]

    def note_serial(self, year: str, last: int) -> None:
        self.serials[year] = max(self.serials.get(year, 0), last)

    # --- wake-ups and pending messages --------------------------------------------------

    def set_wakeup(self, app_id: str, day: str | None) -> None:
        if day is None:
            self.wakeups.pop(app_id, None)
        else:
            self.wakeups[app_id] = day

    def set_pending(self, app_id: str, channels: set[str]) -> None:
        for channel in channels:
            self.pending.setdefault(channel, set()).add(app_id)
        for channel, ids in self.pending.items():
            if channel not in channels:
                ids.discard(app_id)

    def pending_ids(self, channels: set[str] | None) -> set[str]:
        return {i for c, ids in self.pending.items() if channels is None or c in channels for i in ids}

    # --- checkpoints ------------------------------------------------------------------

    def snapshot(self, seq: int) -> Snapshot:
        """A copy of what changed, and the meta that says the journal before ``seq`` is in."""
        meta = {"format": FORMAT, "seq": seq, "serials": dict(self.serials),
                "wakeups": dict(self.wakeups),
                "pending": {c: sorted(ids) for c, ids in self.pending.items() if ids}}
        people = {s: {k: list(v) for k, v in self.people[s].items()} for kind, s in self._dirty if kind == "people"}
        numbers = {y: dict(self.numbers[y]) for kind, y in self._dirty if kind == "numbers"}
        self._dirty.clear()
        return Snapshot(meta, people, numbers)

    def restore_dirty(self, snap: Snapshot) -> None:
        """A checkpoint that failed: its shards must be written by the next one."""
        self._dirty |= {("people", s) for s in snap.people} | {("numbers", y) for y in snap.numbers}


def write(paths: Layout, snap: Snapshot, write_bytes: Any) -> None:
    """Shards first, the meta last: until the meta moves on, the journal replays over them."""
    for shard, people in snap.people.items():
        write_bytes(paths.people_shard(shard), encode(people))
    for year, numbers in snap.numbers.items():
        write_bytes(paths.numbers_shard(year), encode(numbers))
    write_bytes(paths.meta, encode(snap.meta))

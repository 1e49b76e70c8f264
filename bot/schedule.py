"""The registration schedule (SPEC §4): システム登録日（利用開始日）and 申込締切日.

File format (UTF-8 text, one row per registration date)::

    # comment lines and blank lines are ignored
    # registration date (= start date), application deadline
    2026-12-01, 2026-11-13

Both dates are ISO ``YYYY-MM-DD`` in Japan time; the deadline is the last day (inclusive) on
which an application for that date may be filed, and must fall before the registration date.
Rows must be sorted by registration date without duplicates. A tab or spaces may separate the
two columns instead of a comma. Parsing is pure: the caller reads the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_SEPARATOR = re.compile(r"\s*[,\t ]\s*")


@dataclass(frozen=True)
class Slot:
    start: date
    deadline: date
    line: int = 0


@dataclass(frozen=True)
class Problem:
    """One fault in a schedule file; ``code`` names it for the templates."""

    line: int
    code: str  # bad_row, bad_date, deadline_not_before, not_sorted, duplicate
    text: str = ""


@dataclass(frozen=True)
class Refusal:
    """Why a desired date cannot be taken, and the next valid dates to offer instead."""

    code: str  # not_on_schedule, deadline_passed, in_the_past
    deadline: date | None
    alternatives: tuple[date, ...]


class Schedule:
    def __init__(self, slots: list[Slot], problems: list[Problem] | None = None) -> None:
        self.slots = slots
        self.problems = problems or []
        self._by_date = {s.start: s for s in slots}

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Read the file format above; faults are collected in ``problems``, not raised."""
        slots: list[Slot] = []
        problems: list[Problem] = []
        seen: set[date] = set()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip().lstrip("\ufeff")
            if not line:
                continue
            parts = [p for p in _SEPARATOR.split(line) if p]
            if len(parts) != 2:
                problems.append(Problem(number, "bad_row", raw.strip()))
                continue
            try:
                start, deadline = (date.fromisoformat(p) for p in parts)
            except ValueError:
                problems.append(Problem(number, "bad_date", raw.strip()))
                continue
            if deadline >= start:
                problems.append(Problem(number, "deadline_not_before", raw.strip()))
            if start in seen:
                problems.append(Problem(number, "duplicate", raw.strip()))
                continue
            if slots and start < slots[-1].start:
                problems.append(Problem(number, "not_sorted", raw.strip()))
            seen.add(start)
            slots.append(Slot(start, deadline, number))
        return cls(sorted(slots, key=lambda s: s.start), problems)

    def open_slots(self, today: date) -> list[Slot]:
        """Registration dates still open for applications: not past, deadline not passed."""
        return [s for s in self.slots if s.start > today and s.deadline >= today]

    def next_dates(self, today: date, count: int = 3) -> tuple[date, ...]:
        return tuple(s.start for s in self.open_slots(today)[:count])

    def refusal(self, wanted: date, today: date) -> Refusal | None:
        """None when ``wanted`` may be requested today; otherwise why not, with alternatives."""
        slot = self._by_date.get(wanted)
        if slot is not None and wanted > today and slot.deadline >= today:
            return None
        alternatives = self.next_dates(today)
        if wanted < today:
            code = "in_the_past"
        elif slot is None:
            code = "not_on_schedule"
        else:
            code = "deadline_passed"
        return Refusal(code, slot.deadline if slot else None, alternatives)

    def last_date(self) -> date | None:
        return self.slots[-1].start if self.slots else None

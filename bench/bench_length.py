"""Turn cost against the length of a conversation: the answer to the first question, the
sixteenth, and an answer after 100 edit messages (``修正 備考`` / a new value, 50 times).

Counted, not timed on the disk: CPU time of the turn (``time.process_time`` around
``Service.handle`` on a real ``TinyStore``, fsync included but not its wait) and the bytes the
turn appends to the journal. A turn writes the live state and the messages it causes only, so
both stay flat however long the conversation is (goal: ≤ 1.2 × the first answer).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Figure
from bot.config import BUNDLED_SCHEDULE
from bot.service import Person, Service
from handlers.bootstrap import load_schedule
from store import TinyStore
from store.vault import AesVault
from tests.conftest import WITHOUT_USER_CODE
from tests.fakes import clock_at


def journal_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "journal").iterdir())


def one(service: Service, person: Person, text: str, root: Path) -> tuple[float, int]:
    before_cpu, before_bytes = time.process_time(), journal_bytes(root)
    service.handle(person, text)
    return time.process_time() - before_cpu, journal_bytes(root) - before_bytes


def measure(quick: bool) -> list[Figure]:
    rounds = 4 if quick else 20
    points: dict[str, list[tuple[float, int]]] = {"answer 1": [], "answer 16": [], "after 100 edits": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        service = Service(store=TinyStore(root), clock=clock_at("2026-11-26T10:00"),
                          schedule=load_schedule(BUNDLED_SCHEDULE), vault=AesVault(b"bench"))
        for n in range(rounds):
            person = Person(key=f"slack:ULEN{n:04d}", channel="slack", address=f"ULEN{n:04d}")
            service.start(person)
            points["answer 1"].append(one(service, person, WITHOUT_USER_CODE[0], root))
            for text in WITHOUT_USER_CODE[1:15]:
                service.handle(person, text)
            points["answer 16"].append(one(service, person, WITHOUT_USER_CODE[15], root))
            for i in range(50):
                service.handle(person, "修正 備考")
                service.handle(person, f"備考その{i}")
            service.handle(person, "修正 備考")
            points["after 100 edits"].append(one(service, person, "備考の最後の修正", root))
    first_cpu = statistics.median(c for c, _ in points["answer 1"]) * 1000
    first_bytes = statistics.median(b for _, b in points["answer 1"])
    figures = []
    for name, samples in points.items():
        cpu = statistics.median(c for c, _ in samples) * 1000
        written = statistics.median(b for _, b in samples)
        figures.append(Figure(f"turn CPU at {name}", "ms", cpu, max(c for c, _ in samples) * 1000, first_cpu,
                              first_cpu, len(samples), goal="ratio ≤ 1.2" if name != "answer 1" else "",
                              extra={"journal_bytes": written, "journal_bytes_ratio": round(written / first_bytes, 3)},
                              note=f"{written:.0f} bytes written per turn ({written / first_bytes:.2f} × answer 1)"))
    return figures


def run(quick: bool = False) -> list[Figure]:
    return measure(quick)

"""Documents: the time to build one PDF (application form, approval notice) and its size.

    python -m bench.bench_documents

Prints the first build in a fresh process (font loading included) and the median / p99 of the
builds after it, with the file size of each document: the typical application (with a new user
code) and a long one (400-character reason and remarks, which runs over one page).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date

from bench.common import percentile
from bot.config import BUNDLED_SCHEDULE
from bot.service import Person, Service
from handlers import documents
from handlers.bootstrap import load_schedule
from handlers.render import Renderer
from tests.conftest import WITH_USER_CODE, file_application
from tests.fakes import MemoryStore, PlainVault, clock_at

ROUNDS = 30
LONG = "WebNACCSを利用するため、本店業務部の端末を追加します。" * 15  # 30 chars × 15 = 450 → cut to 400


def applications(renderer: Renderer) -> dict[str, tuple[Callable[[], bytes], Callable[[], bytes]]]:
    made = {}
    for name, answers in (("typical", WITH_USER_CODE),
                          ("long", [*WITH_USER_CODE[:7], LONG[:400], *WITH_USER_CODE[8:-1], LONG[:400]])):
        service = Service(store=MemoryStore(), clock=clock_at("2026-11-26T10:00"),
                          schedule=load_schedule(BUNDLED_SCHEDULE), vault=PlainVault())
        person = Person(key=f"console:{name}", channel="console")
        app = file_application(service, person, answers)
        service.decide(app.acceptance_number or "", decision="approve", actor="cli:op", start_date="2027-01-18")
        approved = service.find(app.acceptance_number or "")
        assert approved is not None
        made[name] = (lambda a=approved: documents.application_form(a, renderer),
                      lambda a=approved: documents.approval_notice(a, renderer, date(2027, 1, 18)))
    return made


def measure(build: Callable[[], bytes]) -> tuple[float, float, float, int]:
    start = time.perf_counter()
    data = build()
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        build()
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times), percentile(times, 0.99), len(data)


def main() -> None:
    renderer = Renderer()
    print("| document | first build ms | median ms | p99 ms | size KB |")
    print("|---|---|---|---|---|")
    for name, (form, notice) in applications(renderer).items():
        for kind, build in (("form", form), ("notice", notice)):
            first, p50, p99, size = measure(build)
            print(f"| {name} {kind} | {first:.0f} | {p50:.1f} | {p99:.1f} | {size / 1024:.1f} |")


if __name__ == "__main__":
    main()

"""A refused desired start date: the open registration dates nearest to it are offered."""

from __future__ import annotations

from datetime import date


def test_a_refused_date_offers_the_open_dates_nearest_to_it(service):
    core = service.core
    today = date(2026, 11, 26)
    opened = [s.start for s in core.schedule.open_slots(today)]
    wanted = date(2027, 2, 10)
    near = core.nearest_dates(wanted, today)
    after = [d for d in near if d > wanted]
    assert after and near[:len(after)] == sorted(after) and all(d < wanted for d in near[len(after):])
    distance = sorted(abs((d - wanted).days) for d in opened)[:3]
    assert sorted(abs((d - wanted).days) for d in near) == distance
    assert core.nearest_dates(date(2026, 1, 1), today) == opened[:3]  # in the past: the next ones

from __future__ import annotations

from datetime import date

from bot.config import BUNDLED_SCHEDULE
from bot.schedule import Schedule
from handlers.bootstrap import load_schedule

TODAY = date(2026, 11, 26)
GOOD = """# comment
2026-12-01, 2026-11-16
2026-12-16, 2026-12-02   # trailing comment
2027-01-04\t2026-12-15
"""


def test_parse_good_file():
    s = Schedule.parse(GOOD)
    assert s.problems == []
    assert [x.start for x in s.slots] == [date(2026, 12, 1), date(2026, 12, 16), date(2027, 1, 4)]
    assert s.slots[2].deadline == date(2026, 12, 15)


def test_problems_name_the_line_at_fault():
    text = "2026-12-16, 2026-12-02\n2026-12-01, 2026-11-16\n2026-12-16, 2026-12-01\n" \
           "2027-01-04, 2027-01-04\n2027-02-01\n2027-13-01, 2027-01-01\n"
    problems = {(p.line, p.code) for p in Schedule.parse(text).problems}
    assert problems == {(2, "not_sorted"), (3, "duplicate"), (4, "deadline_not_before"),
                        (5, "bad_row"), (6, "bad_date")}


def test_refusal_reasons_and_alternatives():
    s = Schedule.parse(GOOD)
    assert s.refusal(date(2026, 12, 16), TODAY) is None
    passed = s.refusal(date(2026, 12, 1), TODAY)
    assert passed.code == "deadline_passed" and passed.deadline == date(2026, 11, 16)
    assert passed.alternatives == (date(2026, 12, 16), date(2027, 1, 4))
    assert s.refusal(date(2026, 12, 2), TODAY).code == "not_on_schedule"
    assert s.refusal(date(2026, 11, 1), TODAY).code == "in_the_past"


def test_deadline_day_itself_is_still_open():
    s = Schedule.parse(GOOD)
    assert s.refusal(date(2026, 12, 16), date(2026, 12, 2)) is None
    assert s.refusal(date(2026, 12, 16), date(2026, 12, 3)).code == "deadline_passed"


def test_bundled_sample_is_valid_and_covers_the_next_twelve_months():
    s = load_schedule(BUNDLED_SCHEDULE)
    assert s.problems == []
    assert (s.last_date() - TODAY).days >= 365
    assert s.next_dates(TODAY) == (date(2026, 12, 16), date(2027, 1, 4), date(2027, 1, 18))

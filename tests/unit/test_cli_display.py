"""How the operator's commands lay out text: display width, Japan time, the form's order."""

from __future__ import annotations

from bot.fields import FIELDS
from handlers.cli.display import Words, jst, ordered, pad, width
from handlers.render import Renderer


def test_full_width_characters_take_two_columns():
    assert width("内容確認中") == 10 and width("ABC") == 3 and width("ＡＢＣ") == 6
    assert pad("却下", 8) == "却下    " and width(pad("却下", 8)) == 8
    assert pad("内容確認中", 12) == "内容確認中  "
    assert pad(None, 3) == "-  " and pad("", 2) == "- "
    assert pad("長すぎる値です", 4) == "長すぎる値です"  # never cut


def test_timestamps_are_shown_in_japan_time():
    assert jst("2026-12-01T23:30:00+00:00") == "2026-12-02 08:30:00"
    assert jst("2026-12-02T08:30:00.123456+09:00", seconds=False) == "2026-12-02 08:30"
    assert jst("2026-12-02T08:30:00") == "2026-12-02 08:30:00"  # naive: already Japan time
    assert jst(None) == "-" and jst("not a time") == "not a time"


def test_answers_come_in_the_form_order_whatever_order_they_were_given():
    keys = [f.key for f in FIELDS if f.key != "confirm"]
    answers = {k: "x" for k in reversed(keys)} | {"fixed_settings": {}, "unknown_later": "y"}
    assert [k for k, _ in ordered(answers)] == [*keys, "unknown_later"]


def test_codes_become_the_operators_words_in_both_languages():
    ja, en = Words(Renderer(), "ja"), Words(Renderer(), "en")
    assert [ja("state", s) for s in ("draft", "under_review", "returned", "approved", "active", "rejected",
                                      "withdrawn", "closed")] == \
        ["下書き", "内容確認中", "差戻し", "審査終了", "利用開始", "却下", "取下げ", "終了"]
    assert en("state", "under_review") == "Under review" and en("state", "approved") == "Approved"
    assert ja("state", "something_new") == "something_new" and ja("state", None) == "-"

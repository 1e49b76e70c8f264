"""Every reply kind and reason code the core produces has a text in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import fields as F
from handlers.render import TEMPLATES, Renderer

CORE = Path(__file__).resolve().parents[2] / "bot"


def codes_in_core() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in CORE.glob("*.py"))
    return set(re.findall(r'Invalid\("([a-z_]+)"', text)) | {"confirm_expected", "unknown_field"}


def reply_kinds_in_core() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in CORE.glob("*.py"))
    return set(re.findall(r'Reply\("([a-z_]+)"', text))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_reply_kind_has_a_template(lang):
    present = {p.stem for p in (TEMPLATES / lang / "replies").glob("*.j2")}
    assert reply_kinds_in_core() - present == set()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_field_has_label_question_and_hint(lang):
    r = Renderer()
    for f in F.FIELDS:
        assert r.label(f.key, lang) != f.key
        assert r.block(f"fields/{f.key}.j2", "question", lang)
        assert r.block(f"fields/{f.key}.j2", "hint", lang)
        for c in f.choices:
            assert r.choice(f.key, c.value, lang) != c.value


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_reason_code_has_a_text(lang):
    r = Renderer()
    codes = codes_in_core() | {f"date_{c}" for c in ("empty", "month_without_day", "impossible_date",
                                                     "not_a_date", "not_on_schedule",
                                                     "deadline_passed", "in_the_past")}
    missing = [c for c in codes if r.reason({"code": c, "min": 1, "max": 2, "length": 3, "count": 2,
                                             "low": 0, "high": 9, "value": 10, "month": 2, "day": 30,
                                             "year": 2026, "date": "2026-12-01",
                                             "deadline": "2026-11-16"}, lang) == c]
    assert missing == []


def test_japanese_texts_are_polite():
    r = Renderer()
    for f in F.FIELDS:
        if f.key == "confirm":
            continue
        question = r.block(f"fields/{f.key}.j2", "question", "ja")
        assert question.endswith("。"), f.key  # complete sentences
        assert "ください" in question, f.key  # every question asks politely

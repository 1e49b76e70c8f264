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


SCRIPT = ["ヘルプ", "状況", "戻る", "銀行", "x", "y", "損保", "修正", "9", "戻る", "ABC損保", "取消", "いいえ",
          "本店", "AB", "abc12", "3", "3", "1", "12月1日", "2027年1月", "2月30日", "明日", "2", "例", "短い",
          "端末を追加するため", "山田", "業務部", "taro@", "taro@example.co.jp", "12", "03-1234-5678",
          "鈴木", "hanako@example.co.jp", "0", "2", "あ" * 401, "なし", "はい", "はい", "x", "修正",
          "電話", "そのまま", "修正 変更内容", "1,2", "漢字", "ABC", "カナ", "カナ", "カナ", "english",
          "ABC", "状況", "日本語", "登録", "状況"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_reply_of_a_long_session_renders(service, person, lang):
    """Walk a session full of commands and mistakes and render every reply in both languages."""
    r = Renderer()
    outcomes = [service.start(person)]
    outcomes += [service.handle(person, text) for text in SCRIPT]
    kinds = set()
    for outcome in outcomes:
        for reply in outcome.replies:
            kinds.add(reply.kind)
            text = r.reply(reply, lang)
            assert text.strip(), reply
            assert "{{" not in text and "{%" not in text
            assert all(label for label in r.choice_labels(reply, lang))
    assert outcomes[-2].filed and outcomes[-1].replies[0].params["acceptance_number"] == "260001A"
    assert {"guidance", "question", "help", "status", "no_previous", "help_offer", "pick_field",
            "cancel_confirm", "cancel_kept", "examples", "summary", "language_changed", "filed"} <= kinds


# Issue 14: one spelling per word, the words of the NACCS screens, no dates inside brackets
# (they carry （水） already) and no operator command lines in what applicants read.
BANNED = {
    r"お申込|申込み|(?<!お)申し込み(?!ま)|申込[さしす]": "お申し込み (verb) / 申込 (noun)",
    r"取り消し(?![てまた])|取消(?!し)": "取消し (noun) / 取り消す (verb)",
    r"取り下げ(?![てまたならるれ])": "取下げ (noun) / 取り下げる (verb)",
    r"差戻しし|差し戻し(?![てまたさ])": "差戻し (noun) / 差し戻す (verb)",
    r"ほかの方": "他の方",
    r"英数字\s*[0-9０-９]+桁": "英数字5文字 (letters are allowed)",
    r"選択してください|選んでください": "お選びください",
    r"WebNACCS端末": "webNACCS端末 (as on the screen)",
    r"(?<!責任)管理者": "システム担当者 (管理者 is confused with 管理責任者)",
    r"[（「][^（）「」\n]*\{\{\s*fmt_date\(": "a date inside brackets: 翌営業日の2026年12月3日（木）以降",
}
OPERATOR_ONLY = ("cli/",)  # texts for the operator's shell may name commands


def japanese_templates() -> list[Path]:
    return [p for p in sorted((TEMPLATES / "ja").rglob("*")) if p.suffix in (".j2", ".html")
            and p.name != "documents.j2"]  # (the PDFs' texts have their own owner)


def test_japanese_templates_use_one_spelling_per_word():
    found = []
    for path in japanese_templates():
        source = path.read_text(encoding="utf-8")
        for pattern, instead in BANNED.items():
            found += [f"{path.relative_to(TEMPLATES)}: {m.group(0)!r} → {instead}"
                      for m in re.finditer(pattern, source)]
        name = str(path.relative_to(TEMPLATES / "ja"))
        if "webnaccs-bot" in source and not name.startswith(OPERATOR_ONLY):
            found.append(f"{name}: an operator command in a text for applicants")
    assert found == []


def test_the_banned_spellings_are_found_where_they_occur():
    samples = ["お申込みください", "申込されていません", "取り消しは行いません", "「取消」と入力", "差戻ししました",
               "英数字5桁", "選択してください", "WebNACCS端末", "管理者にお問い合わせ", "（{{ fmt_date(d) }}）"]
    assert all(any(re.search(p, s) for p in BANNED) for s in samples)
    fine = ["お申し込みください", "申込受付番号", "申し込みます", "取り消します", "「取消し」", "取り下げられました",
            "差し戻しました", "英数字5文字", "お選びください", "webNACCS端末", "管理責任者",
            "日の{{ fmt_date(d) }}まで"]
    assert [s for s in fine if any(re.search(p, s) for p in BANNED)] == []


def test_english_templates_use_one_quote_style_and_name_the_nacc_center_properly():
    found = []
    for path in sorted((TEMPLATES / "en").rglob("*")):
        if path.suffix not in (".j2", ".html") or path.name == "documents.j2":
            continue
        prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>", "", path.read_text(encoding="utf-8"),
                       flags=re.DOTALL)
        if path.name != "bad_jsonl.j2":  # (a JSON example)
            found += [f"{path.name}: straight quotes" for _ in re.finditer(r'"', prose)]
        found += [f"{path.name}: {m.group(0)!r}" for m in re.finditer(r"(?<!the )(?<!The )NACCS Center", prose)]
    assert found == []

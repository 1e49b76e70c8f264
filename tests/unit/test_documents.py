"""The PDFs, checked by extracting their text."""

from __future__ import annotations

import copy
import io
import unicodedata
from datetime import date

import pytest
from pypdf import PdfReader

from bot.service import Person
from handlers import documents
from tests import pdf_check
from tests.conftest import WITH_USER_CODE, file_application


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def filed(service, person):
    return file_application(service, person, WITH_USER_CODE)


def test_application_form_has_every_field_and_the_number(filed, renderer):
    text = text_of(documents.application_form(filed, renderer))
    for words in ("システムサービス利用契約変更申込書", "260001A", "申込受付年月日", "2026年11月26日",
                  "ABC損害保険株式会社", "利用者コード（現在）", "ABC12", "エービーシー", "03-1234-5678",
                  "デジタル証明書数", "システム区分：共用"):
        assert words in text, words


def test_approval_notice_only_from_the_start_date(service, filed, renderer):
    with pytest.raises(documents.NotYetAvailable):
        documents.approval_notice(filed, renderer, date(2027, 1, 18))  # not approved yet
    service.decide(filed.acceptance_number, decision="approve", actor="cli:op", start_date="2027-01-18")
    app = service.find(filed.acceptance_number)
    with pytest.raises(documents.NotYetAvailable) as early:
        documents.approval_notice(app, renderer, date(2027, 1, 17))
    assert early.value.start_date == "2027-01-18"
    text = text_of(documents.approval_notice(app, renderer, date(2027, 1, 18)))
    assert "システムサービス利用契約変更承認通知" in text and "260001A" in text
    assert "2027年1月18日" in text


def test_user_text_cannot_break_the_pdf_markup(service, person, renderer):
    answers = [*WITH_USER_CODE]
    answers[1] = "<b>ABC</b> & 損保 <font>"
    service.start(person)
    for text in [*answers, "登録"]:
        outcome = service.handle(person, text)
    assert "<b>ABC</b> & 損保 <font>" in text_of(documents.application_form(outcome.app, renderer))


# --- fonts, text, metadata, file names ---------------------------------------------------------

LONG_REASON = ("WebNACCSを利用するため、本店業務部に端末を追加します。" * 15)[:400]
LONG_REMARKS = ("連絡事項：利用開始日までにデジタル証明書を取得する予定です。taro@example.co.jp " * 10)[:400]


@pytest.fixture
def approved(service, filed):
    service.decide(filed.acceptance_number, decision="approve", actor="cli:op", start_date="2027-01-18")
    return service.find(filed.acceptance_number)


@pytest.fixture
def long_one(service, person):
    answers = [*WITH_USER_CODE]
    answers[7], answers[-1] = LONG_REASON, LONG_REMARKS
    return file_application(service, person, answers)


def both(app, renderer, lang="ja"):
    return {"form": documents.application_form(app, renderer, lang),
            "notice": documents.approval_notice(app, renderer, date(2027, 1, 18), lang)}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_font_is_embedded(approved, renderer, lang):
    for kind, pdf in both(approved, renderer, lang).items():
        names = [name for name, _ in pdf_check.fonts(pdf)]
        assert names, kind
        assert pdf_check.unembedded_fonts(pdf) == [], kind  # failed before: HeiseiKakuGo-W5, not embedded


def test_the_text_extracts_back_unbroken(long_one, renderer):
    text = text_of(documents.application_form(long_one, renderer))
    for words in ("260001A", "ABC損害保険株式会社", "taro@example.co.jp", "hanako@example.co.jp", "03-1234-5678",
                  "山田 太郎", "ABC Fire", "エービーシー", "webNACCS端末の登録情報（追加・削除）",
                  "利用者コード（追加・削除）"):
        assert words in text, words
    squashed = "".join(text.split())  # (the cells wrap the long lines)
    for long in (LONG_REASON, unicodedata.normalize("NFKC", LONG_REMARKS)):  # as stored: full-width ： → :
        assert "".join(long.split()) in squashed


def test_the_sections_of_the_form(filed, service, person, renderer):
    text = text_of(documents.application_form(filed, renderer))
    sections = ["契約内容", "変更内容", "申込担当者・管理責任者", "新規利用者コードの設定", "名称", "デジタル証明書"]
    where = [text.find(s) for s in sections]
    assert -1 not in where and where == sorted(where), where
    other = Person(key="console:other", channel="console")
    without = text_of(documents.application_form(file_application(service, other), renderer))
    assert "新規利用者コードの設定" not in without and "名称（漢字）" not in without
    assert "申込担当者・管理責任者" in without


def test_every_field_has_its_section():
    from bot import fields as F
    from handlers.documents import content

    placed = [key for _, keys in content.FORM_SECTIONS for key in keys]
    assert sorted(placed) == sorted(F.ORDER) and len(placed) == len(set(placed))


def test_the_approval_notice_is_addressed_and_complete(approved, renderer):
    text = text_of(documents.approval_notice(approved, renderer, date(2027, 1, 18)))
    for words in ("ABC損害保険株式会社", "山田 太郎 様", "鈴木 花子 様", "ABC12", "承認日", "2026年11月26日",
                  "変更内容", "webNACCS端末の登録情報（追加・削除）", "デジタル証明書数", "以上"):
        assert words in text, words


@pytest.mark.parametrize(("lang", "title"), [("ja", "システムサービス利用契約変更申込書"),
                                             ("en", "System service contract change application")])
def test_metadata_and_language(filed, renderer, lang, title):
    pdf = documents.application_form(filed, renderer, lang)
    meta = pdf_check.reader(pdf).metadata
    assert meta.title == f"{title} 260001A"
    assert meta.author and "260001A" in (meta.subject or "")
    assert pdf_check.reader(pdf).trailer["/Root"]["/Lang"] == lang  # failed before: no /Lang


def test_the_english_documents_are_in_english(approved, renderer):
    form, notice = both(approved, renderer, "en").values()
    form_text, notice_text = text_of(form), text_of(notice)
    for words in ("System service contract change application", "Acceptance number", "Contract",
                  "Applicant and administrator", "Settings of the new user code", "Digital certificates",
                  "ABC損害保険株式会社", "Thu 26 Nov 2026"):
        assert words in form_text, words
    assert "System service contract change approval notice" in notice_text and "Mon 18 Jan 2027" in notice_text
    for japanese in ("申込受付番号", "契約内容", "変更内容", "申込担当者", "様", "記", "以上", "システム区分"):
        assert japanese not in form_text and japanese not in notice_text, japanese


def test_one_file_name_for_each_document():
    assert documents.file_name("260001A", "form") == "260001A-application-form.pdf"
    assert documents.file_name("260001A", "notice") == "260001A-approval-notice.pdf"
    with pytest.raises(ValueError):
        documents.file_name("260001A", "other")


def test_a_long_application_runs_over_pages_with_their_numbers(long_one, renderer):
    app = copy.deepcopy(long_one)  # as stored: a form over several pages (values past the field limits)
    for key in ("company_name", "office_name", "applicant_department", "name_kanji"):
        app.answers[key] = "長い名称の例" * 60
    pages = pdf_check.page_texts(documents.application_form(app, renderer))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in text and "260001A" in text, number
    single = pdf_check.page_texts(documents.application_form(long_one, renderer, "en"))
    if len(single) == 1:
        assert "1 / 1" not in single[0]

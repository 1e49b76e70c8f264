"""The PDFs, checked by extracting their text."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from handlers import documents
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

"""The PDFs as a person sees them: each page rendered to pixels (pypdfium2, no system fonts
needed), with ink where the text is and none past the margins."""

from __future__ import annotations

import copy
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from handlers import documents
from tests import pdf_check
from tests.conftest import WITH_USER_CODE, file_application

MM = 72 / 25.4
A4_WIDTH = 210 * MM
MARGIN = 18 * MM  # the pages' left and right margins: no text beyond them
VALUE_COLUMN = MARGIN + 48 * MM  # where the values' cells begin
LONG_REASON = ("WebNACCSを利用するため本店業務部に端末を追加しますので、ご確認をお願いいたします。" * 10)[:400]
LONG_REMARKS = ("備考：証明書は利用開始日の前に取得します。Contact: taro@example.co.jp. " * 12)[:400]


@pytest.fixture
def approved(service, person):
    answers = [*WITH_USER_CODE]
    answers[7], answers[-1] = LONG_REASON, LONG_REMARKS
    app = file_application(service, person, answers)
    service.decide(app.acceptance_number, decision="approve", actor="cli:op", start_date="2027-01-18")
    return service.find(app.acceptance_number)


def documents_of(app, renderer):
    for lang in ("ja", "en"):
        yield f"form-{lang}", documents.application_form(app, renderer, lang)
        yield f"notice-{lang}", documents.approval_notice(app, renderer, date(2027, 1, 18), lang)


def test_every_page_has_ink_and_the_header_has_the_title(approved, renderer):
    for name, pdf in documents_of(approved, renderer):
        for number, (width, height, pixels) in enumerate(pdf_check.grey_pages(pdf), start=1):
            assert pdf_check.dark_share(width, pixels, 0, height) > 0.01, (name, number)
            if number == 1:  # title and header block: failed before (no glyphs without Japanese fonts)
                assert pdf_check.dark_share(width, pixels, 0, height // 5) > 0.01, name


def test_no_character_runs_past_the_margins(approved, renderer):
    for name, pdf in documents_of(approved, renderer):
        for number, boxes in enumerate(pdf_check.char_boxes(pdf), start=1):
            assert boxes, (name, number)
            outside = [c for c, left, _, right, _ in boxes if left < MARGIN - 1 or right > A4_WIDTH - MARGIN + 1]
            assert outside == [], (name, number, "".join(outside))


def test_long_values_wrap_inside_their_cells(approved, renderer):
    """The 400-character reason wraps onto many lines, every character of it inside the value
    column, and nothing is drawn right of the tables' border."""
    pdf = documents.application_form(approved, renderer)
    boxes = [b for b in pdf_check.char_boxes(pdf)[0] if b[0].strip()]
    drawn = "".join(b[0] for b in boxes)
    start = drawn.find(LONG_REASON[:20])
    assert start > 0
    reason = boxes[start:start + len(LONG_REASON)]
    assert "".join(b[0] for b in reason) == LONG_REASON
    assert all(left >= VALUE_COLUMN - 1 and right <= A4_WIDTH - MARGIN + 1 for _, left, _, right, _ in reason)
    assert len({round(bottom) for _, _, bottom, _, _ in reason}) >= 10  # lines
    width, height, pixels = pdf_check.grey_pages(pdf, scale=2)[0]
    assert pdf_check.dark_share(width, pixels, 0, height, int((A4_WIDTH - MARGIN + 1) * 2), width) == 0


def test_a_document_over_several_pages_has_ink_on_each(approved, renderer):
    app = copy.deepcopy(approved)
    for key in ("company_name", "office_name", "applicant_department", "name_kanji"):
        app.answers[key] = "長い名称の例" * 60
    pdf = documents.application_form(app, renderer)
    pages = pdf_check.grey_pages(pdf)
    assert len(pages) >= 3
    for width, height, pixels in pages:
        footer = pdf_check.dark_share(width, pixels, height - int(14 * MM), height)
        assert footer > 0, "the footer with the page number"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed here")
def test_poppler_renders_them_too(approved, renderer, tmp_path: Path):
    from PIL import Image

    for name, pdf in documents_of(approved, renderer):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-gray", "-r", "72", "-png", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True, timeout=60)
        for image in sorted(tmp_path.glob(f"{name}-*.png")):
            grey = Image.open(image).convert("L")
            assert pdf_check.dark_share(grey.width, grey.tobytes(), 0, grey.height // 5) > 0.01, image.name

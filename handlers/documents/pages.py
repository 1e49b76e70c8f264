"""Typesetting of the documents: a ``Sheet`` (title, header block, sections of label/value
cells) laid out on A4 pages with ReportLab's platypus, in an embedded font.

The font is IPAex Gothic (``fonts/ipaexg.ttf``, IPA Font License v1.0 beside it): TrueType
outlines, Japanese and proportional Latin glyphs in one face. ReportLab embeds a subset of it
(the glyphs a document uses) with a ToUnicode map, so every PDF viewer shows the same glyphs,
with or without Japanese fonts of its own, and the text copies and extracts back as typed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, KeepTogether, PageTemplate, Paragraph, Table, TableStyle

FONT = "IPAexGothic"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "ipaexg.ttf"
MARGIN = 18 * mm
TOP = 16 * mm
BOTTOM = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text area: nothing is drawn beyond it
LABEL_WIDTH = 48 * mm
ITEMS = 3  # items to a line
PAD = 6  # points left and right in a cell
CHUNK = 120  # points: a value taller than this is cut into rows (see _pieces)
HEADER_WIDTH = 88 * mm
HEADER_LABEL_WIDTH = 36 * mm
INK = colors.HexColor("#1F2933")
RULE = colors.HexColor("#5F6B7A")
HEADING = colors.HexColor("#D9E1EA")
LABEL = colors.HexColor("#F1F4F7")
QUIET = colors.HexColor("#52606D")

_registered = threading.Lock()
# a table draws its plain-string cells ("" fillers) in Helvetica unless told otherwise
FONT_OF_EMPTY_CELLS = ("FONTNAME", (0, 0), (-1, -1), FONT)


def font() -> str:
    """The document font, registered with ReportLab on first use (parsing the 6 MB file takes
    about 0.15 s, so importing this module stays cheap)."""
    with _registered:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


@dataclass(frozen=True)
class Section:
    """A titled block of the form: label/value rows, or short ``items`` three to a line (fixed
    settings), with an optional note on the title's line."""

    title: str
    rows: Sequence[tuple[str, str]] = ()
    items: Sequence[str] = ()
    note: str = ""


@dataclass(frozen=True)
class Sheet:
    heading: str  # the title printed at the top
    title: str  # the PDF's metadata title (with the acceptance number)
    lang: str
    author: str
    subject: str
    footer: str  # left in every page's footer (the title and the acceptance number)
    page_number: Callable[[int, int], str]  # (page, pages) → "1 / 2"
    header: Sequence[tuple[str, str]] = ()  # the header block, right: number and dates
    addressee: Sequence[tuple[str, str]] = ()  # (style, text) left of the header block
    opening: Sequence[tuple[str, str]] = ()  # (style, text) before the sections
    sections: Sequence[Section] = ()
    closing: Sequence[tuple[str, str]] = ()  # (style, text) after them


def _styles(lang: str) -> dict[str, ParagraphStyle]:
    name = font()
    # CJK wrapping breaks Japanese between any two characters (keeping the line-start rules)
    # and Latin text between words, so mixed values wrap inside their cells in both languages.
    text = ParagraphStyle("text", fontName=name, fontSize=10, leading=14, wordWrap="CJK", textColor=INK)
    return {
        "text": text,
        "label": ParagraphStyle("label", parent=text, fontSize=9, leading=13),
        "heading": ParagraphStyle("heading", parent=text, fontSize=10.5, leading=14),
        "note": ParagraphStyle("note", parent=text, fontSize=8.5, leading=12, textColor=QUIET),
        "title": ParagraphStyle("title", parent=text, fontSize=17 if lang == "ja" else 15, leading=24,
                                alignment=TA_CENTER),
        "number": ParagraphStyle("number", parent=text, fontSize=12, leading=15),
        "body": ParagraphStyle("body", parent=text, leading=16),
        "center": ParagraphStyle("center", parent=text, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=text, alignment=TA_RIGHT),
        "footer": ParagraphStyle("footer", parent=text, fontSize=8, leading=10, textColor=QUIET),
    }


def paragraph(text: str, style: ParagraphStyle, space_before: float = 0) -> Paragraph:
    """User text as it is: markup characters escaped, line breaks kept."""
    if space_before:
        style = ParagraphStyle(f"{style.name}+", parent=style, spaceBefore=space_before)
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def render(sheet: Sheet) -> bytes:
    styles = _styles(sheet.lang)
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=A4, title=sheet.title, author=sheet.author, subject=sheet.subject,
                          creator=sheet.author, lang=sheet.lang,
                          initialFontName=font(), initialFontSize=10)  # no stray Helvetica

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, 12.5 * mm, A4[0] - MARGIN, 12.5 * mm)
        canvas.setFont(styles["footer"].fontName, styles["footer"].fontSize)
        canvas.setFillColor(QUIET)
        canvas.drawString(MARGIN, 9 * mm, sheet.footer)
        canvas.restoreState()

    # the frame without padding: the tables' borders sit on the margins
    body = Frame(MARGIN, BOTTOM, WIDTH, A4[1] - TOP - BOTTOM, leftPadding=0, rightPadding=0, topPadding=0,
                 bottomPadding=0)
    doc.addPageTemplates([PageTemplate(frames=[body], onPage=footer)])
    doc.build(_story(sheet, styles), canvasmaker=partial(_NumberedCanvas, numbering=sheet.page_number))
    return out.getvalue()


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # (ReportLab has no type hints)
    """ReportLab's usual way to print "page / pages": each page is held back until the last one
    is laid out, then written with its number (only when there is more than one page)."""

    def __init__(self, *args: Any, numbering: Callable[[int, int], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._numbering = numbering
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            if pages > 1:
                self.saveState()
                self.setFont(FONT, 8)
                self.setFillColor(QUIET)
                self.drawRightString(A4[0] - MARGIN, 9 * mm, self._numbering(number, pages))
                self.restoreState()
            super().showPage()
        super().save()


def _story(sheet: Sheet, styles: dict[str, ParagraphStyle]) -> list[Any]:
    """The flowables, spaced by ``spaceBefore`` (dropped at the top of a page), never by a
    trailing spacer that could start a page of its own."""
    story: list[Any] = [paragraph(sheet.heading, styles["title"]), _header(sheet, styles, 4 * mm)]
    story += [paragraph(text, styles[style], 4 * mm) for style, text in sheet.opening]
    story += [KeepTogether(_section(section, styles, 3 * mm)) for section in sheet.sections]
    story += [paragraph(text, styles[style], 3 * mm) for style, text in sheet.closing]
    return story


def _header(sheet: Sheet, styles: dict[str, ParagraphStyle], space_before: float) -> Table:
    """The addressee on the left, the acceptance number and the dates boxed on the right."""
    rows = [[paragraph(label, styles["label"]), paragraph(value, styles["number" if i == 0 else "text"])]
            for i, (label, value) in enumerate(sheet.header)]
    box = Table(rows, colWidths=[HEADER_LABEL_WIDTH, HEADER_WIDTH - HEADER_LABEL_WIDTH], hAlign="RIGHT")
    box.setStyle(TableStyle([FONT_OF_EMPTY_CELLS, ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                             ("BOX", (0, 0), (-1, -1), 0.9, INK), ("BACKGROUND", (0, 0), (0, -1), LABEL),
                             ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    left = [paragraph(text, styles[style]) for style, text in sheet.addressee] or ""
    outer = Table([[left, box]], colWidths=[WIDTH - HEADER_WIDTH, HEADER_WIDTH], spaceBefore=space_before)
    outer.setStyle(TableStyle([FONT_OF_EMPTY_CELLS, ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (0, 0), 4 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def _section(section: Section, styles: dict[str, ParagraphStyle], space_before: float) -> Table:
    """A bordered table: the title across the top (repeated when the section runs onto the next
    page), then label/value rows or the items three to a line."""
    columns = 2 if section.rows else ITEMS
    data: list[list[Any]] = [[_title(section, styles)] + [""] * (columns - 1)]
    style: list[tuple[Any, ...]] = [
        FONT_OF_EMPTY_CELLS, ("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), HEADING),
        ("BOX", (0, 0), (-1, -1), 0.9, INK), ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5), ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD)]
    if section.rows:
        for label, value in section.rows:
            pieces = _pieces(value, styles["text"], WIDTH - LABEL_WIDTH - 2 * PAD)
            first = len(data)
            data.append([paragraph(label, styles["label"]), pieces[0]])
            data += [["", piece] for piece in pieces[1:]]
            style.append(("LINEABOVE", (0, first), (-1, first), 0.5, RULE))
            if len(pieces) > 1:  # one cell to the eye: no padding between its pieces
                style += [("BOTTOMPADDING", (0, first), (-1, len(data) - 2), 0),
                          ("TOPPADDING", (0, first + 1), (-1, len(data) - 1), 0)]
        style += [("LINEAFTER", (0, 1), (0, -1), 0.5, RULE), ("BACKGROUND", (0, 1), (0, -1), LABEL)]
        widths = [LABEL_WIDTH, WIDTH - LABEL_WIDTH]
    else:
        items = [paragraph(item, styles["text"]) for item in section.items]
        data += [items[i:i + ITEMS] + [""] * (ITEMS - len(items[i:i + ITEMS])) for i in range(0, len(items), ITEMS)]
        style.append(("INNERGRID", (0, 1), (-1, -1), 0.5, RULE))
        widths = [WIDTH / ITEMS] * ITEMS
    table = Table(data, colWidths=widths, repeatRows=1, spaceBefore=space_before)
    table.setStyle(TableStyle(style))
    return table


def _title(section: Section, styles: dict[str, ParagraphStyle]) -> Paragraph:
    head = escape(section.title)
    if section.note:  # on the title's line, smaller
        note = styles["note"]
        colour = "#" + note.textColor.hexval()[2:]
        head += f'　<font size="{note.fontSize}" color="{colour}">{escape(section.note)}</font>'
    return Paragraph(head, styles["heading"])


def _pieces(text: str, style: ParagraphStyle, width: float) -> list[Paragraph]:
    """A value taller than ``CHUNK`` cut into pieces of at most that height, one table row each,
    so that the table breaks between rows. (ReportLab's own in-row split, ``splitInRow``, prints
    the repeated section title twice on a page.)"""
    value = paragraph(text, style)
    # at most one em a character, twice over for Latin words moved whole to the next line
    lines = 2 * len(text) * style.fontSize / width + text.count("\n") + 1
    if lines * style.leading <= CHUNK:  # surely short: no trial layout
        return [value]
    pieces = []
    while value.wrap(width, CHUNK)[1] > CHUNK:
        parts = value.split(width, CHUNK)
        if len(parts) < 2:
            break
        pieces.append(parts[0])
        value = parts[1]
    return [*pieces, value]

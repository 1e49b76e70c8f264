"""Reading the generated PDFs back: their text, their fonts, their metadata and their pages as
pictures (pypdfium2 renders them with no system font and no poppler, as on a bare machine)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

EMBEDDED = ("/FontFile", "/FontFile2", "/FontFile3")


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def fonts(pdf: bytes) -> Iterator[tuple[str, DictionaryObject]]:
    """(name, font dictionary) of every font the pages use: the fonts of each page's resources
    and of the forms they draw, with a Type0 font's descendant fonts in its place."""
    seen: set[int] = set()

    def walk(resources: Any) -> Iterator[tuple[str, DictionaryObject]]:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            if font.get("/Subtype") == "/Type0":
                for descendant in font["/DescendantFonts"]:
                    yield str(descendant.get_object().get("/BaseFont")), descendant.get_object()
            else:
                yield str(font.get("/BaseFont")), font
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                yield from walk(xobject.get("/Resources"))

    for page in reader(pdf).pages:
        yield from walk(page.get("/Resources"))


def unembedded_fonts(pdf: bytes) -> list[str]:
    """Names of the fonts whose descriptor carries no font program (a viewer must substitute)."""
    missing = []
    for name, font in fonts(pdf):
        if font.get("/Subtype") == "/Type3":  # glyphs drawn by the PDF itself
            continue
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        if not any(key in descriptor for key in EMBEDDED):
            missing.append(name)
    return missing


def grey_pages(pdf: bytes, scale: float = 1.0) -> list[tuple[int, int, bytes]]:
    """Each page rendered in 8-bit grey: (width, height, one byte per pixel, rows top first)."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            pages.append((image.width, image.height, image.tobytes()))
    finally:
        document.close()
    return pages


def dark_share(width: int, pixels: bytes, top: int, bottom: int, left: int = 0, right: int | None = None,
               threshold: int = 128) -> float:
    """Share of the pixels darker than ``threshold`` in the box (rows top..bottom, columns left..right)."""
    right = width if right is None else right
    dark = total = 0
    for row in range(top, bottom):
        line = pixels[row * width + left:row * width + right]
        dark += sum(1 for value in line if value < threshold)
        total += len(line)
    return dark / total if total else 0.0


def char_boxes(pdf: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page, each character pdfium lays out: (char, left, bottom, right, top) in points."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            text = page.get_textpage()
            boxes = []
            for index in range(text.count_chars()):
                char = text.get_text_range(index, 1)
                if char.strip():
                    boxes.append((char, *text.get_charbox(index)))
            pages.append(boxes)
    finally:
        document.close()
    return pages

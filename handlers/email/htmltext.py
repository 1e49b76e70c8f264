"""An HTML mail body as plain text: block elements become line breaks, blockquotes become
``>`` lines (so the quote is cut like a plain-text one), scripts and styles vanish.

lxml (libxml2) parses in linear time whatever it is given; the stdlib's ``html.parser`` does not
(``"</" * 300_000`` held it for minutes). The tree is walked without recursion, each line built
from a list of pieces, so the walk is linear too.
"""

from __future__ import annotations

import re

from lxml import etree

_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
                     "table", "ul", "ol", "pre", "blockquote", "section", "article", "header",
                     "footer"})
_VOID = frozenset({"br", "hr"})  # one break, not one at the start and one at the end
_HIDDEN = frozenset({"script", "style", "head", "title"})
_SPACE = re.compile(r"[ \t\r\n\f\xa0]+")
_PARSER = etree.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True,
                           remove_pis=True)


class _Lines:
    def __init__(self) -> None:
        self.lines: list[list[str]] = [[]]
        self.filled = False  # the last line has more than white space
        self.depth = 0  # blockquote nesting
        self.hidden = 0

    def _break(self) -> None:
        self.lines.append([])
        self.filled = False

    def data(self, text: str | None) -> None:
        if not text or self.hidden:
            return
        text = _SPACE.sub(" ", text)
        blank = not text.strip()
        if blank and not self.filled:
            return
        line = self.lines[-1]
        if not line and self.depth:
            line.append("> " * self.depth)
        line.append(text)
        self.filled = self.filled or not blank

    def start(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        if tag in _BLOCKS:
            self._break()
        if tag == "blockquote":
            self.depth += 1
            self._break()

    def end(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden:
            self.hidden -= 1
        if tag == "blockquote" and self.depth:
            self.depth -= 1
        if tag in _BLOCKS and tag not in _VOID:
            self._break()

    def text(self) -> str:
        lines = ["".join(line).strip() for line in self.lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    if not html.strip():
        return ""
    try:
        root = etree.fromstring(html.encode("utf-8", errors="replace"), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return ""
    if root is None:
        return ""
    out = _Lines()
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            out.start(tag)
            out.data(element.text)
        else:
            out.end(tag)
            out.data(element.tail)
    return out.text()

"""Line breaking for plain-text mail at a Japanese business width, never inside a word.

A line wider than the width is broken where a phrase ends (BudouX, for Japanese), at a space
next to Latin text (so any space in English), preferably after 。 or 、 — never inside a word, a
URL, an email address, a number such as an acceptance number, a date like 2026年12月16日（水）,
a 「」 quote of up to 22 characters, nor before a closing mark or after an opening one (禁則). Continuation lines
of a ``・`` / ``※`` / ``1.`` item are indented under its text. Width is display width
(wcwidth): a full-width character takes two columns.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate

import budoux
from wcwidth import wcwidth

MAIL_WIDTH = 74  # columns: 37 full-width characters, the line of a Japanese business mail
CACHED = 512  # characters: a longer line (someone's long answer) is broken each time, not kept

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MON = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_WEEKDAY = "[（(][月火水木金土日][）)]"
_ATOM = re.compile(
    "|".join((
        rf"(?:(?:令和|平成)[0-9]{{1,2}}年|[0-9]{{4}}年)(?:[0-9]{{1,2}}月(?:[0-9]{{1,2}}日)?)?(?:{_WEEKDAY})?",
        rf"[0-9]{{1,2}}月[0-9]{{1,2}}日(?:{_WEEKDAY})?",
        r"[0-9]+(?:[〜～][0-9]+)?(?:文字|桁|台|件|項目|日間|か月|枚|行目|営業日)",
        rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{{1,2}} (?:{_MON}) [0-9]{{4}}",
        rf"(?:{_MONTHS}) [0-9]{{1,2}}(?:, [0-9]{{4}})?",
        r"「[^「」\n]{1,22}」",
        r"“[^“”\n]{1,40}”",
        r"\([!-~][ -~]{0,22}\)",  # a short aside in parentheses: (U transactions)
        r"[!-~]+",  # a run of Latin letters, digits and signs: words, URLs, addresses, numbers
    )))
_NO_START = set("、。，．,.・：:；;？?！!ー）)］]｝}〕〉》」』】〙〟’”"  # no line starts with these ...
                "ゝゞ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ〜～…‥")
_NO_END = set("（(［[｛{〔〈《「『【〘〝‘“")  # ... and none ends with these (禁則)
_SENTENCE_END = set("。！？")  # a line ends after them rather than mid-sentence ...
_COMMA = set("、，")  # ... or after a comma, when that does not leave the line short
_ITEM = re.compile(r"^(\s*)(・|※|[-*•] |[0-9]{1,2}\. |[①-⑳])?")


def display_width(text: str) -> int:
    return sum(max(wcwidth(ch), 0) for ch in text)


def wrap(text: str, lang: str = "ja", width: int | None = MAIL_WIDTH) -> str:
    """Every line of ``text`` no wider than ``width`` where it can be broken (None: as it is)."""
    if width is None:
        return text
    return "\n".join(piece for line in text.split("\n") for piece in _pieces(line, lang, width))


def _pieces(line: str, lang: str, width: int) -> tuple[str, ...] | list[str]:
    return _wrapped(line, lang, width) if len(line) <= CACHED else wrap_line(line, lang, width)


@lru_cache(maxsize=4096)
def _wrapped(line: str, lang: str, width: int) -> tuple[str, ...]:
    """A mail's lines are mostly the templates' own, the same in every mail: broken once."""
    return tuple(wrap_line(line, lang, width))


# Hand-written fill: textwrap breaks only at spaces and knows no 禁則 nor display width, and
# BudouX only says where a phrase ends, not where a line of a given width should.
def wrap_line(line: str, lang: str, width: int) -> list[str]:
    widths = [0, *accumulate(max(wcwidth(ch), 0) for ch in line)]
    if widths[-1] <= width:
        return [line]
    indent = _indent(line, lang)
    breaks = _breaks(line)
    pieces: list[str] = []
    start, room = 0, width
    # One pass over the candidate breaks (linear in the line's length).
    i = 0
    while widths[-1] - widths[start] > room:
        best = after_sentence = after_comma = None
        while i < len(breaks) and breaks[i] <= start:
            i += 1
        j = i
        while j < len(breaks) and (span := _span(widths, line, start, breaks[j])) <= room:
            best = breaks[j]
            if line[best - 1] in _SENTENCE_END and span * 3 >= room:
                after_sentence = best
            elif line[best - 1] in _COMMA and span * 3 >= room:
                after_comma = best
            j += 1
        if after_comma is not None and _span(widths, line, start, after_comma) * 3 < room * 2 \
                and best is not None and (widths[-1] - widths[best]) * 4 > room:
            after_comma = None  # an early comma only to keep a few characters off a line of their own
        end = after_sentence or after_comma or best or (breaks[i] if i < len(breaks) else len(line))
        pieces.append(line[start:end].rstrip())
        start = end
        while start < len(line) and line[start] == " ":
            start += 1
        room = width - display_width(indent)
        if start >= len(line):
            break
    if start < len(line):
        pieces.append(line[start:])
    return [pieces[0], *(indent + piece for piece in pieces[1:])]


def _span(widths: list[int], line: str, start: int, end: int) -> int:
    """Width of line[start:end] without the spaces it ends with."""
    while end > start and line[end - 1] == " ":
        end -= 1
    return widths[end] - widths[start]


def _indent(line: str, lang: str) -> str:
    m = _ITEM.match(line)
    columns = display_width(m.group(0)) if m and m.group(2) else 0
    if lang == "ja":
        return "　" * (columns // 2) + " " * (columns % 2)
    return " " * columns


def _breaks(line: str) -> list[int]:
    """Where the line may be broken: positions between characters, in order."""
    spots: set[int] = set()
    if not line.isascii():  # Japanese (also a name or a reason in an English mail)
        spots.update(accumulate(len(phrase) for phrase in _parser().parse(line)))
    for k, ch in enumerate(line):  # not between two Japanese words: 山田 太郎, 「修正 項目名」
        if ch == " " and (_latin(line, k - 1) or _latin(line, k + 1)):
            spots.add(k + 1)
    inside = [(m.start(), m.end()) for m in _ATOM.finditer(line)]
    out, a = [], 0
    for b in sorted(spots):
        if not 0 < b < len(line) or line[b] == " ":
            continue
        while a < len(inside) and inside[a][1] <= b:
            a += 1
        if a < len(inside) and inside[a][0] < b < inside[a][1]:
            continue
        if line[b] in _NO_START or line[b - 1] in _NO_END:
            continue
        if line[b - 1] == " " and not (_latin(line, b - 2) or _latin(line, b)):
            continue
        out.append(b)
    return out


def _latin(line: str, k: int) -> bool:
    return 0 <= k < len(line) and "!" <= line[k] <= "~"


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()

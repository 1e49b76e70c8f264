"""Small text helpers shared by the core: how typed input is normalised before it is read."""

from __future__ import annotations

import re
import unicodedata

_POLITE_TAIL = re.compile(
    r"(です|でございます|になります|をお願いします|でお願いします|を選択します|にします|を選びます)?[。.!！]*$"
)
_SPACES = re.compile(r"\s+")
# Unicode's Bidi_Control characters (U+061C ALM, U+200E/F LRM/RLM, the embeddings and overrides
# U+202A–U+202E, the isolates U+2066–U+2069): they reorder what is shown around them, so a
# typed value could make text after it read backwards (a file name, an amount). Never kept.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def without_bidi(text: str) -> str:
    """``text`` with every bidirectional control character removed."""
    return _BIDI.sub("", text)


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation to their plain forms, bidi controls removed,
    then trimmed."""
    return without_bidi(unicodedata.normalize("NFKC", text or "")).strip()


def squash(text: str) -> str:
    """A comparison key: NFKC, case-folded, polite tails and all spaces removed."""
    s = nfkc(text).casefold()
    s = _POLITE_TAIL.sub("", s).strip()
    return _SPACES.sub("", s)


def one_line(text: str) -> str:
    """Collapse runs of whitespace (line breaks included) into single spaces."""
    return _SPACES.sub(" ", text).strip()

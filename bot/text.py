"""Small text helpers shared by the core: how typed input is normalised before it is read."""

from __future__ import annotations

import re
import unicodedata

_POLITE_TAIL = re.compile(
    r"(です|でございます|になります|をお願いします|でお願いします|を選択します|にします|を選びます)?[。.!！]*$"
)
_SPACES = re.compile(r"\s+")


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation to their plain forms, then trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def squash(text: str) -> str:
    """A comparison key: NFKC, case-folded, polite tails and all spaces removed."""
    s = nfkc(text).casefold()
    s = _POLITE_TAIL.sub("", s).strip()
    return _SPACES.sub("", s)


def one_line(text: str) -> str:
    """Collapse runs of whitespace (line breaks included) into single spaces."""
    return _SPACES.sub(" ", text).strip()

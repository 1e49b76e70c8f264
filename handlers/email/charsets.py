"""Bytes of a mail part to text, with the fallbacks Japanese mail needs.

Japanese mail comes as UTF-8, ISO-2022-JP (often with Windows extensions such as ① or ㈱, which
Python's codec refuses) or Shift_JIS (really CP932), in quoted-printable or base64.
"""

from __future__ import annotations

import re
from email.message import Message


def decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


_SJIS = {"shift_jis", "shift-jis", "sjis", "x-sjis", "s-jis", "ms_kanji", "csshiftjis",
         "windows-31j", "cp932", "ms932", "x-ms-cp932"}
_JIS = {"iso-2022-jp", "iso2022-jp", "iso2022_jp", "csiso2022jp", "iso-2022-jp-ms",
        "cp50220", "cp50221", "cp50222"}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text under the declared charset, with the fallbacks Japanese mail needs."""
    name = (charset or "").strip().lower()
    if name in _SJIS:
        return _first_decoding(data, "cp932", "shift_jis")
    if name in _JIS or (b"\x1b$" in data and name in ("", "us-ascii", "ascii")):
        return decode_iso2022jp(data)
    if name in ("", "us-ascii", "ascii"):
        return _first_decoding(data, "utf-8", "cp932", "euc_jp")
    if name in ("euc-jp", "x-euc-jp", "eucjp"):
        return _first_decoding(data, "euc_jp", "euc_jis_2004")
    try:
        return data.decode(name)
    except LookupError:
        return _first_decoding(data, "utf-8", "cp932")
    except UnicodeDecodeError:
        return _first_decoding(data, "utf-8", "cp932") if name != "utf-8" else \
            data.decode("utf-8", errors="replace")


def _first_decoding(data: bytes, *codecs: str) -> str:
    for codec in codecs:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode(codecs[0], errors="replace")


_ESCAPE = re.compile(rb"\x1b(\$@|\$B|\$\(D|\(B|\(J|\(I)")


def decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP, falling back to reading its JIS X 0208 runs as CP932 (what Outlook's
    CP50220 writes for ①, ㈱ and the like)."""
    try:
        return data.decode("iso2022_jp")
    except UnicodeDecodeError:
        pass
    out = bytearray()
    mode = b"(B"
    pos = 0
    for m in [*_ESCAPE.finditer(data), None]:
        end = m.start() if m else len(data)
        chunk = data[pos:end]
        if mode in (b"$@", b"$B", b"$(D"):
            for i in range(0, len(chunk) - 1, 2):
                out += _jis_to_sjis(chunk[i], chunk[i + 1])
        elif mode == b"(I":  # half-width katakana
            out += bytes(b | 0x80 for b in chunk)
        else:
            out += chunk
        if m:
            mode = m.group(1)
            pos = m.end()
    return out.decode("cp932", errors="replace")


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        return b"?"
    s1 = ((j1 - 0x21) >> 1) + 0x81
    if s1 > 0x9F:
        s1 += 0x40
    s2 = (j2 + 0x1F + (j2 >= 0x60)) if j1 & 1 else j2 + 0x7E
    return bytes((s1, s2))

"""The bot's own mails as bytes on the wire: headers, a text part, an HTML part, PDFs.

Written here on the standard library's encoders (``base64``, RFC 2047 words from
``email.header``, RFC 2231 parameters from ``email.utils``) rather than by ``EmailMessage`` and
its generator, which parsed again and folded again every header the bot had just set and
spent 2 to 3 ms of CPU per mail, the largest part of an email turn's cost (issue 10); the bot
sends one shape of mail, written here in a tenth of that. Every shape is read back with the
standard library's parser in the tests.

Only values the bot controls or has checked reach a header; a control character in one is a
bug of ours and raises ``ValueError`` rather than start a header of its own.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import encode_rfc2231

LINE = 78  # RFC 5322's line length a header is folded to, and a 7bit body's longest line
MAX_WORD = 900  # an ASCII word longer than this is encoded (RFC 5322: no line over 998)
CRLF = "\r\n"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # anything but tab and line feed
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")  # a display name that needs no quotes
_FILE_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


@dataclass(frozen=True)
class Outgoing:
    """A mail the bot wrote: its headers as set (unfolded) and its bytes on the wire (CRLF)."""

    headers: tuple[tuple[str, str], ...]
    raw: bytes

    def get(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), default)

    def __getitem__(self, name: str) -> str | None:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def as_bytes(self) -> bytes:
        return self.raw


Value = str | tuple[str, str]  # a header's value, or (display name, address) for From


def write(headers: Iterable[tuple[str, Value]], text: str, page: str | None = None,
          files: Sequence[tuple[str, bytes]] = (), *, lang: str | None = None) -> Outgoing:
    """``text`` (and ``page``, its HTML alternative) in UTF-8, ``files`` attached as PDFs,
    under ``headers`` in their order; MIME-Version, Content-Type and Content-Language last."""
    part = _text_part("plain", text)
    if page is not None:
        part = _multipart("alternative", [part, _text_part("html", page)])
    if files:
        part = _multipart("mixed", [part, *(_pdf(name, data) for name, data in files)])
    head, _, body = part.partition(CRLF + CRLF)
    given: list[tuple[str, str]] = []
    lines: list[str] = []
    for name, value in headers:
        if isinstance(value, tuple):
            lines.append(address(name, *value))
            given.append((name, f"{value[0]} <{value[1]}>"))
        else:
            lines.append(header(name, value))
            given.append((name, value))
    lines += ["MIME-Version: 1.0", head]
    if lang:
        lines.append(header("Content-Language", lang))
    raw = (CRLF.join(lines) + CRLF + CRLF + body).encode("ascii")
    return Outgoing(tuple(given), raw)


def address(name: str, display: str, addr: str) -> str:
    """``name: display <addr>`` as one folded header line (the display name encoded when it
    is not plain ASCII, quoted when it has specials)."""
    if _CONTROL.search(display) or _CONTROL.search(addr):
        raise ValueError(f"a control character in {name}")
    if display.isascii():
        shown = display if _ATOM.fullmatch(display) else '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return _folded_ascii(name, f"{shown} <{addr}>")
    words = _encoded(name, display)
    last = words.rsplit(CRLF, 1)[-1]
    gap = CRLF + " " if len(last) + 2 + len(addr) + 1 > LINE else " "
    return f"{words}{gap}<{addr}>"


def header(name: str, value: str) -> str:
    """``name: value`` folded at ``LINE``: ASCII at its spaces, anything else as UTF-8
    encoded words."""
    if _CONTROL.search(value) or _CONTROL.search(name):
        raise ValueError(f"a control character in {name}")
    if value.isascii() and max(map(len, value.split(" "))) <= MAX_WORD:
        return _folded_ascii(name, value)
    return _encoded(name, value)  # UTF-8 words, split where a line must end


@functools.lru_cache(maxsize=256)  # subjects and names repeat; each is encoded once
def _encoded(name: str, value: str) -> str:
    words = Header(value, "utf-8", header_name=name).encode(splitchars=" ", maxlinelen=LINE, linesep=CRLF)
    return f"{name}: {words}"


def _folded_ascii(name: str, value: str) -> str:
    line = f"{name}: {value}"
    if len(line) <= LINE:
        return line
    out: list[str] = []
    current = f"{name}:"
    for word in value.split():
        if len(current) + 1 + len(word) > LINE and current != f"{name}:":
            out.append(current)
            current = ""
        current += " " + word
    out.append(current)
    return CRLF.join(out)  # a word longer than a line (an address) stays whole, up to MAX_WORD


def _text_part(subtype: str, content: str) -> str:
    lines = content.split("\n")
    canonical = CRLF.join(lines)  # a text's line breaks are CRLF (RFC 2046)
    if content.isascii() and not _BODY_CONTROL.search(content) and max(map(len, lines)) <= LINE:
        encoding, body = "7bit", canonical
    else:
        encoding, body = "base64", _base64(canonical.encode("utf-8"))
    return (f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}{body}")


def _pdf(name: str, data: bytes) -> str:
    filename = f'filename="{name}"' if _FILE_NAME.fullmatch(name) else f"filename*={encode_rfc2231(name, 'utf-8')}"
    return (f"Content-Type: application/pdf{CRLF}Content-Transfer-Encoding: base64{CRLF}"
            f"Content-Disposition: attachment;{CRLF} {filename}{CRLF}{CRLF}{_base64(data)}")


def _base64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def _multipart(subtype: str, parts: list[str]) -> str:
    """A multipart of ``parts`` (each its headers and body); the boundary is checked against
    every part (a 7bit part holds what a person typed)."""
    boundary = "=_wn_" + secrets.token_hex(12)
    while any(boundary in part for part in parts):
        boundary = "=_wn_" + secrets.token_hex(12)
    marker = f"--{boundary}"
    body = "".join(f"{marker}{CRLF}{part}{CRLF}" for part in parts) + f"{marker}--{CRLF}"
    return f'Content-Type: multipart/{subtype};{CRLF} boundary="{boundary}"{CRLF}{CRLF}{body}'

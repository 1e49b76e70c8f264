"""The new part of a reply: what the person typed, without the quoted mail, courtesy or signature.

In order: cut at our own "reply above this line" marker; cut at the quote headers mail clients
write (Outlook's ``差出人:``/``From:`` block, Gmail's ``2026年11月26日(木) 10:00 名前 <addr>:``,
``On … wrote:``, iPhone's ``…のメール:``, ``-----Original Message-----`` / ``-----元のメッセージ-----``);
drop ``>`` lines; let mail-parser-reply catch the headers of other clients; then drop the opening
courtesy (お世話になっております, 株式会社○○の佐藤です, Dear …) and cut the signature (``--``, a rule,
a closing such as よろしくお願いいたします, iPhoneから送信, a block of TEL/FAX/〒 lines). When nothing but
courtesy is above the quote, the answer is what was written below or between the ``>`` lines.

Every step is one pass over the lines (at most ``MAX_LINES`` of them), with bounded look-ahead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailparser_reply.parser import EmailMessage as ReplyParser

from handlers.email import budget
from handlers.email import courtesy as C

MAX_LINES = 5_000  # lines of a mail's text that are read; reading.read cuts the text to them
LIBRARY_LINES = 40  # mail-parser-reply is super-linear: it sees only this many lines,
LIBRARY_CHARS = 160  # and only those of them this short that may be part of a quote header

_FROM = re.compile(r"^\s*[*＊]?\s*(差出人|送信者|From)\s*[*＊]?\s*[:：]", re.IGNORECASE)
_HEADER = re.compile(r"^\s*[*＊]?\s*(送信日時|送信日|日時|日付|宛先|件名|CC|Sent|Date|To|Subject)\s*[*＊]?\s*[:：]",
                     re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*[-_=]{2,}\s*(original message|元のメッセージ|forwarded message|転送されたメッセージ|転送メッセージ)"
    r"\s*[-_=]{2,}\s*$", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_GMAIL_JA = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[(（][^)）]{1,3}[)）]\s*"
                       r"(午前|午後)?\s*\d{1,2}[:：]\d{2}")
_DATED_AUTHOR = re.compile(r"^\s*\d{4}[/年.-]\d{1,2}[/月.-]\d{1,2}.{0,40}\d{1,2}[:：]\d{2}.*[<＜].*[>＞]?\s*[:：]?\s*$")
_ADDRESS_TAIL = re.compile(r"^\s*[<＜]?\S+@\S+[>＞]\s*[:：]\s*$")  # the wrapped end of an attribution
_WROTE = re.compile(r"(wrote|書きました|のメール|のメッセージ|さんは書きました)\s*[:：]\s*$", re.IGNORECASE)
_ON = re.compile(r"^\s*(On|Le|Am|El)\s", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*[>＞]")
# What a line of a quote header mail-parser-reply knows (Japanese, English) looks like.
_LIBRARY_HEADER = re.compile(r"wrote:$|^\d{4}年.*>:$|^[* ]*(from|sent|to|subject|date|cc|organization):|"
                             r"^-{5,} ?original message", re.IGNORECASE)
_LIBRARY_ON = re.compile(r"^On\s", re.IGNORECASE)  # the first line of a wrapped "On … wrote:"


def answer_text(text: str, markers: Iterable[str] = ()) -> str:
    """What the person wrote in this reply, without quotes, signature or courtesy.

    The text above the quote when there is any (top-posting, as Outlook and Gmail do); else the
    unquoted lines below and between ``>`` quotes (Thunderbird's default bottom-posting, or an
    answer written under the quoted question)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n", MAX_LINES)[:MAX_LINES]
    markers = [m for m in markers if m]
    top = _cut_at_quote_header(_cut_at_marker(lines, markers))
    budget.check()  # the steps of the reading stop when the mail's time budget is spent
    answer, only_intro = _tidy(_library_cut([x for x in top if not _QUOTED.match(x)]))
    budget.check()
    rest = lines[len(top):]
    if (answer and not only_intro) or not any(_QUOTED.match(x) for x in rest):
        return answer
    below = [x for i, x in enumerate(rest)
             if not _QUOTED.match(x) and not _is_attribution(x) and not any(m in x for m in markers)
             and not (_ON.match(x) and i + 1 < len(rest) and _WROTE.search(rest[i + 1]))]
    return _tidy(below)[0] or answer


def new_part(text: str, markers: Iterable[str] = (), *, stop: re.Pattern[str] | None = None
             ) -> tuple[list[str], bool]:
    """The lines written above the quote (``>`` lines left out, courtesy and signature kept), and
    whether the mail quotes anything. ``stop``: a line pattern that also starts the quote."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n", MAX_LINES)[:MAX_LINES]
    top = _cut_at_quote_header(_cut_at_marker(lines, [m for m in markers if m], stop))
    unquoted = [x for x in top if not _QUOTED.match(x)]
    new = _library_cut(unquoted)
    return new, len(top) < len(lines) or len(unquoted) < len(top) or len(new) < len(unquoted)


def _short(line: str) -> bool:
    return len(line) <= C.SHORT


def _is_attribution(line: str) -> bool:
    return _short(line) and bool(_GMAIL_JA.match(line) or _DATED_AUTHOR.match(line) or _WROTE.search(line)
                                 or _ORIGINAL.match(line) or _ADDRESS_TAIL.match(line))


def _cut_at_marker(lines: list[str], markers: list[str], stop: re.Pattern[str] | None = None) -> list[str]:
    for i, line in enumerate(lines):
        if any(marker in line for marker in markers) or (stop is not None and _short(line) and stop.match(line)):
            return lines[:i]
    return lines


def _cut_at_quote_header(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if not _short(line):
            continue
        if _ORIGINAL.match(line) or _DATED_AUTHOR.match(line):
            return lines[:i]
        if _GMAIL_JA.match(line) and any(c in x for x in lines[i:i + 2] for c in "<＜@"):
            return lines[:i]
        if _UNDERSCORES.match(line) and any(_FROM.match(x) for x in lines[i + 1:i + 4]):
            return lines[:i]
        if _FROM.match(line) and any(_HEADER.match(x) for x in lines[i + 1:i + 5]):
            return lines[:i]
        if _WROTE.search(line):
            start = i - 1 if i > 0 and _ON.match(lines[i - 1]) and not _ON.match(line) else i
            return lines[:start]
        if _ON.match(line) and i + 1 < len(lines) and _short(lines[i + 1]) and _WROTE.search(lines[i + 1]):
            return lines[:i]
    return lines


def _library_cut(lines: list[str]) -> list[str]:
    """The lines above the first quote header mail-parser-reply knows (it knows more clients).

    Its patterns take time growing faster than the text (20,000 blank lines held it for over a
    minute; 60 lines of 300 characters, most of a second), so it is shown only the first
    ``LIBRARY_LINES`` lines, runs of blank lines as one, and as ``…`` every line that cannot
    be part of a header of its (longer than ``LIBRARY_CHARS``, or neither ending like ``wrote:``
    nor starting like ``From:``, nor the ``On …`` above such a line)."""
    head: list[str] = []
    origin: list[int] = []
    for i, line in enumerate(lines):
        if len(head) >= LIBRARY_LINES:
            break
        stripped = line.strip()
        if not stripped and (not head or not head[-1]):
            continue
        head.append(stripped)
        origin.append(i)
    candidate = [_library_line(x) for x in head]
    shown = [x if not x or candidate[k] or (k + 1 < len(head) and candidate[k + 1] and _LIBRARY_ON.match(x)
                                            and len(x) <= LIBRARY_CHARS) else "…"
             for k, x in enumerate(head)]
    if not any(candidate):
        return lines
    parsed = ReplyParser(text="\n".join(shown), languages=["ja", "en"], keep_hyphen_lists=True)
    found = parsed.HEADER_REGEX.search(parsed.text)
    if found is None:
        return lines
    start = found.start() + len(found.group()) - len(found.group().lstrip("\n"))
    row = parsed.text.count("\n", 0, start)
    return lines[:origin[row]] if row < len(origin) else lines


def _library_line(line: str) -> bool:
    return len(line) <= LIBRARY_CHARS and bool(_LIBRARY_HEADER.search(line))


def _tidy(lines: list[str]) -> tuple[str, bool]:
    """The answer in these lines, and whether it is only a self-introduction (株式会社○○の佐藤です),
    which is kept when nothing else was written."""
    body = _cut_signature(_drop_opening(lines, intro=True))
    only_intro = False
    if not any(x.strip() for x in body):
        body = _cut_signature(_drop_opening(lines, intro=False))
        only_intro = any(x.strip() for x in body)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in body)).strip()
    return text, only_intro


def _drop_opening(lines: list[str], *, intro: bool) -> list[str]:
    """Without the leading addressee, greeting and (when ``intro``) self-introduction sentences;
    a line that goes on after them keeps the rest."""
    introduced = not intro
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        pieces = C.sentences(line)
        k = 0
        while k < len(pieces):
            if C.is_opening(pieces[k]):
                k += 1
            elif not introduced and C.is_intro(pieces[k]):
                introduced = True
                k += 1
            else:
                break
        if k < len(pieces):
            return ["".join(pieces[k:]).strip(), *lines[i + 1:]]
    return []


def _cut_signature(lines: list[str]) -> list[str]:
    """The lines above the signature: a separator, a phone's signature, a closing with no answer
    after it, or trailing blocks of contact (TEL/FAX/〒/E-mail) and name lines."""
    said_after = _said_after(lines)
    kept: list[str] = []
    has_content = False
    closed: int | None = None  # where in ``kept`` a closing (よろしくお願いいたします) was
    for i, line in enumerate(lines):
        has_content = has_content or any(x.strip() for x in kept[-1:])
        if not line.strip():
            kept.append(line)
            continue
        if C.is_separator(line) or C.is_phone_signature(line):
            break
        if has_content and C.is_rule(line):
            break
        pieces = C.sentences(line)
        answer = [p for p in pieces if not C.is_closing(p)]
        if len(answer) == len(pieces):
            kept.append(line)
            continue
        if answer:
            kept.append("".join(answer).strip())
        if has_content or answer:
            closed = len(kept)
            if not said_after[i + 1]:
                break
        elif i + 1 < len(lines) and C.is_name_like(lines[i + 1]) and not said_after[i + 1]:
            break  # nothing above, a name right under it: a reply of courtesy alone
    return _drop_signature_blocks(kept, closed=closed)


def _said_after(lines: list[str]) -> list[bool]:
    """For each index, whether a sentence of an answer comes at or after it, before anything
    that starts a signature (one pass from the end)."""
    out = [False] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if C.is_separator(line) or C.is_phone_signature(line) or C.is_rule(line) or C.is_contact(line):
            out[i] = False
        elif C.is_sentence(line) and not all(C.is_closing(p) for p in C.sentences(line)):
            out[i] = True
        else:
            out[i] = out[i + 1]
    return out


def _drop_signature_blocks(lines: list[str], *, closed: int | None) -> list[str]:
    """Without the last blocks (between blank lines) that are a signature with no separator: a
    block of contact lines (TEL, FAX, 〒, E-mail, URL, 携帯) and names, and the short blocks of
    names right above it or right after a closing. The first block is always kept."""
    blocks: list[tuple[int, list[str]]] = []  # (index of its first line, its lines)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if i == 0 or not lines[i - 1].strip():
            blocks.append((i, []))
        blocks[-1][1].append(line)
    dropped = signature = False
    while len(blocks) > 1:
        start, block = blocks[-1]
        if len(block) > 12 or not all(C.is_contact(x) or C.is_name_like(x) for x in block):
            break
        if any(C.is_contact(x) for x in block):
            signature = True
        elif not (signature or (closed is not None and start >= closed)) or len(block) > 4:
            break
        closed = None
        dropped = True
        blocks.pop()
    if not dropped:
        return lines
    out: list[str] = []
    for _, block in blocks:
        if out:
            out.append("")
        out.extend(block)
    return out

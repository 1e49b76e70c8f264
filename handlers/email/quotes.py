"""The new part of a reply: what the person typed above the quoted mail.

In order: cut at our own "reply above this line" marker; cut at the quote headers mail clients
write (Outlook's ``差出人:``/``From:`` block, Gmail's ``2026年11月26日(木) 10:00 名前 <addr>:``,
``On … wrote:``, ``-----Original Message-----`` / ``-----元のメッセージ-----``); drop ``>`` lines;
let mail-parser-reply catch the headers of other clients; then cut the signature (``--``, a
separator line, a closing such as よろしくお願いいたします) and leading greetings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailparser_reply.parser import EmailMessage as ReplyParser

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
_SIGNATURE = re.compile(r"^(--|-- |__)\s*$")
_SEPARATOR = re.compile(r"^\s*[-―ー━─=＝_＿*＊~〜・+#]{4,}\s*$")
_CLOSING = re.compile(
    r"^\s*((何卒|なにとぞ)?(よろしく|宜しく)お願い(いた|致)?(し|申し上げ)ます|以上(です|となります|、.*)?[。.]?\s*$|"
    r"(best|kind|warm)?\s*regards\b|thanks( again)?[,!.]?\s*$|thank you[,!.]?\s*$|sincerely\b|cheers\b|"
    r"sent from my |get outlook for |iPhoneから送信|Androidから送信)", re.IGNORECASE)
_GREETING = re.compile(
    r"^\s*((いつも|大変)?(お世話|御世話)にな(って(おり|い)|り)ます|(hi|hello|dear|good (morning|afternoon|evening))\b)",
    re.IGNORECASE)
_ADDRESSEE = re.compile(r"(様|さま|御中|殿|ご担当者様)\s*[,、]?\s*$")


def answer_text(text: str, markers: Iterable[str] = ()) -> str:
    """What the person wrote in this reply, without quotes, signature or greetings.

    The text above the quote when there is any (top-posting, as Outlook and Gmail do); else the
    unquoted lines below and between ``>`` quotes (Thunderbird's default bottom-posting)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    markers = [m for m in markers if m]
    top = _cut_at_quote_header(_cut_at_marker(lines, markers))
    answer = _tidy(_library_cut("\n".join(x for x in top if not _QUOTED.match(x))))
    if answer or not any(_QUOTED.match(x) for x in lines[len(top):]):
        return answer
    rest = lines[len(top):]
    below = [x for i, x in enumerate(rest)
             if not _QUOTED.match(x) and not _is_attribution(x) and not any(m in x for m in markers)
             and not (_ON.match(x) and i + 1 < len(rest) and _WROTE.search(rest[i + 1]))]
    return _tidy("\n".join(below))


def _tidy(text: str) -> str:
    lines = _drop_greetings(_cut_signature(text.split("\n")))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def _is_attribution(line: str) -> bool:
    return bool(_GMAIL_JA.match(line) or _DATED_AUTHOR.match(line) or _WROTE.search(line)
                or _ORIGINAL.match(line) or _ADDRESS_TAIL.match(line))


def _cut_at_marker(lines: list[str], markers: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if any(marker in line for marker in markers):
            return lines[:i]
    return lines


def _cut_at_quote_header(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
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
        if _ON.match(line) and i + 1 < len(lines) and _WROTE.search(lines[i + 1]):
            return lines[:i]
    return lines


def _library_cut(text: str) -> str:
    """mail-parser-reply's view of the newest fragment (it knows more clients' headers)."""
    if not text.strip():
        return ""
    parsed = ReplyParser(text=text, languages=["ja", "en"], keep_hyphen_lists=True).read()
    if not parsed.replies:
        return text
    first = parsed.replies[0]
    if first.headers:  # nothing before the first header: the whole text was quoted
        return ""
    return str(first.content)


def _cut_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        has_content = any(x.strip() for x in lines[:i])
        if _SIGNATURE.match(line):
            return lines[:i]
        if has_content and (_SEPARATOR.match(line) or _CLOSING.match(line)):
            return lines[:i]
    return lines


def _drop_greetings(lines: list[str]) -> list[str]:
    """Leading addressee and greeting lines (宛名・挨拶), when something follows them."""
    start = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        is_courtesy = _GREETING.match(stripped) or (len(stripped) <= 40 and _ADDRESSEE.search(stripped))
        if not is_courtesy:
            break
        start = i + 1
    rest = lines[start:]
    return rest if any(x.strip() for x in rest) else lines

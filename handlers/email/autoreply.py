"""Whether a mail was sent by a program (an out-of-office responder, a bounce, a list) rather than
typed by a person, and why: by the headers programs set (RFC 3834 ``Auto-Submitted``, Exchange's
``X-Auto-Response-Suppress``, the ``X-Auto…`` family, ``Precedence``, ``List-*``, a null
``Return-Path``, a report, a daemon's address, a Subject such as 自動応答 / Automatic reply), and —
for the responders that set none of them — by what the new part of the body says.

By content, a mail is automatic when it says so (このメールは自動返信です, This is an automatic
reply), or when it is a short note quoting nothing that says the person is away *and* when they
are back or that they cannot answer (ただいま不在にしております。12月1日に戻ります). A person's reply
quotes the question it answers, so an answer that mentions an absence is not taken for one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from handlers.email import quotes
from handlers.email.addresses import single_address
from handlers.email.headers import Headers

_PRECEDENCE = re.compile(r"bulk|junk|list|auto[_-]?reply", re.IGNORECASE)
_X_AUTO = re.compile(r"^x-(auto[-_]?(reply|replied|respond|responder|generated|submitted)(-from)?|mail-autoreply|"
                     r"autoreply-from|fc-machinegenerated)$", re.IGNORECASE)
_SUPPRESS = re.compile(r"\b(all|oof|autoreply)\b", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|auto[-_.]?(reply|responder)|"
                     r"bounces?)([+-][^@]*)?@", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*[\[【(<]?\s*(auto:|auto(matic)?[- _]?(reply|response|answer)|autoreply|autoresponse|"
    r"out of (the )?office|ooo\b|away from (the )?office|vacation (reply|response|notice)|"
    r"自動(応答|返信|送信|回答|配信)|不在(通知|のお知らせ|連絡|中|です|のため|[:】\])])|休暇(中|のお知らせ)|"
    r"automatische antwort|abwesenheit|r[ée]ponse automatique|absence du bureau|respuesta autom[áa]tica|"
    r"fuera de la oficina|risposta automatica|fuori sede|"
    r"undeliverable|undelivered mail|delivery status notification|配信不能|returned mail|"
    r"mail delivery (failed|failure))"
    # anywhere, when bracketed as a tag: "Re: 【WebNACCS】… [自動応答]", "… (Autoreply)"
    r"|[\[【(<「]\s*(自動(応答|返信)|不在|auto-?reply|automatic reply|out of (the )?office|abwesend)\s*[\]】)>」]",
    re.IGNORECASE,
)


def by_headers(headers: Headers, content_type: str, envelope_sender: str | None) -> str | None:
    """Why the headers say a program sent the mail (None if they do not)."""
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "null_sender"
    if headers.has("Return-Path") and headers.get("Return-Path").strip() in ("", "<>"):
        return "null_sender"
    auto_submitted = headers.get("Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto_submitted"
    for name in headers.names():
        if _X_AUTO.match(name):
            return name
    if _SUPPRESS.search(headers.get("X-Auto-Response-Suppress")):
        return "x-auto-response-suppress"
    if _PRECEDENCE.search(headers.get("Precedence")) or _PRECEDENCE.search(headers.get("X-Precedence")):
        return "precedence"
    if headers.has("List-Id") or headers.has("List-Unsubscribe"):
        return "list"
    if content_type == "multipart/report" or headers.has("X-Failed-Recipients"):
        return "report"
    if _DAEMON.match(single_address(headers.get("From")) or ""):
        return "daemon"
    if _AUTO_SUBJECT.search(unicodedata.normalize("NFKC", headers.get("Subject"))):
        return "auto_subject"
    return None


_SAYS_AUTOMATIC = re.compile(
    r"(この|本|こちらの?)(メール|メッセージ|e-?mail)は.{0,30}?自動(的に|で)?(返信|応答|送信|配信|回答)|"
    r"自動(返信|応答)(メール|メッセージ)?(です|でございます|にて|を?お送り|して(おり|い)ます|させて|を設定)|"
    r"^\s*[\[【(]?\s*自動(返信|応答)\s*[\]】)]|"
    r"\bthis is an? (automatic|automated|auto-?generated|automatically generated)\b|"
    r"^\s*(auto(matic)?[- ]?reply|out of office( reply)?)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_AWAY = re.compile(
    r"(不在|休暇|出張|外出|休業|お休み|休み|産休|育休|療養|休職|研修)"
    r"(中|のため|にしております|にしています|をいただいて|を頂いて|を頂戴して|を取得して|を取って|して(おり|い)ます|"
    r"いたしております|となっております|となります)|"
    r"\b(i am|i'm|i will be|i'll be|we are|we're|currently)\b.{0,30}?\b(out of (the )?office|away|"
    r"on (annual |parental |sick |maternity |paternity |business )?(leave|vacation|holiday|a business trip)|"
    r"travel(l)?ing|off work)\b|\bout of (the )?office\b",
    re.IGNORECASE,
)
_BACK_OR_UNABLE = re.compile(
    r"(戻り|帰社|出社|復帰|戻ります|戻って|戻る予定)|"
    r"(返信|回答|ご連絡|お返事|返事|確認|対応)(が|は|を|には|も)?.{0,12}?(遅れ|できません|いたしかね|致しかね|出来ません|"
    r"できかね|難しい|お時間)|(期間中|までの間|不在の間)|"
    r"緊急の(場合|ご用件|用件)|至急の(場合|ご用件)|"
    r"\b(return(ing)?|be back|back (in|on))\b|\blimited (access|connectivity)\b|"
    r"\b(for urgent (matters|requests|issues|enquiries|inquiries)|in case of urgency|if (this|it) is urgent)\b|"
    r"\b(respond|reply|get back to you|answer)\b.{0,40}?\b(when|upon|as soon as|after) (i|my)\b",
    re.IGNORECASE,
)
_OUR_MARKER = re.compile(r"^\s*##-.*-##\s*$")  # the bot's own "reply above this line" (any language)
MAX_NOTE_LINES = 15


def by_content(text: str, markers: Iterable[str] = ()) -> str | None:
    """``"auto_content"`` when the new part of the body is an automatic reply's, else None."""
    lines, quoting = quotes.new_part(text, markers, stop=_OUR_MARKER)
    said = [unicodedata.normalize("NFKC", x).strip() for x in lines if x.strip()]
    if not said:
        return None
    note = "\n".join(said[:40])
    if _SAYS_AUTOMATIC.search(note):
        return "auto_content"
    if quoting or len(said) > MAX_NOTE_LINES:
        return None
    if _AWAY.search(note) and _BACK_OR_UNABLE.search(note):
        return "auto_content"
    return None

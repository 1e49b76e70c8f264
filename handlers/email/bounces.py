"""Mail that comes back to a bounce address (``local+bounce-APP.MAC@domain``, the envelope sender
of every mail the bot sends): which message did not arrive, and why.

A delivery status notification (RFC 3464: ``multipart/report; report-type=delivery-status``) is
read from its ``message/delivery-status`` part: a recipient with ``Action: failed`` (or, with no
Action, a ``Status`` of 5.x.x) failed; ``Action: delayed`` (4.x.x) is the receiving side still
trying, and changes nothing. A bounce that is not a DSN (qmail, old Exim, some Japanese ISPs)
counts when it looks like one — a null envelope sender, a daemon's ``From`` or
``X-Failed-Recipients`` — and its text names a permanent failure (a 5.x.x code, a 5xx reply, or
the words). Anything else at a bounce address (an out-of-office reply sent to the envelope
sender) is ignored. The token must be ours: a forged one names no message and is ignored.

Reading is capped as ``reading`` caps an inbound mail (parts, depth, header length), and the
text of a non-DSN bounce is scanned up to ``MAX_SCAN_CHARS``, so it stays linear in the mail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Any

from bot import commands as C
from bot.ports import Store
from bot.service import Service
from handlers.email import reading
from handlers.email.addresses import Addresses, single_address
from handlers.email.headers import Headers

log = logging.getLogger("webnaccs.email")

MAX_SCAN_CHARS = 20_000  # of a non-DSN bounce's text: the failure is said at its top
MAX_REASON_CHARS = 300  # of the reason kept with the failed message (for the operator)

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.])(5[0-5]\d)[ -](?=\S)")
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail\.?delivery\.?system)@", re.IGNORECASE)
_PERMANENT = re.compile(
    r"permanent (error|failure)|could not be delivered|couldn't be delivered|undeliverable|"
    r"wasn't able to deliver|was not able to deliver|delivery (has )?failed|"
    r"(user|recipient|mailbox|address) (unknown|not found|unavailable|does not exist)|no such (user|mailbox)|"
    r"配信できません|配送できません|送信できません|届けることができません|宛先不明|存在しません|配信に失敗|配送に失敗",
    re.IGNORECASE)
_DELAYED = re.compile(
    r"\bdelayed\b|not yet been delivered|will (be retried|continue|keep trying|retry)|still trying|"
    r"temporar(y|ily) (error|failure|problem|unavailable)|遅延|再送を試み|配送を継続|再試行",
    re.IGNORECASE)


@dataclass(frozen=True)
class Report:
    """What a bounce says of the one message it returns."""

    failed: bool
    status: str = ""  # the RFC 3463 code (5.1.1), "" when the report gives none
    recipient: str = ""  # the address that did not accept it, as the report names it
    reason: str = ""  # one line for the operator
    why: str = ""  # when not failed: delayed | not_failed | not_a_bounce


def read_report(msg: EmailMessage, headers: Headers, envelope_sender: str | None) -> Report:
    """The report of a parsed mail that came to a bounce address."""
    found = _from_dsn(msg)
    if found is not None:
        return found
    return _from_text(msg, headers, envelope_sender)


def handle(service: Service, store: Store, addresses: Addresses, raw: bytes, envelope: dict[str, Any],
           token: tuple[str, str]) -> tuple[str, str, str | None]:
    """(action, reason, app id) of a mail to a bounce address; the message is marked failed and
    the applicant told (``bot.commands.ReportBounce``) when it reports a failure."""
    app_id, mac = token
    message = known(store, addresses, app_id, mac)
    if message is None:
        log.warning("a mail to a bounce address that names no message of ours: ignored")
        return "ignored", "unknown_bounce", None
    msg, limited = reading.parse(raw)
    headers = Headers(msg)
    _, key = reading.identity(headers, raw)
    if limited:
        log.warning("bounce %s read only in part: %s", key, limited)
    report = read_report(msg, headers, envelope.get("mail_from"))
    if not report.failed:
        log.info("mail %s to bounce address of %s/%s: %s, nothing changed", key, app_id, message, report.why)
        return "ignored", report.why, app_id
    outcome = service.dispatch(C.ReportBounce(app_id=app_id, message_id=message, address=report.recipient,
                                              reason=report.reason, status=report.status, key=key))
    if outcome.duplicate:
        return "duplicate", "bounce", app_id
    log.warning("mail %s/%s bounced: %s", app_id, message, report.reason)
    return "bounced", report.status, app_id


def known(store: Store, addresses: Addresses, app_id: str, mac: str) -> str | None:
    """The id of the outbox message a bounce token names, or None (forged, or no such message)."""
    try:
        ids = [str(m.get("id")) for m in store.outbox(app_id)]
    except ValueError:  # not a valid application id
        return None
    return addresses.bounced_message(app_id, mac, ids)


def first_token(addresses: Addresses, recipients: Iterable[str]) -> tuple[str, str] | None:
    for rcpt in recipients:
        token = addresses.bounce_token_of(rcpt)
        if token is not None:
            return token
    return None


# --- RFC 3464 --------------------------------------------------------------------------------


def _from_dsn(msg: Message) -> Report | None:
    """The report of the first ``message/delivery-status`` part; None when there is none (or it
    names no recipient)."""
    part = next((p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None)
    if part is None:
        return None
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return None
    delayed = other = False
    for block in blocks:
        if not isinstance(block, Message):
            continue
        fields = Headers(block)
        action = _first_word(fields.get("Action"))
        status = _status(fields.get("Status"))
        if not action and not status:
            continue  # the per-message fields (Reporting-MTA …)
        if action == "failed" or (not action and status.startswith("5")):
            recipient = _typed_value(fields.get("Final-Recipient")) or _typed_value(fields.get("Original-Recipient"))
            diagnostic = _typed_value(fields.get("Diagnostic-Code"))
            said = diagnostic if status in diagnostic else f"{status} {diagnostic}"  # 550 5.1.1 …
            return Report(True, status, recipient, _line(said) or f"{action} {status}".strip())
        if action == "delayed" or (not action and status.startswith("4")):
            delayed = True
        else:
            other = True  # delivered, relayed, expanded: not a failure
    if delayed:
        return Report(False, why="delayed")
    return Report(False, why="not_failed") if other else None


def _first_word(value: str) -> str:
    words = value.strip().lower().split(None, 1)
    return words[0].rstrip(";") if words else ""


def _status(value: str) -> str:
    found = _STATUS.search(value[:40])
    return ".".join(found.groups()) if found else ""


def _typed_value(value: str) -> str:
    """``rfc822; a@b`` → ``a@b``; ``smtp; 550 …`` → ``550 …`` (RFC 3464 typed fields)."""
    kind, semicolon, rest = value.partition(";")
    return " ".join((rest if semicolon else kind).split())


# --- the others ------------------------------------------------------------------------------


def _from_text(msg: EmailMessage, headers: Headers, envelope_sender: str | None) -> Report:
    sender = (envelope_sender or "").strip()
    failed_header = headers.get("X-Failed-Recipients").strip()
    looks_like = sender in ("", "<>") or bool(_DAEMON.match(single_address(headers.get("From")) or "")) \
        or bool(failed_header)
    if not looks_like:
        return Report(False, why="not_a_bounce")
    text = reading.body_text(msg)[:MAX_SCAN_CHARS]
    recipient = single_address(failed_header) or ""
    for found in _STATUS.finditer(text):
        if found.group(1) == "5":
            return Report(True, ".".join(found.groups()), recipient, _line(_line_at(text, found.start())))
    if any(m.group(1) == "4" for m in _STATUS.finditer(text)) or _DELAYED.search(text):
        return Report(False, why="delayed")
    said = _REPLY_CODE.search(text) or _PERMANENT.search(text)
    if said is not None or failed_header:
        line = _line_at(text, said.start()) if said is not None else f"failed: {failed_header}"
        return Report(True, "", recipient, _line(line))
    return Report(False, why="not_a_bounce")


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start:end if end >= 0 else len(text)]


def _line(text: str) -> str:
    """One line without control characters, at most ``MAX_REASON_CHARS``."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", text).split())[:MAX_REASON_CHARS]

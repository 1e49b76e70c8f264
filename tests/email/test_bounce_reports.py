"""Reading what comes back to a bounce address: RFC 3464 reports and the common others, and the
bounce addresses themselves."""

from __future__ import annotations

from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from handlers.email import bounces, reading
from handlers.email.addresses import Addresses
from handlers.email.headers import Headers
from tests.email.mailer import dsn
from tests.email.test_hostile_mail import work

TYPO = "hanako@exmaple.co.jp"
ORIGINAL = b"Message-ID: <wn.a1.acknowledgment-1-admin-email@localhost>\r\nTo: hanako@exmaple.co.jp\r\n\r\nx\r\n"


def report_of(raw: bytes, envelope_sender: str | None = "") -> bounces.Report:
    msg, _ = reading.parse(raw)
    return bounces.read_report(msg, Headers(msg), envelope_sender)


def plain(body: str, *, sender: str = "MAILER-DAEMON@mx.example.jp", subject: str = "failure notice",
          charset: str = "us-ascii", **headers: str) -> bytes:
    msg = MIMEText(body, "plain", charset)
    msg["From"] = sender
    msg["To"] = "webnaccs+bounce-a1.x@localhost"
    msg["Subject"] = Header(subject, charset).encode() if not subject.isascii() else subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg.as_bytes()


# --- RFC 3464 ----------------------------------------------------------------------------------


def test_a_failed_recipient_of_a_delivery_status_notification():
    report = report_of(dsn(ORIGINAL, to="w@localhost", recipient=TYPO))
    assert report.failed and (report.status, report.recipient) == ("5.1.1", TYPO)
    # the Diagnostic-Code, unfolded, without its type: what the operator reads
    assert report.reason == (f"550 5.1.1 <{TYPO}>: Recipient address rejected: User unknown in virtual "
                             f"mailbox table")


def test_a_delayed_report_is_not_a_failure():
    report = report_of(dsn(ORIGINAL, to="w@localhost", recipient=TYPO, action="delayed", status="4.4.1",
                           diagnostic="smtp; 451 4.4.1 Connection timed out"))
    assert not report.failed and report.why == "delayed"


def test_a_report_without_action_is_read_by_its_status_class():
    failed = dsn(ORIGINAL, to="w@localhost", recipient=TYPO).replace(b"Action: failed\r\n", b"")
    assert report_of(failed).failed
    delayed = dsn(ORIGINAL, to="w@localhost", recipient=TYPO, status="4.2.2").replace(b"Action: failed\r\n", b"")
    assert report_of(delayed).why == "delayed"


def test_failed_after_retrying_a_temporary_error_is_a_failure():
    """Postfix gives up on a message after its queue lifetime with ``Action: failed`` and the last
    (4.x.x) status: the mail is returned, it will not arrive."""
    report = report_of(dsn(ORIGINAL, to="w@localhost", recipient=TYPO, status="4.4.1",
                           diagnostic="X-Postfix; connect to mx.exmaple.co.jp: Connection timed out"))
    assert report.failed and report.status == "4.4.1" and "Connection timed out" in report.reason


def test_a_success_report_is_not_a_failure():
    report = report_of(dsn(ORIGINAL, to="w@localhost", recipient=TYPO, action="delivered", status="2.0.0",
                           diagnostic="smtp; 250 2.0.0 OK"))
    assert not report.failed and report.why == "not_failed"


def test_of_several_recipients_the_failed_one_counts():
    raw = dsn(ORIGINAL, to="w@localhost", recipient=TYPO)
    delayed = (b"Final-Recipient: rfc822; other@example.jp\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n")
    raw = raw.replace(b"Final-Recipient: rfc822; " + TYPO.encode(), delayed + b"Final-Recipient: rfc822; "
                      + TYPO.encode())
    report = report_of(raw)
    assert report.failed and report.recipient == TYPO


# --- not RFC 3464 ------------------------------------------------------------------------------


QMAIL = f"""Hi. This is the qmail-send program at mx.example.jp.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{TYPO}>:
Sorry, no mailbox here by that name. (#5.1.1)
"""

EXIM = f"""This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {TYPO}
    SMTP error from remote mail server after RCPT TO:<{TYPO}>:
    550 Unrouteable address
"""

EXIM_DELAY = """This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.example.jp.

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered.
"""

JAPANESE = f"""このメールはメールサーバーから自動的に送信されています。
宛先不明のため、次のアドレスへメールを配信できませんでした。

{TYPO}
"""


def test_a_qmail_bounce():
    report = report_of(plain(QMAIL))
    assert report.failed and report.status == "5.1.1" and "no mailbox here" in report.reason


def test_an_exim_bounce_without_a_status_code():
    report = report_of(plain(EXIM, X_Failed_Recipients=TYPO, subject="Mail delivery failed"))
    assert report.failed and report.recipient == TYPO and report.reason == "550 Unrouteable address"


def test_an_exim_delay_warning_is_not_a_failure():
    report = report_of(plain(EXIM_DELAY, subject="Warning: message 1abc delayed 24 hours"))
    assert not report.failed and report.why == "delayed"


def test_a_japanese_bounce_in_iso_2022_jp():
    report = report_of(plain(JAPANESE, charset="iso-2022-jp", subject="配信不能のお知らせ"))
    assert report.failed and "宛先不明" in report.reason


@pytest.mark.parametrize("sender, envelope", [("taro@example.co.jp", "taro@example.co.jp"),
                                              ("MAILER-DAEMON@mx.example.jp", "")])
def test_what_says_no_failure_is_not_a_bounce(sender, envelope):
    """An out-of-office reply sent to the envelope sender; a null-sender note that says nothing."""
    body = ("ただいま不在にしております。12月1日に戻ります。" if envelope else "Your mail was received.")
    raw = plain(body, sender=sender, charset="utf-8", subject="自動応答")
    assert report_of(raw, envelope).why == "not_a_bounce"


def test_a_person_quoting_a_status_code_is_not_a_bounce():
    raw = plain(f"Hello, I got an error 550 5.1.1 when writing to {TYPO}.", sender="taro@example.co.jp")
    assert report_of(raw, "taro@example.co.jp").why == "not_a_bounce"


# --- capped and linear -------------------------------------------------------------------------


def many_recipients(n: int) -> bytes:
    raw = dsn(ORIGINAL, to="w@localhost", recipient=TYPO)
    block = b"Final-Recipient: rfc822; other@example.jp\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
    return raw.replace(b"Final-Recipient: rfc822; " + TYPO.encode(), block * n + b"Final-Recipient: rfc822; "
                       + TYPO.encode())


def test_a_report_of_thousands_of_recipients_is_read_as_far_as_the_caps():
    msg, limited = reading.parse(many_recipients(5_000))
    assert limited == reading.TOO_MANY_PARTS
    assert bounces.read_report(msg, Headers(msg), "").why == "delayed"  # the failed one lies past the cap
    small = work(lambda: report_of(many_recipients(2 * reading.MAX_PARTS)))
    large = work(lambda: report_of(many_recipients(4 * reading.MAX_PARTS)))
    assert large < 1.2 * small


def test_a_long_text_bounce_is_scanned_only_at_its_head():
    def long(n: int) -> bytes:
        return plain("Delivery to the following recipient failed.\n" + "x\n" * n + "550 5.1.1 late")

    assert report_of(long(10)).failed
    assert report_of(long(bounces.MAX_SCAN_CHARS)).why == "not_a_bounce"  # the code lies past the scan
    small, large = work(lambda: report_of(long(50_000))), work(lambda: report_of(long(100_000)))
    assert large < 2.2 * small  # linear: the parse reads every line once, the scan only the head


def test_a_huge_diagnostic_is_cut_for_the_operator():
    report = report_of(dsn(ORIGINAL, to="w@localhost", recipient=TYPO, diagnostic="smtp; 550 5.1.1 " + "y" * 50_000))
    assert report.failed and len(report.reason) == bounces.MAX_REASON_CHARS


def test_a_report_nested_past_the_depth_cap_is_not_read():
    inner = dsn(ORIGINAL, to="w@localhost", recipient=TYPO)
    outer = MIMEMultipart("mixed")
    msg = outer
    for _ in range(reading.MAX_DEPTH + 2):
        nested = MIMEMultipart("mixed")
        msg.attach(nested)
        msg = nested
    msg.attach(MIMEText("x"))
    raw = outer.as_bytes() + inner  # the report after the cut is never reached
    assert not report_of(raw).failed


# --- the addresses -----------------------------------------------------------------------------


ADDRESSES = Addresses("webnaccs@bot.example.jp", b"secret")


def test_a_bounce_address_names_its_message_and_nothing_else():
    address = ADDRESSES.bounce_address("0123456789abcdef", "acknowledgment-12-admin-email")
    assert address.startswith("webnaccs+bounce-0123456789abcdef.") and address.endswith("@bot.example.jp")
    assert len(address.split("@")[0]) <= 64  # RFC 5321's limit on a local part
    local, _, domain = address.rpartition("@")
    app_id, mac = ADDRESSES.bounce_token_of(f"{local[:-26]}{local[-26:].upper()}@{domain.upper()}")
    ids = ["reply-3", "acknowledgment-12-applicant-email", "acknowledgment-12-admin-email"]
    assert ADDRESSES.bounced_message(app_id, mac, ids) == "acknowledgment-12-admin-email"
    assert ADDRESSES.bounced_message(app_id, mac, ids[:2]) is None
    assert ADDRESSES.bounced_message("0123456789abcdee", mac, ids) is None  # another application
    other = Addresses("webnaccs@bot.example.jp", b"another secret")  # another installation
    assert other.bounced_message(app_id, mac, ids) is None


def test_bounce_addresses_are_ours_and_never_reply_addresses():
    address = ADDRESSES.bounce_address("0123456789abcdef", "reply-3")
    assert ADDRESSES.token_of(address) is None and ADDRESSES.is_ours(address)
    reply = ADDRESSES.reply_to("0123456789abcdef", "taro@example.co.jp")
    assert ADDRESSES.bounce_token_of(reply) is None
    for bad in ("webnaccs+bounce-x@bot.example.jp", "webnaccs+bounce-a.b@bot.example.jp",
                "webnaccs+bounce-0123.abc@elsewhere.jp", "webnaccs@bot.example.jp"):
        assert ADDRESSES.bounce_token_of(bad) is None

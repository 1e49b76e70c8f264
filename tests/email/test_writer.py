"""The bot's mails as bytes (handlers/email/writer.py): every shape read back by the standard
library's parser gives what was written, folded at 78, CRLF and ASCII on the wire, and
nothing a person typed can end a part early or start a header."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest

from handlers.email import writer

FROM = ("WebNACCS申込アシスタント", "webnaccs@bot.example.jp")
HEADERS: list[tuple[str, writer.Value]] = [
    ("From", FROM), ("To", "taro@example.co.jp"), ("Subject", "【WebNACCS】WebNACCS処理方式の追加申込"),
    ("Message-ID", "<wn.a1.reply-3@bot.example.jp>"), ("X-WebNACCS-Field", "company_name"),
]
TEXT = "##- この行より上にご返信ください -##\n\n企業名を入力してください。\n" + "長い行です。" * 30 + "\n"
PAGE = "<!doctype html>\n<html><body><div>企業名を入力してください。</div></body></html>\n"


def read(mail: writer.Outgoing) -> EmailMessage:
    parsed = message_from_bytes(mail.raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage) and not parsed.defects
    return parsed


def wire_lines(mail: writer.Outgoing) -> list[bytes]:
    assert mail.raw.isascii() and b"\n" not in mail.raw.replace(b"\r\n", b"")  # CRLF only
    return mail.raw.split(b"\r\n")


def test_a_question_mail_reads_back_as_written():
    mail = writer.write(HEADERS, TEXT, PAGE, lang="ja")
    parsed = read(mail)
    assert parsed["Subject"] == "【WebNACCS】WebNACCS処理方式の追加申込"
    assert parsed["From"].addresses[0].display_name == FROM[0]
    assert parsed["From"].addresses[0].addr_spec == FROM[1]
    assert parsed["X-WebNACCS-Field"] == "company_name" and parsed["Content-Language"] == "ja"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == PAGE
    assert max(len(line) for line in wire_lines(mail)) <= writer.LINE
    assert mail["Subject"] == HEADERS[2][1] and mail["to"] == "taro@example.co.jp" and "Bcc" not in mail


def test_an_english_text_with_short_lines_stays_readable_and_a_long_line_is_encoded():
    short = writer.write([("To", "a@b.jp")], "Dear Taro,\n\nWhat is the company name?\n")
    assert b"Content-Transfer-Encoding: 7bit" in short.raw and b"What is the company name?\r\n" in short.raw
    assert read(short).get_content().replace("\r\n", "\n") == "Dear Taro,\n\nWhat is the company name?\n"
    long = writer.write([("To", "a@b.jp")], "x" * 200 + "\n")
    assert b"Content-Transfer-Encoding: base64" in long.raw
    assert read(long).get_content().replace("\r\n", "\n") == "x" * 200 + "\n"
    assert max(len(line) for line in wire_lines(long)) <= writer.LINE


def test_attachments_make_a_mixed_mail_holding_the_alternative():
    pdf = bytes(range(256)) * 40
    mail = writer.write(HEADERS, TEXT, PAGE, [("260001A-application-form.pdf", pdf), ("通知書.pdf", b"%PDF-1")])
    parsed = read(mail)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT
    files = [(part.get_filename(), part.get_content()) for part in parsed.iter_attachments()]
    assert files == [("260001A-application-form.pdf", pdf), ("通知書.pdf", b"%PDF-1")]
    assert max(len(line) for line in wire_lines(mail)) <= writer.LINE


def test_long_subjects_fold_at_78_and_read_back_whole():
    japanese = "【WebNACCS】受付完了のお知らせ（受付番号 260001A）" * 6
    english = "[WebNACCS] Your application to add the WebNACCS processing method was received " * 4
    for subject in (japanese, english.strip()):
        mail = writer.write([("Subject", subject)], "x\n")
        assert read(mail)["Subject"] == subject
        head = mail.raw.split(b"\r\n\r\n")[0].split(b"\r\n")
        assert len(head) > 3 and max(len(line) for line in head) <= writer.LINE


def test_no_header_line_is_longer_than_998_whatever_was_typed():
    typed = "[WebNACCS] Review requested: 260001A (" + "A" * 5000 + ")"
    mail = writer.write([("Subject", typed)], "x\n")
    assert read(mail)["Subject"] == typed
    assert max(len(line) for line in wire_lines(mail)) <= writer.LINE


def test_display_names_are_encoded_or_quoted_as_they_need():
    for display in ("WebNACCS application assistant", 'Smith, "J" \\ Co.', "申込アシスタント"):
        mail = writer.write([("From", (display, "webnaccs@bot.example.jp"))], "x\n")
        [address] = read(mail)["From"].addresses
        assert (address.display_name, address.addr_spec) == (display, "webnaccs@bot.example.jp")
    # A name longer than one encoded word: several, joined again by a reader (RFC 2047 6.2).
    mail = writer.write([("From", ("申込アシスタント" * 8, "webnaccs@bot.example.jp"))], "x\n")
    value = message_from_bytes(mail.raw, policy=policy.compat32)["From"]
    assert str(make_header(decode_header(value))) == "申込アシスタント" * 8 + " <webnaccs@bot.example.jp>"
    assert max(len(line) for line in wire_lines(mail)) <= writer.LINE


def test_a_text_holding_a_boundary_never_ends_its_part(monkeypatch):
    tokens = iter(["0" * 24, "1" * 24])
    monkeypatch.setattr(writer.secrets, "token_hex", lambda n: next(tokens))
    typed = f"Company: ACME\n--=_wn_{'0' * 24}\nContent-Type: text/html\n\n<b>x</b>\n"
    parsed = read(writer.write([("To", "a@b.jp")], typed, "<p>x</p>\n"))
    assert parsed.get_param("boundary") == "=_wn_" + "1" * 24
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == typed


@pytest.mark.parametrize("name, value", [("Subject", "A\r\nBcc: x@y.jp"), ("X-Note", "a\nb"),
                                         ("From", ("A\rB", "a@b.jp")), ("To", "a@b.jp\x00")])
def test_a_control_character_in_a_header_is_refused(name, value):
    with pytest.raises(ValueError):
        writer.write([(name, value)], "x\n")

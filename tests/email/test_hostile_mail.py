"""Mail built to make the reader slow: it is read in linear time, capped, and says what it cut.

Speed is never asserted as a time. Where the cost is Python work it is counted (profiler events
for n and 2n); where it is inside C (regular expressions, list copies, the HTML tokenizer) the
mail is read in a child process with a generous limit that the old reader overran by minutes
(over 200 s each) while the new one needs well under a second.
"""

from __future__ import annotations

import subprocess
import sys
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from handlers.email import policies, quotes
from handlers.email.reading import MAX_DEPTH, MAX_PARTS, MAX_TEXT_CHARS, read

HEAD = b"From: taro@example.co.jp\r\nTo: webnaccs@localhost\r\nMessage-ID: <1@example.co.jp>\r\n"
SUBJECT_WORD = b"=?utf-8?b?5pel?="  # one encoded word: 日


def work(fn) -> int:
    """How many Python calls (and calls into C) ``fn`` makes: a measure of work, not of time."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def subject_mail(words: int) -> bytes:
    return HEAD + b"Subject: " + b" ".join([SUBJECT_WORD] * words) + b"\r\n\r\nABC\r\n"


def parts_mail(parts: int) -> bytes:
    body = b"".join(b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%d\r\n" % i for i in range(parts))
    return HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + body + b"--b--\r\n"


def nested_mail(depth: int, lines: int = 0) -> bytes:
    body = b"".join(b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (i, i + 1)
                    for i in range(depth))
    return HEAD + b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n' + body + b"x\r\n" * lines


# --- cost that grows in C: a child process with a generous limit ---------------------------

HOSTILE = {
    # 0.9 MB of short lines: the signature cut re-read every line above each line
    "300,000 short lines": 'answer_text("ab\\n" * 300_000)',
    # mail-parser-reply's patterns on a run of blank lines
    "100,000 blank lines": 'answer_text("\\n" * 100_000 + "ABC")',
    # the stdlib HTML tokenizer re-scans the rest of the document at each "</"
    "HTML of 300,000 '</'": 'html_to_text("</" * 300_000)',
    # the stdlib header parser on many encoded words
    "Subject of 80,000 encoded words": "read(subject_mail(80_000), envelope_sender='t@x')",
    # a multipart nested 5,000 deep over 200,000 lines (the old parse failed, RecursionError)
    "multipart nested 5,000 deep": "read(nested_mail(5_000, 200_000), envelope_sender='t@x')",
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_mail_is_read_in_linear_time(case):
    code = ("from handlers.email.quotes import answer_text\n"
            "from handlers.email.reading import read, html_to_text\n"
            "from tests.email.test_hostile_mail import subject_mail, nested_mail\n"
            f"{HOSTILE[case]}\n")
    done = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_mail_parser_reply_only_ever_sees_a_short_head(monkeypatch):
    seen: list[str] = []
    original = quotes.ReplyParser

    def spy(*, text: str, **kwargs):
        seen.append(text)
        return original(text=text, **kwargs)

    monkeypatch.setattr(quotes, "ReplyParser", spy)
    # Quote headers only the library knows (Sent:/To: without From:), past long or many lines.
    for text in ("ABC\n" + "\n" * 4_000 + "Sent: x\nTo: y\n", "ABC\n" + "Sent: a\nTo: b\n" * 50_000,
                 "ABC\n" + "y" * 100_000 + "\nSent: a\nTo: b\n", "ABC\n" + "Cc: " + "z" * 100_000 + "\n"):
        answer = quotes.answer_text(text)
        assert answer.startswith("ABC") and "Sent:" not in answer and "To:" not in answer
    assert len(seen) == 3
    assert max(len(t.split("\n")) for t in seen) <= quotes.LIBRARY_LINES
    assert max(len(line) for t in seen for line in t.split("\n")) <= quotes.LIBRARY_CHARS


def test_the_work_of_cutting_a_reply_grows_linearly_with_its_lines():
    def text(n: int) -> str:
        return "お世話になっております。\n" + "端末を追加します。\nよろしくお願いします。\nTEL 03-1234-5678\n\n" * n

    small, large = work(lambda: quotes.answer_text(text(500))), work(lambda: quotes.answer_text(text(1000)))
    assert large < 2.5 * small


# --- cost in Python beyond the caps: counted ------------------------------------------------


def test_a_longer_subject_costs_no_more_than_the_cap():
    small, large = work(lambda: read(subject_mail(4_000), envelope_sender="t@x")), \
        work(lambda: read(subject_mail(8_000), envelope_sender="t@x"))
    assert large < 1.2 * small


def test_more_parts_cost_no_more_than_the_cap():
    small = work(lambda: read(parts_mail(3 * MAX_PARTS), envelope_sender="t@x"))
    large = work(lambda: read(parts_mail(6 * MAX_PARTS), envelope_sender="t@x"))
    assert large < 1.2 * small


# --- what a cap does to the reading -----------------------------------------------------------


def test_a_mail_of_too_many_lines_is_read_as_far_as_the_cap():
    mail = read(HEAD + b"\r\n" + "ABC損保\r\n".encode() + b"ab\r\n" * 300_000, envelope_sender="t@x")
    assert mail.limited == "too_many_lines"
    assert len(mail.text.split("\n")) == quotes.MAX_LINES
    assert quotes.answer_text(mail.text).startswith("ABC損保\nab\n")


def test_a_text_too_long_is_cut_and_said_so():
    mail = read(HEAD + b"\r\nABC" + b"a" * (2 * MAX_TEXT_CHARS), envelope_sender="t@x")
    assert mail.limited == "text_too_long"
    assert len(mail.text) == MAX_TEXT_CHARS and mail.text.startswith("ABCaaa")


def test_a_subject_too_long_is_cut_at_a_word_and_said_so():
    mail = read(subject_mail(20_000), envelope_sender="t@x")
    assert mail.limited == "header_too_long"
    words = policies.MAX_HEADER_CHARS // (len(SUBJECT_WORD) + 1)
    assert set(mail.subject) == {"日"} and words - 2 <= len(mail.subject) <= words + 1
    assert mail.sender == "taro@example.co.jp" and mail.text.strip() == "ABC"


def test_a_long_references_header_is_no_limit_of_what_is_read():
    raw = HEAD + b"References: " + b" ".join(b"<%d@example.co.jp>" % i for i in range(1_000)) + b"\r\n\r\nABC\r\n"
    assert read(raw, envelope_sender="t@x").limited is None


def test_too_many_parts_read_the_parts_before_the_cap():
    mail = read(parts_mail(10 * MAX_PARTS), envelope_sender="t@x")
    assert mail.limited == "too_many_parts"
    assert mail.text.strip() == "0"


def test_parts_nested_too_deep_are_not_read_but_the_mail_is():
    mail = MIMEMultipart("mixed")
    inner = mail
    for _ in range(MAX_DEPTH + 5):
        child = MIMEMultipart("mixed")
        inner.attach(child)
        inner = child
    inner.attach(MIMEText("deep", "plain", "utf-8"))
    mail["From"] = "taro@example.co.jp"
    mail["Subject"] = "件名"
    read_mail = read(mail.as_bytes(), envelope_sender="t@x")
    assert read_mail.limited == "too_many_parts"
    assert read_mail.subject == "件名" and read_mail.sender == "taro@example.co.jp" and read_mail.text == ""


def test_a_real_reply_hits_no_cap():
    mail = MIMEMultipart("mixed")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("ABC損保\n" + "> 引用\n" * 500, "plain", "utf-8"))
    alternative.attach(MIMEText("<p>ABC損保</p>", "html", "utf-8"))
    mail.attach(alternative)
    mail["From"] = "taro@example.co.jp"
    mail["Subject"] = "Re: 【WebNACCS】WebNACCS処理方式の追加申込"
    read_mail = read(mail.as_bytes(), envelope_sender="t@x")
    assert read_mail.limited is None and quotes.answer_text(read_mail.text) == "ABC損保"

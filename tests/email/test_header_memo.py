"""Headers are parsed and folded once (handlers/email/policies.py): the same objects for the
same values, the fold kept per way of folding, and nothing kept of long values."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as stdlib

from handlers.email import policies
from handlers.email.outbound import _wire
from tests.email.test_compose import COMPOSER, NOW, app, question, reply_message


def test_the_same_value_gives_the_same_parsed_header():
    first = policies.REGISTRY("Content-Type", 'text/plain; charset="utf-8"')
    again = policies.REGISTRY("Content-Type", 'text/plain; charset="utf-8"')
    other = policies.REGISTRY("Content-Type", 'text/html; charset="utf-8"')
    assert first is again and other is not first
    assert first.content_type == "text/plain" and other.content_type == "text/html"
    assert policies.REGISTRY("content-type", 'text/plain; charset="utf-8"').name == "content-type"


def test_a_long_value_is_parsed_each_time_and_never_kept():
    value = "x " * policies.MEMO_CHARS
    assert policies.REGISTRY("Subject", value) is not policies.REGISTRY("Subject", value)


def test_the_fold_is_kept_per_line_separator_and_length():
    header = policies.REGISTRY("Subject", "日本語の件名 " * 12)
    crlf = header.fold(policy=policies.SMTP)
    lf = header.fold(policy=policies.DEFAULT)
    short = header.fold(policy=policies.SMTP.clone(max_line_length=40))
    assert crlf.endswith("\r\n") and "\r\n" not in lf and lf.endswith("\n")
    assert max(len(line) for line in short.split("\r\n")) <= 40 < max(len(line) for line in crlf.split("\r\n"))
    assert header.fold(policy=policies.SMTP) == crlf  # kept, and the same


def test_mails_built_from_kept_headers_read_back_as_built():
    one = COMPOSER.compose(reply_message(question(), id="reply-1"), app(industry="non_life"), NOW)
    two = COMPOSER.compose(reply_message(question(), id="reply-2"), app(industry="non_life"), NOW)
    a, b = (message_from_bytes(_wire(m), policy=stdlib.default) for m in (one, two))
    assert a["Subject"] == b["Subject"] and a["From"] == b["From"]
    assert a["From"].addresses[0].addr_spec == "webnaccs@bot.example.jp"
    assert a["From"].addresses[0].display_name == str(one["From"].addresses[0].display_name)
    assert a["Message-ID"] != b["Message-ID"]
    assert a.get_body(("plain",)).get_content() == b.get_body(("plain",)).get_content()

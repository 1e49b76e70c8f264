"""Headers of inbound mail are parsed once (handlers/email/policies.py): the same objects for
the same values, and nothing kept of long values."""

from __future__ import annotations

from handlers.email import policies


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

"""On filing, a person reached by mail gets one mail: the acknowledgment, not a reply beside it."""

from __future__ import annotations

from bot.service import Person
from tests.conftest import file_application

MAIL = Person(key="email:taro@example.co.jp", channel="email", address="taro@example.co.jp")


def test_one_mail_on_filing_unless_the_acknowledgment_goes_elsewhere(service, store):
    filed = file_application(service, MAIL)
    replies = [m for m in store.outbox(filed.id) if m["kind"] == "reply" and m["replies"][0]["kind"] == "filed"]
    assert replies == []
    other = Person(key="email:jiro@example.co.jp", channel="email", address="jiro@example.co.jp")
    elsewhere = file_application(service, other)  # applicant_email is taro's: jiro hears it by reply
    kinds = [m["replies"][-1]["kind"] for m in store.outbox(elsewhere.id) if m["kind"] == "reply"]
    assert kinds[-1] == "filed"

"""What a channel did not read of a message is said before the turn's replies (once), a
person's thread goes with the queued reply, and a profile's bidi controls are not kept."""

from __future__ import annotations

from bot import commands as C
from bot.service import Person, Service


def test_unread_parts_are_said_first_and_the_thread_is_kept_on_the_queued_reply(service: Service):
    person = Person(key="slack:U9", channel="slack", address="U9", thread="1700000000.000100",
                    prefill={"applicant_name": "山田\u202e 太郎"})
    service.start(person)
    service.handle(person, "損保")  # the draft is stored with its first answer
    outcome = service.dispatch(C.Resume(person=person, key="ev-1", unread=(C.FILES_ONLY,)))
    assert [r.kind for r in outcome.replies] == ["not_read", "question"]
    assert outcome.replies[0].params == {"what": "files_only"}
    queued = [m for m in service.store.outbox(outcome.app.id) if m["kind"] == "reply"]
    assert all(m["thread"] == "1700000000.000100" for m in queued)
    assert queued[-1]["replies"][0]["kind"] == "not_read"
    assert outcome.app.prefill["applicant_name"] == "山田 太郎"
    again = service.dispatch(C.Resume(person=person, key="ev-1", unread=(C.FILES_ONLY,)))
    assert again.duplicate and again.replies == []  # a redelivered event is answered once
    plain = service.handle(Person(key="slack:U9", channel="slack", address="U9"), "ABC損保")
    reply = [m for m in service.store.outbox(plain.app.id) if m["kind"] == "reply"][-1]
    assert "thread" not in reply and [r["kind"] for r in reply["replies"]] == ["question"]

"""The core without an open draft: coming back after filing, and a new application stored only
with its first answer (in the chat, nothing at all before it)."""

from __future__ import annotations

import pytest

from bot.conversation import Reply
from handlers.console import Console
from handlers.render import Renderer
from tests.conftest import asking, file_application, last


def test_a_first_chat_stores_nothing_until_its_first_answer(service, store, person):
    console = Console(service, Renderer(), person)
    lines = console.start()
    assert [line.field for line in lines] == [None, "industry"] and store.records == {}
    english = console.say("English")
    assert english[0].text == Renderer().reply(Reply("language_changed", params={"language": "en"}), "en")
    assert english[-1].field == "industry" and "industry" in english[-1].text.lower()
    assert store.records == {}
    asked = console.say("ヘルプ")
    assert asked[-1].field == "industry" and store.records == {} and not console.finished
    answered = console.say("non-life")
    assert answered[-1].field == "company_name" and "[2/16–19]" in answered[-1].text
    [app] = [service.load(i) for i in store.records]
    assert app.lang == "en" and app.answers == {"industry": "non_life"}
    assert [e["action"] for e in store.audit(app.id)] == ["created"]


def test_cancelling_a_new_application_that_has_no_answer_ends_at_once(service, store, person):
    filed = file_application(service, person)
    service.handle(person, "新規")
    outcome = service.handle(person, "取消")
    assert [r.kind for r in outcome.replies] == ["cancelled"]
    assert "pending" not in service.load(filed.id).conversation
    assert asking(service.handle(person, "損害保険会社")) is None  # no longer asked: the state again
    assert len(service.applications_of(person)) == 1


def test_the_new_application_keeps_its_id_from_the_question_to_the_first_answer(service, person):
    filed = file_application(service, person)
    first = service.handle(person, "新規")
    assert asking(first) == "industry" and first.app.id != filed.id and service.load(first.app.id) is None
    again = service.handle(person, "よろしく")  # not an answer: asked again, still not stored
    assert again.app.id == first.app.id and last(again).params["error"]["code"] == "unknown_choice"
    assert service.load(first.app.id) is None
    answered = service.handle(person, "損保")
    assert answered.created and answered.app.id == first.app.id
    assert service.load(first.app.id).answers == {"industry": "non_life"}


def test_after_a_cancelled_draft_any_message_starts_the_next(service, store, person):
    service.start(person)
    service.handle(person, "損保")
    service.handle(person, "取消")
    service.handle(person, "はい")
    status = service.handle(person, "状況")
    assert [r.kind for r in status.replies] == ["status"]
    begun = service.handle(person, "こんにちは")
    assert [r.kind for r in begun.replies] == ["guidance", "question"]
    assert len(store.records) == 1  # the cancelled one only, until an answer comes


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_new_replies_render(service, person, lang):
    r = Renderer()
    filed = file_application(service, person)
    shown = service.handle(person, "こんにちは")
    assert [x.kind for x in shown.replies] == ["status", "after_filing"]
    offer = r.reply(last(shown), lang)
    assert ("「新規」" if lang == "ja" else "“new”") in offer and filed.acceptance_number in offer
    service.decide(filed.acceptance_number, decision="approve", actor="cli:op", start_date="2027-01-04")
    refused = r.reply(last(service.handle(person, "取下げ")), lang)
    assert filed.acceptance_number in refused and "2027" in refused  # the approval notice from the start date
    for kind, params in (("earlier_answer", {"value": "本店"}), ("not_current", {"asked": "confirm"})):
        text = r.reply(Reply(kind, field="office_name", params=params), lang)
        assert text and "{{" not in text and r.label("office_name" if kind == "earlier_answer" else "confirm",
                                                      lang) in text

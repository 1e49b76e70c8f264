"""An answer to an earlier question (a reply to an older question mail): taken for that question
like 修正, or the person is told which question is current, and it is quoted."""

from __future__ import annotations

from bot import commands as C
from tests.conftest import WITHOUT_USER_CODE, asking, last


def test_an_earlier_question_is_answered_like_an_edit_or_the_current_one_is_quoted(service, person):
    service.start(person)
    for text in WITHOUT_USER_CODE[:3]:
        service.handle(person, text)
    taken = service.dispatch(C.Answer(person=person, text="支店", field="office_name"))
    assert [r.kind for r in taken.replies] == ["earlier_answer", "question"]
    assert taken.app.answers["office_name"] == "支店" and asking(taken) == "user_code"
    refused = service.dispatch(C.Answer(person=person, text="", field="company_name"))
    assert asking(refused) == "company_name" and last(refused).params["error"]["code"] == "required"
    service.handle(person, "ABC損保")
    quoted = service.dispatch(C.Answer(person=person, text="山田", field="name_kanji"))  # not asked
    assert [r.kind for r in quoted.replies] == ["not_current", "question"] and asking(quoted) == "user_code"
    service.handle(person, "取消")
    confirming = service.dispatch(C.Answer(person=person, text="ABC", field="office_name"))
    assert [r.kind for r in confirming.replies] == ["not_current", "cancel_confirm"]

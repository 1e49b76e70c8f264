"""Typed text → command (bot.intents), and buttons as commands (ChooseOption)."""

from __future__ import annotations

import pytest

from bot import commands as C
from bot import intents
from bot.service import reminding
from bot.vocabulary import Document, Mode
from tests.conftest import WITHOUT_USER_CODE

ME = C.Person(key="console:me", channel="console")


@pytest.mark.parametrize("typed, kind", [
    ("戻る", C.Back), ("ＢＡＣＫ", C.Back), ("状況です", C.ShowStatus), ("status", C.ShowStatus),
    ("取消", C.Cancel), ("ヘルプ", C.Help), ("例", C.Example), ("登録", C.Submit),
    ("submit", C.Submit), ("取り下げます", C.Withdraw), ("新規", C.Start), ("修正", C.Edit),
    ("損害保険会社", C.Answer), ("はい", C.Answer), ("", C.Answer),
])
def test_words_become_commands(typed, kind):
    command = intents.read(typed, person=ME, key="k1")
    assert type(command) is kind
    assert command.text == typed and command.key == "k1" and command.person == ME


def test_language_edit_target_and_documents_carry_what_they_name():
    assert intents.read("English", person=ME) == C.SetLanguage(person=ME, text="English", lang="en")
    assert intents.read("日本語", person=ME).lang == "ja"  # type: ignore[attr-defined]
    edit = intents.read("修正：電話番号", person=ME)
    assert isinstance(edit, C.Edit) and edit.target == "電話番号"
    assert intents.read("申込書", person=ME).document == Document.FORM  # type: ignore[attr-defined]
    assert intents.read("承認通知", person=ME).document == Document.NOTICE  # type: ignore[attr-defined]


def test_contextual_words_are_read_only_where_they_are_asked():
    assert intents.is_yes("はい") and intents.is_yes("ＯＫ") and not intents.is_yes("いいえ")
    assert intents.is_keep("そのまま") and not intents.is_keep("変更します")
    assert intents.is_form_request("フォーム") and not intents.is_form_request("状況")


def test_a_word_is_an_answer_where_the_question_wants_text(service, person):
    service.start(person)
    service.handle(person, "損害保険会社")
    outcome = service.handle(person, "登録")  # a company called 登録: not the summary's 登録
    assert outcome.app.answers["company_name"] == "登録"
    assert outcome.replies[-1].field == "office_name"


def test_summary_buttons_edit_one_field_or_submit(service):
    person = C.Person(key="slack:U9", channel="slack", address="U9")
    app = service.start(person).app
    for text in WITHOUT_USER_CODE:
        service.handle(person, text)

    def press(option: str) -> C.ChooseOption:
        return C.ChooseOption(person=person, app_id=app.id, field="confirm", mode=Mode.ASK, option=option)

    edit = service.dispatch(press(f"{C.EDIT_PREFIX}applicant_phone"))
    assert edit.replies[-1].field == "applicant_phone" and edit.replies[-1].params["editing"]
    kept = service.dispatch(C.ChooseOption(person=person, app_id=app.id, field="applicant_phone",
                                           mode=Mode.ASK, option=C.KEEP))
    assert kept.replies[-1].field == "confirm" and kept.app.answers["applicant_phone"] == "03-1234-5678"
    assert service.dispatch(press(C.EDIT)).replies[-1].kind == "pick_field"
    picked = service.dispatch(C.ChooseOption(person=person, app_id=app.id, field=None,
                                             mode=Mode.PICK_FIELD, option="remarks"))
    assert picked.replies[-1].field == "remarks"
    service.handle(person, "なし")
    filed = service.dispatch(press(C.SUBMIT))
    assert filed.filed and filed.acceptance_number == "260001A"
    assert service.dispatch(press(C.SUBMIT)).stale  # a second click: nothing more happens


def test_a_date_button_is_checked_against_the_schedule_like_typed_text(service):
    person = C.Person(key="slack:U8", channel="slack", address="U8")
    app = service.start(person).app
    for text in WITHOUT_USER_CODE[:6]:
        service.handle(person, text)
    closed = service.dispatch(C.ChooseOption(person=person, app_id=app.id, field="desired_start_date",
                                             mode=Mode.ASK, option="2026-12-02"))  # not a registration date
    assert closed.replies[-1].params["error"]["code"] == "date_not_on_schedule"
    assert "desired_start_date" not in closed.app.answers


def test_an_unknown_reminder_action_is_an_error_never_a_start(service, person):
    service.start(person)
    app = service.handle(person, "損保").app  # stored with its first answer (issue 12)
    with pytest.raises(AssertionError):
        reminding.remind(service.core, app, "activate", service.core.now())  # type: ignore[arg-type]
    assert service.load(app.id).state == "draft"

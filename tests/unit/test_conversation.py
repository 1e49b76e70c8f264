"""Engine and service paths, driven like a person would, on in-memory fakes."""

from __future__ import annotations

import re

from bot.service import Person
from bot.vocabulary import State
from tests.conftest import WITH_USER_CODE, WITHOUT_USER_CODE, asking, last


def test_start_gives_guidance_then_the_industry_question(service, person, renderer):
    outcome = service.start(person)
    kinds = [r.kind for r in outcome.replies]
    assert kinds == ["guidance", "question"]
    assert asking(outcome) == "industry"
    assert "申込 → 受付 → 内容確認中 → 審査終了 → 利用開始" in renderer.reply(outcome.replies[0], "ja")


def test_full_path_without_user_code_files_with_acceptance_number(converse, store, renderer):
    outcome = converse(WITHOUT_USER_CODE)
    assert asking(outcome) == "confirm"
    summary = renderer.reply(last(outcome), "ja")
    assert "ABC損害保険株式会社" in summary and "2027年1月4日（月）" in summary
    assert "システム区分" not in summary  # no fixed user-code settings without a user code
    filed = converse(["登録"])
    assert filed.filed and last(filed).kind == "filed"
    assert re.fullmatch(r"26\d{4}A", filed.acceptance_number)
    assert filed.acceptance_number == "260001A"
    app = filed.app
    assert app.state == State.UNDER_REVIEW
    assert "name_kana" not in app.answers and "fixed_settings" not in app.answers
    trail = store.audit(app.id)
    assert [(e["from"], e["to"]) for e in trail] == [(None, "draft"), ("draft", "under_review")]
    assert [m["action"] for m in store.outbox(app.id) if m["kind"] == "review"] == ["request"]
    notices = [m for m in store.outbox(app.id) if m["kind"] == "notice"]
    assert {(m["notice"], m["role"], m["to"]) for m in notices} == {
        ("acknowledgment", "applicant", "taro@example.co.jp"),
        ("acknowledgment", "admin", "hanako@example.co.jp"),
    }
    assert all(m["params"]["acceptance_number"] == "260001A" for m in notices)
    assert notices[0]["params"]["answer_from"] == "2026-11-27"


def test_full_path_with_user_code_asks_name_tab_and_shows_fixed_settings(converse, renderer):
    outcome = converse(WITH_USER_CODE)
    assert asking(outcome) == "confirm"
    app = outcome.app
    assert app.answers["name_kana"] == "エービーシー"
    summary = renderer.reply(last(outcome), "ja")
    for words in ("システム区分：共用", "シングルサインオン：否", "業種：損害保険会社",
                  "netNACCS処理方式", "識別番号数：1", "すべて否"):
        assert words in summary
    filed = converse(["登録"])
    assert filed.app.answers["fixed_settings"]["system_type"] == "shared"


def test_name_tab_is_asked_right_after_the_administrator(converse):
    outcome = converse(WITH_USER_CODE[:14])
    assert asking(outcome) == "name_kanji"
    outcome = converse(WITHOUT_USER_CODE[:14], Person(key="console:other", channel="console"))
    assert asking(outcome) == "certificate_count"


def test_other_industry_closes_the_draft_with_the_reason(converse, store, renderer):
    outcome = converse(["その他"])
    assert last(outcome).kind == "ineligible"
    assert outcome.app.state == State.CLOSED and outcome.app.closed_reason == "ineligible"
    assert outcome.app.acceptance_number is None
    assert "損害保険会社のみ" in renderer.reply(last(outcome), "ja")
    assert store.audit(outcome.app.id)[-1]["to"] == State.CLOSED
    assert store.pending_outbox() == []
    again = converse(["こんにちは"])  # a new message starts a fresh draft
    assert asking(again) == "industry" and again.app.id != outcome.app.id


def test_wrong_answer_is_re_asked_with_the_reason(converse, renderer):
    outcome = converse(["損保", "ABC損保", "本店", "ABC"])
    reply = last(outcome)
    assert reply.kind == "question" and reply.field == "user_code"
    assert reply.params["error"]["code"] == "user_code_format"
    text = renderer.reply(reply, "ja")
    assert "英数字5文字" in text and "もう一度" in text


def test_third_failure_offers_help_instead_of_repeating(converse, renderer):
    outcome = converse(["損保", "ABC損保", "本店", "x", "y"])
    assert last(outcome).kind == "question"
    outcome = converse(["z"])
    reply = last(outcome)
    assert reply.kind == "help_offer" and reply.field == "user_code"
    text = renderer.reply(reply, "ja")
    assert "入力方法" in text and "【" not in text  # help, not the same question again
    assert asking(converse(["ABC12"])) == "netnaccs_terminals"  # and the answer still works


def test_back_goes_to_the_previous_question_and_keeps_answers(converse):
    outcome = converse(["損保", "ABC損保", "本店"])
    assert asking(outcome) == "user_code"
    outcome = converse(["戻る"])
    assert asking(outcome) == "office_name"
    assert last(outcome).params["current"] == "本店"
    outcome = converse(["東京営業所"])
    assert outcome.app.answers["office_name"] == "東京営業所"
    assert asking(outcome) == "user_code"


def test_back_at_first_question_says_so(converse):
    outcome = converse(["back"])
    assert [r.kind for r in outcome.replies] == ["no_previous", "question"]


def test_edit_from_the_summary_returns_to_the_summary(converse):
    converse(WITHOUT_USER_CODE)
    outcome = converse(["修正 電話番号"])
    assert asking(outcome) == "applicant_phone" and last(outcome).params["editing"]
    outcome = converse(["090-1111-2222"])
    assert asking(outcome) == "confirm"
    assert outcome.app.answers["applicant_phone"] == "090-1111-2222"


def test_bare_edit_offers_a_list_to_pick_from(converse):
    converse(WITHOUT_USER_CODE)
    outcome = converse(["修正"])
    assert last(outcome).kind == "pick_field"
    assert "company_name" in last(outcome).choices
    outcome = converse(["企業名"])
    assert asking(outcome) == "company_name"
    outcome = converse(["XYZ損保"])
    assert asking(outcome) == "confirm" and outcome.app.answers["company_name"] == "XYZ損保"


def test_edit_adding_user_code_asks_the_name_tab_before_the_summary(converse):
    converse(WITHOUT_USER_CODE)
    converse(["edit change items"])
    outcome = converse(["1,2"])
    assert asking(outcome) == "name_kanji"
    outcome = converse(["ABC損保", "エービーシー", "ABC"])
    assert asking(outcome) == "confirm"


def test_submit_needs_the_explicit_word(converse):
    converse(WITHOUT_USER_CODE)
    outcome = converse(["はい"])
    assert not outcome.filed and asking(outcome) == "confirm"
    assert last(outcome).params["error"]["code"] == "confirm_expected"
    assert converse(["submit"]).filed


def test_cancel_asks_then_closes(converse, store):
    converse(["損保", "ABC損保"])
    outcome = converse(["取消"])
    assert last(outcome).kind == "cancel_confirm"
    outcome = converse(["いいえ"])
    assert asking(outcome) == "office_name" and outcome.app.state == "draft"
    converse(["キャンセル"])
    outcome = converse(["はい"])
    assert last(outcome).kind == "cancelled" and outcome.app.state == State.CLOSED
    assert store.audit(outcome.app.id)[-1]["reason"] == "cancelled"


def test_language_switch_keeps_the_question(converse, renderer):
    converse(["損保"])
    outcome = converse(["English"])
    assert outcome.app.lang == "en" and asking(outcome) == "company_name"
    assert "company name" in renderer.reply(last(outcome), outcome.app.lang)
    outcome = converse(["日本語"])
    assert outcome.app.lang == "ja"
    assert "企業名" in renderer.reply(last(outcome), outcome.app.lang)


def test_status_and_help_do_not_change_the_question(converse, renderer):
    converse(["損保", "ABC損保"])
    outcome = converse(["状況"])
    assert outcome.replies[0].kind == "status" and outcome.replies[0].params["answered"] == 2
    assert asking(outcome) == "office_name"
    outcome = converse(["ヘルプ"])
    assert outcome.replies[0].kind == "help" and asking(outcome) == "office_name"
    assert "戻る" in renderer.reply(outcome.replies[0], "ja")


def test_example_at_the_reason_question_shows_sample_reasons(converse, renderer):
    outcome = converse([*WITHOUT_USER_CODE[:7], "例"])
    assert outcome.replies[0].kind == "examples" and asking(outcome) == "change_reason"
    assert "記載例" in renderer.reply(outcome.replies[0], "ja")


def test_date_refused_with_reason_and_three_next_dates(converse):
    outcome = converse([*WITHOUT_USER_CODE[:6], "12月1日"])
    reply = last(outcome)
    assert reply.field == "desired_start_date"
    assert reply.params["error"]["code"] == "date_deadline_passed"
    assert reply.params["error"]["alternatives"] == ["2026-12-16", "2027-01-04", "2027-01-18"]
    assert converse(["12月2日"]).replies[-1].params["error"]["code"] == "date_not_on_schedule"
    assert converse(["2026年11月2日"]).replies[-1].params["error"]["code"] == "date_in_the_past"
    assert converse(["2026年12月"]).replies[-1].params["error"]["code"] == "date_month_without_day"
    outcome = converse(["2"])  # the number of an offered date
    assert outcome.app.answers["desired_start_date"] == "2027-01-04"


def test_date_checked_again_at_submit(converse, clock):
    converse(WITHOUT_USER_CODE)  # 2027-01-04, deadline 2026-12-15
    clock.advance(days=20)  # 2026-12-16: the deadline has passed meanwhile
    outcome = converse(["登録"])
    assert not outcome.filed and asking(outcome) == "desired_start_date"
    assert last(outcome).params["error"]["code"] == "date_deadline_passed"


def test_prefilled_name_is_offered_and_can_be_kept_or_overwritten(service):
    who = Person(key="slack:U1", channel="slack", prefill={"applicant_name": "山田 太郎",
                                                             "applicant_email": "taro@example.co.jp"})
    service.start(who)
    for text in WITHOUT_USER_CODE[:8]:
        outcome = service.handle(who, text)
    assert last(outcome).params["current"] == "山田 太郎"
    outcome = service.handle(who, "そのまま")
    assert outcome.app.answers["applicant_name"] == "山田 太郎"
    service.handle(who, "業務部")
    outcome = service.handle(who, "yamada@example.co.jp")
    assert outcome.app.answers["applicant_email"] == "yamada@example.co.jp"


def test_acceptance_numbers_are_sequential_and_distinct(service):
    numbers = []
    for n in range(3):
        who = Person(key=f"console:{n}", channel="console")
        service.start(who)
        for text in [*WITHOUT_USER_CODE, "登録"]:
            outcome = service.handle(who, text)
        numbers.append(outcome.acceptance_number)
    assert numbers == ["260001A", "260002A", "260003A"]


def test_after_filing_status_reports_the_number_and_a_new_message_starts_over(converse, service, person):
    filed = converse([*WITHOUT_USER_CODE, "登録"])
    outcome = service.handle(person, "状況")
    assert last(outcome).kind == "status" and last(outcome).params["acceptance_number"] == filed.acceptance_number
    outcome = service.handle(person, "新しい申込をお願いします")
    assert asking(outcome) == "industry" and outcome.app.id != filed.app.id


def test_every_turn_is_saved(converse, store):
    before = store.commits
    converse(["損保", "ABC損保"])
    assert store.commits == before + 2  # two answers (since issue 12 a start stores nothing)


def test_fill_takes_several_answers_and_reports_each_rejection(service, person, renderer):
    service.start(person)
    outcome = service.fill(person, {"industry": "損保", "company_name": "ABC損保", "office_name": "本店",
                                    "user_code": "ABC", "netnaccs_terminals": "3", "name_kana": "カナ"})
    filled = outcome.replies[0]
    assert filled.kind == "filled"
    assert filled.params["accepted"] == ["industry", "company_name", "office_name", "netnaccs_terminals"]
    assert filled.params["errors"]["user_code"]["code"] == "user_code_format"
    assert filled.params["errors"]["name_kana"]["code"] == "not_applicable"
    assert outcome.replies[-1].field == "user_code"  # the first rejected one is asked next
    text = renderer.reply(filled, "ja")
    assert "利用者コード（現在）：利用者コードは英数字5文字です" in text


def test_fill_everything_reaches_the_summary(service, person):
    from bot.fields import ORDER
    values = dict(zip([k for k in ORDER if not k.startswith("name_")], WITHOUT_USER_CODE, strict=True))
    outcome = service.fill(person, values)
    assert outcome.created and outcome.replies[-1].kind == "summary"
    assert service.handle(person, "登録").filed


def test_a_redelivered_message_is_handled_once(service, person, store):
    service.start(person)
    first = service.handle(person, "損保", key="Ev1")
    commits = store.commits
    again = service.handle(person, "損保", key="Ev1")
    assert again.duplicate and again.replies == [] and store.commits == commits
    assert service.handle(person, "ABC損保", key="Ev2").app.answers["company_name"] == "ABC損保"
    assert first.app.id == again.app.id


def test_a_redelivered_first_message_does_not_start_a_second_draft(service, person, store):
    first = service.handle(person, "こんにちは", key="<m1@example.jp>")
    commits = store.commits
    again = service.handle(person, "こんにちは", key="<m1@example.jp>")
    assert again.duplicate and again.replies == [] and store.commits == commits
    assert service.applications_of(person) == []  # a greeting stores no empty draft
    answered = service.handle(person, "1", key="<m2@example.jp>")
    assert [a.id for a in service.applications_of(person)] == [first.app.id == answered.app.id and answered.app.id]

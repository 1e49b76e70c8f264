"""Reviewer decisions in the core: one decision per filing, reasons required, notices queued."""

from __future__ import annotations

import pytest

from bot.service import Person
from tests.conftest import file_application


@pytest.fixture
def filed(service, person):
    return file_application(service, person)


def test_approve_with_a_different_start_date_queues_the_confirmation(service, store, filed):
    result = service.decide(filed.acceptance_number, decision="approve", actor="slack:UREV",
                            start_date="2027-01-18", comment="よろしくお願いします")
    assert result.applied and result.app.state == "approved"
    assert result.app.review["by"] == "slack:UREV"
    confirmations = [m for m in store.outbox(filed.id) if m.get("notice") == "confirmation"]
    assert {m["role"] for m in confirmations} == {"applicant", "admin"}
    assert confirmations[0]["params"]["start_date"] == "2027-01-18"
    assert confirmations[0]["params"]["start_date_differs"] is True
    assert store.audit(filed.id)[-1] | {"at": None} == {
        "at": None, "actor": "slack:UREV", "action": "transition", "from": "under_review",
        "to": "approved", "reason": "よろしくお願いします"}


def test_second_decision_changes_nothing(service, store, filed):
    assert service.decide(filed.acceptance_number, decision="reject", actor="slack:U1", reason="重複").applied
    outbox = store.outbox(filed.id)
    again = service.decide(filed.acceptance_number, decision="approve", actor="slack:U2",
                           start_date="2027-01-04")
    assert not again.applied and again.problem == "already_decided"
    assert again.app.review["by"] == "slack:U1"  # who decided, for the message
    assert store.outbox(filed.id) == outbox and again.app.state == "rejected"


@pytest.mark.parametrize("kwargs, problem", [
    ({"decision": "return"}, "reason_required"),
    ({"decision": "reject", "reason": "  "}, "reason_required"),
    ({"decision": "approve"}, "start_date_required"),
    ({"decision": "approve", "start_date": "2027-01-05"}, "start_date_not_on_schedule"),
    ({"decision": "approve", "start_date": "2026-11-16"}, "start_date_in_the_past"),
])
def test_invalid_decisions_are_refused_with_the_reason(service, filed, kwargs, problem):
    result = service.decide(filed.acceptance_number, actor="slack:U1", **kwargs)
    assert not result.applied and result.problem == problem
    assert service.find(filed.acceptance_number).state == "under_review"


def test_unknown_number(service):
    assert service.decide("269999A", decision="reject", actor="x", reason="r").problem == "not_found"


def test_returned_application_is_edited_and_refiled_under_the_same_number(service, store, person, filed):
    service.decide(filed.acceptance_number, decision="return", actor="slack:U1", reason="電話番号をご確認ください")
    returned = [m for m in store.outbox(filed.id) if m.get("notice") == "returned"]
    assert returned and returned[0]["params"]["reason"] == "電話番号をご確認ください"
    outcome = service.handle(person, "修正 電話番号")
    assert outcome.replies[-1].field == "applicant_phone"
    outcome = service.handle(person, "090-1234-5678")
    assert outcome.replies[-1].field == "confirm"
    outcome = service.handle(person, "登録")
    assert outcome.filed and outcome.acceptance_number == filed.acceptance_number
    assert outcome.app.state == "under_review" and outcome.app.review is None
    states = [(e["from"], e["to"]) for e in store.audit(filed.id)]
    assert states[-2:] == [("under_review", "returned"), ("returned", "under_review")]


def test_replies_to_a_channel_person_are_queued_with_the_answer(service, store):
    who = Person(key="slack:U9", channel="slack", address="U9")
    outcome = service.start(who)
    [queued] = store.pending_outbox()  # from the record that asks (no empty draft is stored)
    assert queued["channel"] == "slack" and queued["to"] == "U9"
    assert [r["kind"] for r in queued["replies"]] == ["guidance", "question"]
    service.handle(who, "損保")
    assert store.outbox(outcome.app.id)[-1]["replies"][-1]["field"] == "company_name"


def test_applicant_withdraws_before_approval_after_confirming(service, store, person, filed):
    outcome = service.handle(person, "取下げ")
    assert outcome.replies[0].kind == "withdraw_confirm" and outcome.app.state == "under_review"
    outcome = service.handle(person, "いいえ")
    assert outcome.replies[0].kind == "withdraw_kept" and outcome.app.state == "under_review"
    service.handle(person, "withdraw")
    outcome = service.handle(person, "はい")
    assert outcome.replies[0].kind == "withdrawn" and outcome.app.state == "withdrawn"
    assert {m["notice"] for m in store.outbox(filed.id) if m["kind"] == "notice"} == {
        "acknowledgment", "withdrawn"}
    assert store.audit(filed.id)[-1]["to"] == "withdrawn"
    late = service.decide(filed.acceptance_number, decision="approve", actor="slack:U1",
                          start_date="2027-01-04")
    assert not late.applied and late.problem == "already_decided"


def test_no_withdrawal_after_approval(service, person, filed):
    service.decide(filed.acceptance_number, decision="approve", actor="slack:U1", start_date="2027-01-04")
    outcome = service.handle(person, "取下げ")
    # nothing to withdraw: told so with the state (since issue 12 no new draft is started)
    assert outcome.app.id == filed.id and [r.kind for r in outcome.replies] == ["status", "after_filing"]
    assert outcome.replies[-1].params["refused"] == "withdraw" and not outcome.replies[-1].params["withdrawable"]
    assert len(service.applications_of(person)) == 1
    assert service.find(filed.acceptance_number).state == "approved"


def test_approval_issues_sealed_codes_per_certificate_for_the_applicant_only(service, store, filed):
    service.decide(filed.acceptance_number, decision="approve", actor="slack:U1", start_date="2027-01-04")
    app = service.find(filed.acceptance_number)
    codes = service.id_codes(app)
    assert len(codes) == int(app.answers["certificate_count"]) == 2
    for c in codes:
        assert len(c["access_key"]) == 16 and len(c["auth_codes"]) == 3
        assert all(len(code) == 8 and code.isdigit() for code in c["auth_codes"])
        assert c["issued_on"] == "2026-11-26"
    assert codes[0]["access_key"] != codes[1]["access_key"]
    assert app.id_notice["expires_on"] == "2027-01-05"
    id_notes = [m for m in store.outbox(app.id) if m.get("notice") == "id_notification"]
    assert {m["role"] for m in id_notes} == {"applicant"}
    raw = str(store.outbox(app.id)) + str(store.audit(app.id))
    assert not any(c["access_key"] in raw or c["auth_codes"][0] in raw for c in codes)


def test_documents_on_request_go_to_the_person_where_they_asked(service, store, clock):
    from tests.conftest import file_application

    who = Person(key="email:taro@example.co.jp", channel="email", address="taro@example.co.jp")
    filed = file_application(service, who)
    outcome = service.handle(who, "申込書")
    assert outcome.replies[0].kind == "document_sent"
    sent = [m for m in store.outbox(filed.id) if m.get("notice") == "document"]
    assert [(m["channel"], m["to"], m["params"]["document"]) for m in sent] == [
        ("email", "taro@example.co.jp", "form")]
    outcome = service.handle(who, "承認通知")  # not approved yet
    assert outcome.replies[0].kind == "document_not_yet" and outcome.replies[0].params["start_date"] is None
    service.decide(filed.acceptance_number, decision="approve", actor="cli:op", start_date="2027-01-04")
    assert service.handle(who, "承認通知").replies[0].params["start_date"] == "2027-01-04"  # before it
    clock.current = clock.current.replace(year=2027, month=1, day=4)
    assert service.handle(who, "approval notice").replies[0].kind == "document_sent"
    assert [m["params"]["document"] for m in store.outbox(filed.id) if m.get("notice") == "document"] == [
        "form", "notice"]


def test_documents_in_the_terminal_point_to_the_operator_command(service, person, filed):
    outcome = service.handle(person, "申込書")
    assert outcome.replies[0].kind == "document_command"

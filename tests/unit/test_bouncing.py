"""The core's part of a bounce (``ReportBounce``): the message failed, the applicant told where
they can be reached other than the address that bounced, once."""

from __future__ import annotations

from typing import Any

import pytest

from bot import commands as C
from bot.config import BUNDLED_SCHEDULE
from bot.service import Person, Service
from handlers.bootstrap import load_schedule
from handlers.render import Renderer
from tests.conftest import file_application
from tests.fakes import MemoryStore, PlainVault

TARO, HANAKO = "taro@example.co.jp", "hanako@example.co.jp"
REASON = "550 5.1.1 <hanako@example.co.jp>: Recipient address rejected: User unknown"


def message(store: MemoryStore, app_id: str, **match: Any) -> dict[str, Any]:
    [found] = [m for m in store.outbox(app_id) if all(m.get(k) == v for k, v in match.items())]
    return found


def bounce(service: Service, app_id: str, message_id: str, key: str = "<dsn-1@relay.test>") -> Any:
    return service.dispatch(C.ReportBounce(app_id=app_id, message_id=message_id, address=HANAKO,
                                           reason=REASON, status="5.1.1", key=key))


def told(store: MemoryStore, app_id: str) -> list[dict[str, Any]]:
    return [m for m in store.outbox(app_id) if m.get("notice") == "bounced"]


def test_the_administrators_bounced_notice_fails_and_the_applicant_is_told_by_mail(service, store, person):
    app = file_application(service, person)
    ack = message(store, app.id, notice="acknowledgment", role="admin")
    outcome = bounce(service, app.id, ack["id"])
    assert not outcome.duplicate
    failed = message(store, app.id, id=ack["id"])
    assert (failed["status"], failed["last_error"], failed["bounce_status"]) == ("failed", REASON, "5.1.1")
    assert failed["bounced"].startswith("2026-11-26T10:00")
    [notice] = told(store, app.id)
    assert (notice["channel"], notice["to"], notice["role"], notice["kind"]) == ("email", TARO, "applicant", "notice")
    params = notice["params"]
    assert (params["field"], params["address"], params["state"], params["acceptance_number"]) == \
        ("admin_email", HANAKO, "under_review", app.acceptance_number)
    assert store.audit(app.id)[-1]["action"] == "mail_bounced" and HANAKO in store.audit(app.id)[-1]["reason"]
    for lang in ("ja", "en"):  # and it reads
        body = Renderer().block("notices/bounced.j2", "body", lang, role="applicant", **params)
        assert HANAKO in body and app.acceptance_number in body and "{" not in body


def test_the_same_report_twice_or_a_second_report_of_the_same_failure_tells_once(service, store, person):
    app = file_application(service, person)
    ack = message(store, app.id, notice="acknowledgment", role="admin")
    bounce(service, app.id, ack["id"])
    assert bounce(service, app.id, ack["id"]).duplicate  # the same DSN delivered again
    assert bounce(service, app.id, ack["id"], key="<dsn-2@other.test>").duplicate  # another MTA's report
    assert len(told(store, app.id)) == 1
    assert [e["action"] for e in store.audit(app.id)].count("mail_bounced") == 1


def test_the_applicants_own_address_bouncing_is_not_answered_by_mail_to_it(service, store, person):
    app = file_application(service, person)
    ack = message(store, app.id, notice="acknowledgment", role="applicant")
    bounce(service, app.id, ack["id"])
    assert message(store, app.id, id=ack["id"])["status"] == "failed"
    assert told(store, app.id) == []  # no other way to reach them: the operator's outbox listing shows it


def test_an_applicant_known_in_slack_is_told_in_their_dm(service, store):
    slack = Person(key="slack:UAPP1", channel="slack", aliases=(f"email:{TARO}",), address="UAPP1")
    app = file_application(service, slack)
    ack = message(store, app.id, notice="acknowledgment", role="admin")
    bounce(service, app.id, ack["id"])
    [notice] = told(store, app.id)
    assert (notice["channel"], notice["to"]) == ("slack", "UAPP1")


def test_a_mail_person_is_told_at_the_address_they_write_from(service, store):
    mail = Person(key="email:taro.private@example.jp", channel="email", address="taro.private@example.jp")
    app = file_application(service, mail)  # applicant_email is TARO, the person writes from elsewhere
    ack = message(store, app.id, notice="acknowledgment", role="applicant")
    bounce(service, app.id, ack["id"])
    [notice] = told(store, app.id)
    assert (notice["channel"], notice["to"], notice["params"]["field"]) == \
        ("email", "taro.private@example.jp", "applicant_email")


def test_a_reviewers_address_bouncing_tells_no_applicant(store, clock, person):
    service = Service(store=store, clock=clock, schedule=load_schedule(BUNDLED_SCHEDULE), vault=PlainVault(),
                      review_channels=("email:rev@example.co.jp",))
    app = file_application(service, person)
    request = message(store, app.id, kind="review")
    bounce(service, app.id, request["id"])
    assert message(store, app.id, id=request["id"])["status"] == "failed" and told(store, app.id) == []


def test_a_report_naming_no_message_changes_nothing(service, store, person):
    app = file_application(service, person)
    before = (store.outbox(app.id), store.audit(app.id), store.commits)
    outcome = bounce(service, app.id, "no-such-message")
    assert not outcome.duplicate and (store.outbox(app.id), store.audit(app.id), store.commits) == before
    assert bounce(service, "0000000000000000", "x").app is None


class ArchivingStore(MemoryStore):
    """A store that keeps sent messages only in its history (as TinyStore after a checkpoint):
    ``outbox`` lists them, ``mark_outbox`` no longer finds them."""

    def mark_outbox(self, app_id: str, message_id: str, status: str, **info: Any) -> None:
        if any(m["id"] == message_id and m["status"] == "sent" for m in self.outboxes.get(app_id, [])):
            raise KeyError(message_id)
        super().mark_outbox(app_id, message_id, status, **info)


def test_a_message_only_in_the_history_comes_back_as_failed(clock, person):
    store = ArchivingStore()
    service = Service(store=store, clock=clock, schedule=load_schedule(BUNDLED_SCHEDULE), vault=PlainVault())
    app = file_application(service, person)
    ack = message(store, app.id, notice="acknowledgment", role="admin")
    store.mark_outbox(app.id, ack["id"], "sent", attempts=1, sent_at="2026-11-26T10:00:01+09:00")
    bounce(service, app.id, ack["id"])
    copies = [m for m in store.outbox(app.id) if m["id"] == ack["id"]]
    assert [m["status"] for m in copies] == ["sent", "failed"]  # the failed one written with the notice
    failed = copies[-1]
    assert (failed["to"], failed["notice"], failed["last_error"], failed["attempts"]) == (HANAKO, "acknowledgment",
                                                                                          REASON, 1)
    assert len(told(store, app.id)) == 1


@pytest.mark.parametrize("state", ["draft", "returned"])
def test_before_filing_or_when_returned_the_notice_says_how_to_correct_it(service, store, person, state):
    app = file_application(service, person)
    ack = message(store, app.id, notice="acknowledgment", role="admin")
    if state == "returned":
        assert service.decide(app.acceptance_number, decision="return", actor="cli:op", reason="要確認").applied
    else:  # a draft: the record says so (no mail goes to the administrator before filing today)
        record = store.records[app.id]
        record["state"] = "draft"
    bounce(service, app.id, ack["id"])
    [notice] = told(store, app.id)
    assert notice["params"]["state"] == state
    body = Renderer().block("notices/bounced.j2", "body", "ja", role="applicant", **notice["params"])
    assert "「修正 管理責任者メール」とお送りいただき" in body
    assert ("改めて「登録」とお送りください" in body) == (state == "returned")

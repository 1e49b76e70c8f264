"""What notices and status replies carry for their texts: who they are addressed to, the day
a reminder's draft closes, the reason an application was returned."""

from __future__ import annotations

from click.testing import CliRunner

from handlers.cli import main
from tests.conftest import file_application


def test_notices_carry_the_address_block_and_the_administrator_s_name(service, person, store):
    app = file_application(service, person)
    [ack, *_] = [m for m in store.outbox(app.id) if m.get("notice") == "acknowledgment"]
    assert ack["params"]["applicant_department"] == "業務部"
    assert ack["params"]["admin_name"] == "鈴木 花子"
    service.decide(app.acceptance_number, decision="return", actor="cli:op", reason="電話番号をご確認ください")
    returned = [m for m in store.outbox(app.id) if m.get("notice") == "returned"]
    assert returned and returned[0]["params"]["admin_name"] == "鈴木 花子"
    [status] = [r for r in service.handle(person, "状況").replies if r.kind == "status"]
    assert status.params["state"] == "returned" and status.params["reason"] == "電話番号をご確認ください"


def test_the_idle_reminder_names_the_last_day_to_answer(service, store, clock):
    from bot.service import Person

    slack = Person(key="slack:UIDLE", channel="slack", address="UIDLE")
    app = service.start(slack).app
    service.handle(slack, "損害保険会社")  # 2026-11-26 10:00
    clock.advance(days=1, hours=1)
    assert service.run_reminders() == 1
    [reminder] = [m for m in store.outbox(app.id) if (m.get("params") or {}).get("reminder") == "idle"]
    assert reminder["params"]["answer_by"] == "2026-12-09"  # closed after 14 days without an answer


def test_the_dates_command_takes_today_in_any_form_the_chat_reads():
    result = CliRunner().invoke(main, ["dates", "来週の火曜日", "--today", "２０２６年１１月２６日"])
    assert result.exit_code == 0 and result.output.strip() == "2026-12-01"

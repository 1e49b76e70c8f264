"""The command line writes under the same lock while ``serve`` runs: each sees the other's
writes at once (serve keeps its state in memory and follows the journal)."""

from __future__ import annotations

import asyncio

from bot.service import Person
from tests.beside import cli
from tests.conftest import BOTH, WITHOUT_USER_CODE
from tests.email.conftest import TARO
from tests.email.mailer import eventually

pytestmark = BOTH  # on TinyDB files and on PostgreSQL


async def test_a_decision_from_the_shell_reaches_the_running_service(service):
    core = service.bot.service
    taro = Person(key=f"email:{TARO}", channel="email", address=TARO)
    hanako = Person(key="email:other@example.co.jp", channel="email", address="other@example.co.jp")
    core.start(taro)
    for text in [*WITHOUT_USER_CODE, "登録"]:
        outcome = core.handle(taro, text)
    number = outcome.acceptance_number
    await service.settled()

    def meanwhile() -> None:  # serve goes on with another person while the shell writes
        core.start(hanako)
        for text in WITHOUT_USER_CODE[:8]:
            core.handle(hanako, text)

    worker = asyncio.create_task(asyncio.to_thread(meanwhile))
    decided = await asyncio.to_thread(cli, service.bot, "review", "approve", number, "--start-date", "2027-01-04")
    await worker
    assert decided.returncode == 0, decided.stderr

    assert core.find(number).state == "approved"  # serve's memory has the shell's write
    service.running.dispatcher.wake()
    await service.settled()
    notices = [m["X-WebNACCS-Notice"] for m in service.folder.all()]
    assert notices.count("confirmation") == 2, notices  # the applicant and the administrator
    assert core.open_draft(hanako).answers["change_reason"]  # and nothing of the other turns lost

    # the shell sees serve's writes too
    shown = await asyncio.to_thread(cli, service.bot, "applications", "show", number)
    assert shown.returncode == 0 and "approved" in shown.stdout.replace("審査終了", "approved")


async def test_a_retry_from_the_shell_is_delivered_by_the_running_service(service):
    core = service.bot.service
    taro = Person(key=f"email:{TARO}", channel="email", address=TARO)
    core.start(taro)
    [message] = service.bot.store.pending_outbox(["email"])
    app_id = message["app_id"]  # the record that asks the first question
    service.bot.store.mark_outbox(app_id, message["id"], "failed", last_error="550 no such user")
    await service.settled()
    assert service.folder.all() == []

    retried = await asyncio.to_thread(cli, service.bot, "outbox", "retry", f"{app_id}/{message['id']}")
    assert retried.returncode == 0, retried.stderr
    service.running.dispatcher.wake()
    [mail] = await eventually(lambda: service.folder.all() or None, what="the retried mail")
    assert mail["To"] == TARO

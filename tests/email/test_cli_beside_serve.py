"""The command line writes under the same lock while ``serve`` runs: each sees the other's
writes at once (serve keeps its state in memory and follows the journal)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bot.service import Person
from tests.conftest import BOTH, WITHOUT_USER_CODE
from tests.email.conftest import SECRET, TARO
from tests.email.mailer import eventually

pytestmark = BOTH  # on TinyDB files and on PostgreSQL

ROOT = Path(__file__).resolve().parents[2]


def cli(service, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WEBNACCS_DATA_DIR": str(service.bot.config.data_dir), "WEBNACCS_SECRET": SECRET,
           "WEBNACCS_LANG": "ja", "WEBNACCS_DATABASE_URL": service.bot.config.database_url or ""}
    return subprocess.run([sys.executable, "-m", "handlers", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


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
    decided = await asyncio.to_thread(cli, service, "review", "approve", number, "--start-date", "2027-01-04")
    await worker
    assert decided.returncode == 0, decided.stderr

    assert core.find(number).state == "approved"  # serve's memory has the shell's write
    service.running.dispatcher.wake()
    await service.settled()
    notices = [m["X-WebNACCS-Notice"] for m in service.folder.all()]
    assert notices.count("confirmation") == 2, notices  # the applicant and the administrator
    assert core.open_draft(hanako).answers["change_reason"]  # and nothing of the other turns lost

    # the shell sees serve's writes too
    shown = await asyncio.to_thread(cli, service, "applications", "show", number)
    assert shown.returncode == 0 and "approved" in shown.stdout.replace("審査終了", "approved")


async def test_a_retry_from_the_shell_is_delivered_by_the_running_service(service):
    core = service.bot.service
    taro = Person(key=f"email:{TARO}", channel="email", address=TARO)
    app = core.start(taro).app
    [message] = service.bot.store.pending_outbox(["email"])
    service.bot.store.mark_outbox(app.id, message["id"], "failed", last_error="550 no such user")
    await service.settled()
    assert service.folder.all() == []

    retried = await asyncio.to_thread(cli, service, "outbox", "retry", f"{app.id}/{message['id']}")
    assert retried.returncode == 0, retried.stderr
    service.running.dispatcher.wake()
    [mail] = await eventually(lambda: service.folder.all() or None, what="the retried mail")
    assert mail["To"] == TARO

"""Nothing accepted is lost: the spool on disk, and a service killed between 250 and processing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from store.spool import Spool
from tests.email.conftest import BOT, TARO
from tests.email.mailer import new_mail, send

ROOT = Path(__file__).resolve().parents[2]


def test_spool_keeps_messages_in_arrival_order_until_done(tmp_path):
    spool = Spool(tmp_path / "spool")
    first = spool.put(b"one\r\n", {"mail_from": "a@x", "rcpt_tos": ["b@y"]})
    second = spool.put(b"two\r\n", {"mail_from": "c@x", "rcpt_tos": ["d@y"]})
    assert spool.names() == [first, second]
    assert oct(os.stat(tmp_path / "spool" / first).st_mode & 0o777) == "0o600"
    again = Spool(tmp_path / "spool").read(first)  # a new process sees the same
    assert (again.raw, again.envelope["rcpt_tos"]) == (b"one\r\n", ["b@y"])
    spool.done(first)
    spool.set_aside(second)
    assert spool.names() == [] and (tmp_path / "spool" / "failed" / second).exists()


async def test_a_mail_accepted_before_a_kill_is_processed_after_the_restart(tmp_path, config,
                                                                             start_service):
    child = subprocess.Popen([sys.executable, "-m", "tests.email.runner", str(config.data_dir)],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=60)
        port = json.loads(line)["port"]
        await send(port, new_mail(sender=TARO, to=BOT, subject="申込"), sender=TARO, to=BOT)  # 250
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.to_thread(child.wait)
    assert len(Spool(config.data_dir / "spool").names()) == 1
    assert not (config.data_dir / "mail").exists()

    service = await start_service(config)
    await service.settled()
    [mail] = service.folder.new()
    assert mail["To"] == TARO and mail["X-WebNACCS-Field"] == "industry"
    assert service.channel.spool.names() == []


async def test_a_mail_processed_but_left_in_the_spool_by_a_crash_is_not_handled_twice(config, start_service):
    service = await start_service(config)
    raw = new_mail(sender=TARO, to=BOT, subject="申込", message_id="<once@example.co.jp>")
    await send(service.port, raw, sender=TARO, to=BOT)
    await service.settled()
    assert len(service.folder.new()) == 1
    await service.stop()
    # as if the process died after the core saved the answer but before the spool file went
    Spool(config.data_dir / "spool").put(raw, {"mail_from": TARO, "rcpt_tos": [BOT]})

    again = await start_service(config)
    await again.settled()
    assert len(again.folder.all()) == 1  # the one reply from the first time, nothing more
    assert [r.action for _, r in again.channel.results] == ["duplicate"]

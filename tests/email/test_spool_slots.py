"""An accepted mail is kept with one fdatasync: written into an empty file made ahead (its folder
fsynced once for many). Empty files are no mail, a mail is never listed while it is written, and
what a crash left that is no mail (empty, cut short) is removed when the service starts."""

from __future__ import annotations

import json
import os
import threading

from store.counters import COUNTERS
from store.slots import Slots
from store.spool import SUFFIX, Spool

RAW = b"From: taro@example.co.jp\r\nSubject: x\r\n\r\nbody\r\n"
ENVELOPE = {"mail_from": "taro@example.co.jp", "rcpt_tos": ["webnaccs@localhost"], "peer": "127.0.0.1"}


def settle(spool: Spool) -> None:
    """Wait for the background batch of empty files, if one is being made."""
    making = spool._slots._making
    if making is not None:
        making.join(10)


def test_a_mail_costs_one_fdatasync_and_empty_files_are_no_mail(tmp_path):
    spool = Spool(tmp_path / "spool")
    first = spool.put(RAW, ENVELOPE)  # makes the first batch (one folder fsync)
    settle(spool)
    before = COUNTERS.fsyncs
    second = spool.put(RAW, {**ENVELOPE, "peer": "127.0.0.2"})
    assert COUNTERS.fsyncs - before == 1
    assert spool.names() == [first, second] and spool.counts() == (2, 0)
    files = [n for n in os.listdir(tmp_path / "spool") if n.endswith(SUFFIX)]
    assert len(files) > 2  # the empty ones made ahead are there, and are not listed
    mail = spool.read(second)
    assert mail.raw == RAW and mail.envelope == {**ENVELOPE, "peer": "127.0.0.2"}  # the size is not part of it
    assert oct(os.stat(tmp_path / "spool" / second).st_mode & 0o777) == "0o600"


def test_names_keep_the_order_mails_came_in_across_batches(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool._slots = Slots(spool.folder, SUFFIX, batch=4)
    put = []
    for n in range(30):
        put.append(spool.put(RAW + str(n).encode(), ENVELOPE))
        settle(spool)
    assert spool.names() == put
    assert [spool.read(n).raw for n in spool.names()] == [RAW + str(n).encode() for n in range(30)]


def test_a_mail_being_written_is_not_listed(tmp_path, monkeypatch):
    spool = Spool(tmp_path / "spool")
    first = spool.put(RAW, ENVELOPE)
    settle(spool)
    seen: list[list[str]] = []
    real = os.fdatasync

    def looking(fd: int) -> None:  # the periodic look runs while the next mail is written
        looker = threading.Thread(target=lambda: seen.append(spool.names()))
        looker.start()
        looker.join()
        real(fd)

    monkeypatch.setattr(os, "fdatasync", looking)
    second = spool.put(RAW, ENVELOPE)
    assert seen == [[first]] and spool.names() == [first, second]


def test_an_empty_file_removed_by_someone_else_is_skipped(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.put(RAW, ENVELOPE)
    settle(spool)
    gone = spool._slots._free[0]
    (spool.folder / gone).unlink()
    name = spool.put(RAW, ENVELOPE)
    assert name != gone and spool.read(name).raw == RAW


def test_a_failed_write_leaves_no_mail(tmp_path, monkeypatch):
    spool = Spool(tmp_path / "spool")
    spool.put(RAW, ENVELOPE)
    settle(spool)

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdatasync", full)
    try:
        spool.put(RAW, ENVELOPE)
    except OSError as e:
        assert e.errno == 28
    else:
        raise AssertionError("the write did not fail")
    assert spool.counts() == (1, 0)


def test_the_start_removes_what_a_crash_left_and_keeps_every_whole_mail(tmp_path):
    folder = tmp_path / "spool"
    spool = Spool(folder)
    whole = spool.put(RAW, ENVELOPE)
    settle(spool)
    header = json.dumps({**ENVELOPE, "size": len(RAW)}).encode()
    cut = "00000000000000000001-deadbeef" + SUFFIX  # killed while it was written: never acknowledged
    (folder / cut).write_bytes(header + b"\n" + RAW[:10])
    cut_in_header = "00000000000000000002-deadbeef" + SUFFIX
    (folder / cut_in_header).write_bytes(header[:15])
    older = "00000000000000000003-deadbeef" + SUFFIX  # written by an earlier release: no size, whole
    (folder / older).write_bytes(json.dumps(ENVELOPE).encode() + b"\n" + RAW)
    assert set(spool.names()) == {whole, cut, cut_in_header, older}

    after = Spool(folder)  # the service starts again
    removed = after.sweep()
    assert after.names() == [older, whole]
    assert removed >= 2 + 1  # the two cut short and the empty ones made ahead
    assert sorted(n for n in os.listdir(folder) if n.endswith(SUFFIX)) == [older, whole]
    assert after.read(older).envelope == ENVELOPE and after.read(older).raw == RAW

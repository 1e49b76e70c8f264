"""The crash-safe file layer under TinyStore."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from store import atomic
from store.atomic import AtomicJSONStorage, is_temp_file, open_db, read_json


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_read_of_missing_or_empty_file_is_none(tmp_path):
    storage = AtomicJSONStorage(tmp_path / "missing.json")
    assert storage.read() is None
    assert not (tmp_path / "missing.json").exists()  # reading never creates a file
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "blank.json").write_bytes(b" \n")
    assert AtomicJSONStorage(tmp_path / "empty.json").read() is None
    assert AtomicJSONStorage(tmp_path / "blank.json").read() is None


def test_write_keeps_japanese_as_utf8(tmp_path):
    path = tmp_path / "db.json"
    AtomicJSONStorage(path).write({"t": {"1": {"name": "東京海上日動"}}})
    raw = path.read_bytes()
    assert "東京海上日動".encode() in raw
    assert json.loads(raw) == {"t": {"1": {"name": "東京海上日動"}}}


def test_new_files_are_0600_and_new_folders_0700(tmp_path, umask_022):
    path = tmp_path / "a" / "b" / "db.json"
    AtomicJSONStorage(path).write({})
    assert mode(path) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700


def test_failed_rename_leaves_old_content_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": "old"}}})

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        storage.write({"t": {"1": {"v": "new"}}})
    assert read_json(path) == {"t": {"1": {"v": "old"}}}
    assert os.listdir(tmp_path) == ["db.json"]


def test_unencodable_data_fails_before_any_file_io(tmp_path):
    path = tmp_path / "db.json"
    calls = []
    with pytest.raises(TypeError):
        AtomicJSONStorage(path).write({"t": {"1": {"v": object()}}}, calls.append)
    with pytest.raises(ValueError):
        AtomicJSONStorage(path).write({"t": {"1": {"v": float("nan")}}})
    assert calls == []
    assert not path.exists()


def test_buffered_db_writes_many_changes_in_one_write(tmp_path, monkeypatch):
    writes = []
    real = atomic.atomic_write_bytes
    monkeypatch.setattr(atomic, "atomic_write_bytes", lambda p, b: (writes.append(p), real(p, b)))
    path = tmp_path / "app.json"
    db, buffer = open_db(path)
    db.table("record").insert({"id": "x"})
    db.table("audit").insert_multiple([{"n": 1}, {"n": 2}])
    db.table("outbox").insert({"id": "m1"})
    assert writes == [] and not path.exists()
    assert buffer.flush() is True
    assert writes == [path]
    assert set(read_json(path)) == {"record", "audit", "outbox"}
    assert buffer.flush() is False  # nothing new: no second write
    assert writes == [path]


def test_unflushed_batch_is_abandoned(tmp_path):
    path = tmp_path / "app.json"
    db, _ = open_db(path)
    db.table("record").insert({"id": "x"})
    db.close()
    assert not path.exists()


def test_temp_file_names_are_recognisable():
    assert is_temp_file(".abc.json.0123456789ab.tmp")
    assert not is_temp_file("abc.json")
    assert not is_temp_file(".lock")

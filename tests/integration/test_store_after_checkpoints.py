"""What the TinyDB store must survive around checkpoints, found by the crash drill
(``bench/bench_crash.py``): a history line torn by a killed checkpoint, and a process following
the journal (the CLI beside ``serve``) whose segment a checkpoint dropped before it read it."""

from __future__ import annotations

from store import TinyStore
from store.tiny.layout import Layout


def record(app_id: str, **fields: object) -> dict[str, object]:
    return {"id": app_id, "state": "draft", "people": ["slack:U1"], **fields}


def test_a_history_line_torn_by_a_killed_checkpoint_loses_no_audit_entry(tmp_path):
    data = tmp_path / "data"
    store = TinyStore(data)
    store.own()
    store.commit(record("a1", n=1), audit=[{"to": "draft", "n": 1}])
    store.checkpoint()  # history: the first entry, a whole line
    store.commit(record("a1", n=2), audit=[{"to": "under_review", "n": 2}])
    store.close()
    # A checkpoint killed in apps.archive: part of the line for entry 2 reached the history
    # (no newline), the application file and the index were not written, the journal segment
    # with entry 2 is still there (what the store relies on: "its content is still in the journal").
    history = Layout(data).history("a1")
    whole = history.read_bytes()
    history.write_bytes(whole + b'{"rev":2,"n":0,"audit":{"to":"under_r')

    store = TinyStore(data)  # the next start: replays the journal and checkpoints again
    store.own()
    store.checkpoint()
    store.close()

    store = TinyStore(data)
    assert [e.get("n") for e in store.audit("a1")] == [1, 2]


def test_a_follower_sees_what_was_committed_before_a_checkpoint_dropped_its_segment(tmp_path):
    data = tmp_path / "data"
    serve = TinyStore(data)
    serve.own()
    serve.commit(record("a1", n=1))
    cli = TinyStore(data)  # follows the journal: a1 at its first commit
    assert cli.get("a1")["n"] == 1
    serve.commit(record("a1", n=2))  # appended to the segment cli was reading …
    serve.checkpoint()  # … which this drops: the second commit is now only in a1's file
    try:
        assert cli.get("a1")["n"] == 2
    finally:
        cli.close()
        serve.close()


def test_a_commit_by_a_follower_after_such_a_checkpoint_reaches_serve(tmp_path):
    data = tmp_path / "data"
    serve = TinyStore(data)
    serve.own()
    serve.commit(record("a1", n=1))
    cli = TinyStore(data)
    assert cli.get("a1")["n"] == 1
    serve.commit(record("a1", n=2))
    serve.checkpoint()
    with cli.locked():
        cli.commit(record("a1", n=3, decision="approve"))  # acknowledged once this returns
    cli.close()
    try:
        assert serve.get("a1")["n"] == 3
    finally:
        serve.close()
    assert TinyStore(data).get("a1")["n"] == 3

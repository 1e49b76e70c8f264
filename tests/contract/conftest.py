"""Every Store adapter, one contract: each test here runs on TinyDB files and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from store import TinyStore
from tests import pg


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture(params=["tiny", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[..., Any]]:
    """``open(clock=None)``: a new store instance on the same backing (a reopening, or another
    process or replica); every instance opened is closed at the end."""
    opened: list[Any] = []
    if request.param == "tiny":
        def open_tiny(clock: Any = None) -> Any:
            store = TinyStore(tmp_path / "data", clock=clock)
            opened.append(store)
            return store

        open_tiny.kind = "tiny"  # type: ignore[attr-defined]
        yield open_tiny
    else:
        from store.postgres import PgStore

        with pg.fresh_schema() as url:
            def open_pg(clock: Any = None) -> Any:
                store = PgStore(url, clock=clock, pool_size=4)
                opened.append(store)
                return store

            open_pg.kind = "postgres"  # type: ignore[attr-defined]
            yield open_pg
            for store in opened:
                store.close()
            opened.clear()
    for store in opened:
        store.close()


@pytest.fixture
def store(backend: Callable[..., Any]) -> Any:
    return backend()

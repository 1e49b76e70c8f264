from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from bot.application import Application
from bot.config import BUNDLED_SCHEDULE
from bot.conversation import Reply
from bot.service import Outcome, Person, Service
from handlers.bootstrap import load_schedule
from handlers.render import Renderer
from store import TinyStore
from tests import pg
from tests.fakes import FixedClock, MemoryStore, PlainVault, clock_at

# A whole application without a new user code, answer by answer (today = 2026-11-26).
WITHOUT_USER_CODE = [
    "損害保険会社", "ＡＢＣ損害保険株式会社", "本店", "abc12", "3", "1",
    "2027年1月4日", "WebNACCSを利用するため端末を追加します。",
    "山田 太郎", "業務部", "taro@example.co.jp", "03-1234-5678",
    "鈴木 花子", "hanako@example.co.jp", "2", "なし",
]
# The same with a new user code: the name tab comes after the administrator.
WITH_USER_CODE = [
    *WITHOUT_USER_CODE[:5], "1,2", *WITHOUT_USER_CODE[6:14],
    "ＡＢＣ損害保険", "えーびーしー", "ABC Fire", "2", "なし",
]


@pytest.fixture
def clock() -> FixedClock:
    return clock_at("2026-11-26T10:00")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(store: MemoryStore, clock: FixedClock) -> Service:
    return Service(store=store, clock=clock, schedule=load_schedule(BUNDLED_SCHEDULE),
                   vault=PlainVault())


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def person() -> Person:
    return Person(key="console:test", channel="console")


@pytest.fixture
def converse(service: Service, person: Person) -> Callable[..., Outcome]:
    """Start (if needed) and send each message; returns the outcome of the last one."""

    def run(messages: list[str], who: Person = person) -> Outcome:
        outcome = service.start(who) if service.open_draft(who) is None else None
        for text in messages:
            outcome = service.handle(who, text)
        assert outcome is not None
        return outcome

    return run


def file_application(service: Service, person: Person, answers: list[str] = WITHOUT_USER_CODE) -> Application:
    """Start, answer everything and submit; returns the filed application."""
    service.start(person)
    for text in [*answers, "登録"]:
        outcome = service.handle(person, text)
    assert outcome.filed, outcome.replies
    assert outcome.app is not None
    return outcome.app


def asking(outcome: Outcome) -> str | None:
    """The field the last reply asks for."""
    return last(outcome).field


def last(outcome: Outcome) -> Reply:
    return outcome.replies[-1]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """None (TinyDB files), or with ``indirect`` parametrisation "postgres": a fresh schema's URL
    for WEBNACCS_DATABASE_URL; every store the bot opens on it is closed before it is dropped."""
    if getattr(request, "param", "tiny") == "tiny":
        yield None
        return
    from handlers import bootstrap
    from tests import pg

    with pg.fresh_schema() as url:
        made = []
        real = bootstrap.open_store

        def recording(config):
            store = real(config)
            made.append(store)
            return store

        monkeypatch.setattr(bootstrap, "open_store", recording)
        yield url
        for store in made:
            store.close()


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



BOTH = pytest.mark.parametrize("database_url", ["tiny", "postgres"], indirect=True)

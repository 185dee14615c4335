"""Shared fixtures: a fake clock, settings on a temporary database, a console chat."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.messages import Reply
from bot.settings import Settings
from messengers.console import ConsoleAdapter
from scenarios.models import Programme
from tests import postgres


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


PG_SERVER = postgres.server_url()
PG = postgres.RunDatabase(PG_SERVER) if PG_SERVER else None
BACKENDS = ["sqlite", "postgres"] if PG else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that touches storage runs on SQLite, and on PostgreSQL when there is one."""
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_path=tmp_path / "bot.sqlite3",
        database_url=PG.new_schema_url() if PG and backend == "postgres" else "",
        coordinators=[("console", "alice")],
        default_locale="ru",
    )


@pytest.fixture
def pg_url() -> str:
    """A fresh PostgreSQL schema's URL, for tests that are about PostgreSQL itself."""
    if PG is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL: set TEST_DATABASE_URL (.ci/run does)")
        pytest.skip("PostgreSQL not available: set TEST_DATABASE_URL=postgresql://127.0.0.1:5432/test")
    return PG.new_schema_url()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test is about the SQLite file itself (backup API, WAL, busy "
        "errors); it is not generated for PostgreSQL",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dropped = [i for i in items if i.get_closest_marker("sqlite_only") and "[postgres" in i.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if PG is not None:
        PG.drop()
        marker = os.environ.get("POSTGRES_TESTS_RAN_FILE")
        if marker:
            Path(marker).write_text(str(PG.tests))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if PG is None:
        terminalreporter.write_line(
            "PostgreSQL was not tested: none answers at 127.0.0.1:5432 and TEST_DATABASE_URL is not "
            "set (set it to a server's postgresql://… URL to run every storage test on it too)", yellow=True,
        )
    else:
        terminalreporter.write_line(f"PostgreSQL: {PG.tests} tests ran on {PG_SERVER.rsplit('@', 1)[-1]}")


class ConsoleChat:
    """Drive the bot through the console adapter and read back what each user got."""

    def __init__(self, app: App, adapter: ConsoleAdapter) -> None:
        self.app = app
        self.adapter = adapter
        self._read: dict[str, int] = {}

    def as_user(self, name: str) -> ConsoleChat:
        self.adapter.user = name
        return self

    async def say(self, line: str, user: str | None = None) -> list[Reply]:
        """Type a line as `user` (or the current one); return the new replies to that user."""
        if user is not None:
            self.adapter.user = user
        who = self.adapter.user
        self.new(who)
        await self.adapter.type(line)
        return self.new(who)

    async def press(self, payload: str) -> None:
        """Press a button by its payload, as an old message's button would be pressed."""
        await self.send(payload=payload)

    async def send(self, **fields: object) -> None:
        await self.app.core.handle(self.adapter._incoming(**fields))

    def new(self, user: str) -> list[Reply]:
        """Replies to `user` not yet read."""
        replies = [r for chat, r in self.adapter.transcript if chat == user]
        start = self._read.get(user, 0)
        self._read[user] = len(replies)
        return replies[start:]

    def all(self, user: str) -> list[Reply]:
        return [r for chat, r in self.adapter.transcript if chat == user]

    def last(self, user: str | None = None) -> Reply:
        return self.all(user or self.adapter.user)[-1]


def texts(replies: list[Reply]) -> str:
    return "\n---\n".join(r.text for r in replies)


async def make_chat(
    settings: Settings, clock: FakeClock, *, programme: Programme | None = None
) -> tuple[App, ConsoleChat]:
    app = await App(settings, clock=clock, programme=programme).start(background=False)
    adapter = ConsoleAdapter(app.core, out=io.StringIO())
    app.s.delivery.register(adapter)
    return app, ConsoleChat(app, adapter)


@pytest.fixture
async def chat(settings: Settings, clock: FakeClock) -> AsyncIterator[ConsoleChat]:
    app, console = await make_chat(settings, clock)
    try:
        yield console
    finally:
        await app.stop()


APPLICATION = [
    "Иванова Мария Петровна",
    "maria@example.ru",
    "МБОУ СОШ № 5",
    "Учитель начальных классов",
    "Казань, Республика Татарстан",
]


async def fill_application(chat: ConsoleChat, user: str = "intern") -> None:
    """Walk one intern through the whole application up to the summary, then submit."""
    await chat.say("/start", user)
    for answer in APPLICATION:
        await chat.say(answer, user)
    await chat.say("2", user)  # Moscow
    await chat.say("1", user)  # consent
    await chat.say("1", user)  # submit

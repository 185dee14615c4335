"""PostgreSQL for the suite: a database of this run's own, a schema per test.

TEST_DATABASE_URL names a server and a database to connect to first (on the machines
here postgresql://127.0.0.1:5432/test, tried when the variable is unset). The run creates
`internbot_test_<pid>` there, each test gets a schema of its own in it (PgDatabase creates
the schema named by `search_path` in its URL), and the database is dropped at the end.
Under CI (CI=true) a PostgreSQL that cannot be reached fails the run: the tests that
need it must run there.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_URL = "postgresql://127.0.0.1:5432/test"
_schemas = itertools.count(1)


def server_url() -> str | None:
    """The admin URL to use, or None when no PostgreSQL answers (and CI is not set)."""
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL
    if not os.environ.get("TEST_DATABASE_URL") and not _port_open(url):
        return None
    try:
        asyncio.run(_ping(url))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        if os.environ.get("TEST_DATABASE_URL") or os.environ.get("CI"):
            raise RuntimeError(f"TEST_DATABASE_URL: PostgreSQL cannot be reached: {exc}") from exc
        return None
    return url


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=0.5):
            return True
    except OSError:
        return False


async def _ping(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=5)
    await conn.close()


def with_database(url: str, name: str, **query: str) -> str:
    parts = urlsplit(url)
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", q, ""))


class RunDatabase:
    """The run's own database on the server, created on first use and dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"internbot_test_{os.getpid()}"
        self.created = False
        self.tests = 0

    def create(self) -> None:
        if not self.created:
            asyncio.run(self._run(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"'))
            self.created = True

    def drop(self) -> None:
        if self.created:
            asyncio.run(self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.created = False

    def new_schema_url(self) -> str:
        """A URL whose objects all land in a fresh schema (created by the bot on open)."""
        self.create()
        self.tests += 1
        return with_database(self.admin_url, self.name, search_path=f"t{next(_schemas)}")

    async def _run(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

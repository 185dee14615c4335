"""bench/cores.py: the PostgreSQL figures' bot and local server on cores of their own."""

from __future__ import annotations

import contextlib
import os

import asyncpg
import pytest

from bench import cores


async def test_the_bot_and_a_local_server_get_cores_of_their_own_and_then_theirs_back(
    pg_url: str,
) -> None:
    """pg_url for its policy (skipped without PostgreSQL, failed under CI)."""
    from tests.conftest import PG_SERVER

    assert PG_SERVER is not None
    mine = os.sched_getaffinity(0)
    pids = await cores.server_processes(PG_SERVER)
    before = {pid: os.sched_getaffinity(pid) for pid in pids}
    async with cores.split_from_server(PG_SERVER) as how:
        if how == cores.SEPARATE:
            bot = os.sched_getaffinity(0)
            assert len(bot) == 1 and bot < mine
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):  # a backend that ended meanwhile
                    assert not os.sched_getaffinity(pid) & bot, pid
            conn = await asyncpg.connect(PG_SERVER)  # a backend forked now inherits the set
            try:
                backend = await conn.fetchval("SELECT pg_backend_pid()")
                assert not os.sched_getaffinity(backend) & bot
            finally:
                await conn.close()
        else:
            assert os.sched_getaffinity(0) == mine
    if os.environ.get("CI") and len(mine) > 1 and os.geteuid() == 0:
        assert how == cores.SEPARATE, "CI runs the server on this machine, as root"
    assert os.sched_getaffinity(0) == mine
    for pid, cpus in before.items():
        with contextlib.suppress(ProcessLookupError):
            assert os.sched_getaffinity(pid) == cpus


async def test_a_server_elsewhere_is_left_alone(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pid reported by a server on another host means nothing here: nothing is moved."""
    from tests.conftest import PG_SERVER

    assert PG_SERVER is not None
    monkeypatch.setattr(cores, "_cmdline", lambda pid: "")  # our database not in its command line
    assert await cores.server_processes(PG_SERVER) == []
    mine = os.sched_getaffinity(0)
    async with cores.split_from_server(PG_SERVER) as how:
        assert how == cores.SHARED and os.sched_getaffinity(0) == mine

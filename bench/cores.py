"""The bot on one core, a local PostgreSQL server on the others, while a phase runs.

The PostgreSQL figures are meant for a deployment whose database is the institute's own
server, or at least not fighting the bot for its core. On a small machine shared with a
local server they are not: the bot is one thread, and each time the scheduler hands its
core to a PostgreSQL backend every update in flight waits. Measured on a 2-core machine
at ~1,050 updates/s, single runs: p99 21-144 ms (most under 40) with the cores split,
24-489 ms (median ~90) shared, the statements themselves under 3 ms at p99 in both
(docs/performance.md). So the PostgreSQL phases run
with the cores split when the server is on this machine and may be moved (same user or
root), and the figures say which way they were measured; `pg_engine_*_shared_cores` in
the details are the same phases on shared cores.

The server's processes get their CPU sets back when the phase ends; backends started
during it (the pool's) end with it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

SHARED = "shared"
SEPARATE = "separate"


def _stat(pid: int) -> tuple[str, int] | None:
    """(command name, parent pid) of a process, from /proc; None if it is gone or hidden."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    return name, int(text[text.rindex(")") + 2:].split()[1])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


async def server_processes(url: str) -> list[int]:
    """The local PostgreSQL server's postmaster and its children; [] when the server is not
    on this machine (a backend of ours, named with our database, must be visible here)."""
    conn = await asyncpg.connect(url, timeout=5)
    try:
        backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
        database = str(await conn.fetchval("SELECT current_database()"))
        stat = _stat(backend)
        if stat is None or not stat[0].startswith("postgres") or database not in _cmdline(backend):
            return []  # another host's pid, or another process that happens to have it
        postmaster = stat[1]
    finally:
        await conn.close()
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = _stat(int(entry.name))
            if child is not None and child[1] == postmaster:
                children.append(int(entry.name))
    return [postmaster, *children]


@contextlib.asynccontextmanager
async def split_from_server(url: str) -> AsyncIterator[str]:
    """Yield SEPARATE with this process on its first allowed CPU and the server on the rest,
    or SHARED (nothing moved) when that cannot be done here; restore everything after."""
    mine = os.sched_getaffinity(0)
    cpus = sorted(mine)
    pids = await server_processes(url) if len(cpus) > 1 else []
    moved: dict[int, set[int]] = {}
    try:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # a backend that just ended
                before = os.sched_getaffinity(pid)
                os.sched_setaffinity(pid, cpus[1:])
                moved[pid] = before
        if moved:
            os.sched_setaffinity(0, {cpus[0]})
    except PermissionError:
        _restore(moved)
        moved = {}
    try:
        yield SEPARATE if moved else SHARED
    finally:
        os.sched_setaffinity(0, mine)
        _restore(moved)


def _restore(moved: dict[int, set[int]]) -> None:
    for pid, cpus in moved.items():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.sched_setaffinity(pid, cpus)

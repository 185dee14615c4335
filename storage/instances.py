"""Instances sharing one database: heartbeats, and leases on roles only one may play.

Times are ISO strings from the injected clock, compared as text like every moment in
this schema. A lease is taken in one statement (insert, or update when expired or
already ours), so two instances asking at once cannot both get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import from_iso, to_iso
from storage.connection import Connection
from storage.db import fetchall


async def heartbeat(conn: Connection, name: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO instances(name, started_at, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
        (name, to_iso(now), to_iso(now)),
    )


async def restarted(conn: Connection, name: str, now: datetime) -> None:
    """A process starting under a name: its start time is now (the row may be a former run's)."""
    await conn.execute(
        "INSERT INTO instances(name, started_at, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, seen_at = excluded.seen_at",
        (name, to_iso(now), to_iso(now)),
    )


async def live(conn: Connection, now: datetime, within: timedelta) -> list[str]:
    rows = await fetchall(
        conn, "SELECT name FROM instances WHERE seen_at >= ? ORDER BY name", (to_iso(now - within),)
    )
    return [r["name"] for r in rows]


async def take_lease(conn: Connection, lease: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew `lease` for `holder` unless another live holder has it; True if ours."""
    rows = await conn.execute_fetchall(
        "INSERT INTO leases(name, holder, expires_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
        " WHERE leases.holder = excluded.holder OR leases.expires_at < ? RETURNING holder",
        (lease, holder, to_iso(now + ttl), to_iso(now)),
    )
    return any(r[0] == holder for r in rows)


async def release(conn: Connection, lease: str, holder: str) -> None:
    await conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (lease, holder))


@dataclass(frozen=True, slots=True)
class Holding:
    lease: str
    holder: str
    expires_at: datetime


async def holdings(conn: Connection, now: datetime) -> list[Holding]:
    rows = await fetchall(
        conn, "SELECT name, holder, expires_at FROM leases WHERE expires_at >= ? ORDER BY name",
        (to_iso(now),),
    )
    return [Holding(r["name"], r["holder"], from_iso(r["expires_at"])) for r in rows]

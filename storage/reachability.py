"""Who the bot can no longer reach: every account of the person refused delivery."""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection
from storage.db import fetchall


@dataclass(frozen=True, slots=True)
class Unreachable:
    person_id: int
    since: str
    """When the last of their accounts stopped taking messages (ISO): one episode."""
    platforms: list[str]


async def unreachable_interns(conn: Connection) -> list[Unreachable]:
    """Active interns none of whose accounts takes messages any more."""
    rows = await fetchall(
        conn,
        "SELECT a.person_id, MAX(a.unreachable_at) AS since, GROUP_CONCAT(a.platform) AS platforms"
        " FROM accounts a INDEXED BY accounts_unreachable"
        " JOIN persons p ON p.id = a.person_id AND p.deleted_at IS NULL"
        " WHERE a.unreachable_at IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM roles r WHERE r.person_id = a.person_id AND r.role = 'intern')"
        " AND NOT EXISTS (SELECT 1 FROM accounts b WHERE b.person_id = a.person_id"
        " AND b.unreachable_at IS NULL)"
        " GROUP BY a.person_id ORDER BY a.person_id",
    )
    return [Unreachable(r["person_id"], r["since"], sorted(set(r["platforms"].split(","))))
            for r in rows]

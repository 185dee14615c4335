"""Link codes and merging two persons into one when they link their accounts.

The merge finds every column that points at a person from the schema itself
(foreign keys to `persons`, and any `person_id` column), so tables added by later
features follow the person without this module knowing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage import catalog
from storage.connection import Connection
from storage.db import fetchone

KEEP_FIELDS = ("full_name", "email", "locale", "timezone")
TRANSIENT = frozenset({"dialog_state"})
"""What the merged-away person was doing this minute: dropped, not carried over, since it
may point at rows (a half-filled form) that the kept person's own rows replace."""


@dataclass(frozen=True, slots=True)
class LinkCode:
    code: str
    person_id: int
    account_id: int


async def create_code(conn: Connection, code: str, person_id: int, account_id: int,
                      now: datetime, expires: datetime) -> None:
    """Store a new code; the person's earlier unused codes stop working."""
    await conn.execute("DELETE FROM link_codes WHERE person_id = ? AND used_at IS NULL", (person_id,))
    await conn.execute(
        "INSERT INTO link_codes(code, person_id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (code, person_id, account_id, to_iso(now), to_iso(expires)),
    )


async def use_code(conn: Connection, code: str, now: datetime) -> LinkCode | None:
    """Spend a valid code (unused, not expired) and return it; None when it is not valid."""
    row = await fetchone(
        conn,
        "UPDATE link_codes SET used_at = ? WHERE code = ? AND used_at IS NULL AND expires_at > ?"
        " RETURNING code, person_id, account_id",
        (to_iso(now), code, to_iso(now)),
    )
    return LinkCode(row["code"], row["person_id"], row["account_id"]) if row else None


async def person_columns(conn: Connection) -> list[tuple[str, str]]:
    """(table, column) of every column that refers to a person, except persons itself."""
    return await catalog.person_references(conn)


async def _weight(conn: Connection, columns: list[tuple[str, str]], person_id: int) -> int:
    total = 0
    for table, column in columns:
        if table in ("accounts", "link_codes"):
            continue
        row = await fetchone(conn, f'SELECT COUNT(*) AS n FROM "{table}" WHERE "{column}" = ?', (person_id,))
        total += row["n"] if row else 0
    return total


async def merge(conn: Connection, a: int, b: int, now: datetime) -> tuple[int, int]:
    """Merge persons `a` and `b`; return (kept, merged away).

    The person with more history is kept (the older on a tie), so linking a fresh
    account never overwrites real progress. Where both have a row that may exist only
    once (a form's progress, a team membership), the kept person's row wins.
    The merged-away person is marked deleted, never removed, so nothing cascades.
    """
    columns = await person_columns(conn)
    weights = {a: await _weight(conn, columns, a), b: await _weight(conn, columns, b)}
    keep, drop = sorted((a, b), key=lambda p: (-weights[p], p))
    for table, column in columns:
        if table in TRANSIENT:
            await conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (drop,))
        # Move the rows the kept person has no counterpart of (the kept row wins where a
        # unique key would clash), then drop the rest: SQLite's UPDATE OR IGNORE, spelled
        # with NOT EXISTS so PostgreSQL takes it too.
        clashes = [key for key in await catalog.unique_keys(conn, table) if column in key]
        guard = "".join(
            f' AND NOT EXISTS (SELECT 1 FROM "{table}" AS o WHERE '
            + " AND ".join(f'o."{c}" = ?' if c == column else f'o."{c}" = "{table}"."{c}"' for c in key)
            + ")"
            for key in clashes
        )
        move = f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?{guard}'
        await conn.execute(move, (keep, drop, *([keep] * len(clashes))))
        await conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (drop,))
    fill = ", ".join(
        f"{f} = COALESCE({f}, (SELECT {f} FROM persons WHERE id = ?))" for f in KEEP_FIELDS
    )
    await conn.execute(f"UPDATE persons SET {fill} WHERE id = ?", (*([drop] * len(KEEP_FIELDS)), keep))
    await conn.execute("UPDATE persons SET deleted_at = ? WHERE id = ?", (to_iso(now), drop))
    return keep, drop

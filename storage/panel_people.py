"""The panel's people and teams tables: every intern with team, tutor, last activity and
whether the bot can reach them, sorted, filtered and paged on the server.

Two steps per page: the filtered, sorted ids of one page (one query over the cohort,
only the sort key computed per row), then the page's details for those ids alone, so a
page of 50 costs the same for 300 interns as for 3,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage.connection import Connection
from storage.db import fetchall, fetchone
from storage.stages import FINISHED

PEOPLE_SORTS = ("name", "team", "tutor", "seen", "id")
STATES = ("done", "working", "waiting", "unfinished")
"""A stage's state for the filter: finished, open or returned, not started, not finished."""
_WORKING = ("open", "returned")


@dataclass(frozen=True, slots=True)
class PeopleFilter:
    text: str = ""
    """A part of the name (full name or the messenger's display name)."""
    team: str = ""
    """"": any team; "0": without a team; a team id."""
    tutor: int | None = None
    reach: str = ""
    """"": everyone; "yes": the bot reaches them; "no": every account refuses messages."""
    stage: str = ""
    state: str = ""
    scope: frozenset[int] | None = None
    """Only these people (a tutor's teams); None: the whole cohort."""


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    full_name: str | None
    email: str | None
    team_id: int | None
    team: str | None
    tutor_id: int | None
    seen: str | None
    reachable: bool
    platforms: list[str]


@dataclass(slots=True)
class PeoplePage:
    total: int
    rows: list[PersonRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TeamRow:
    id: int
    name: str
    tutor_id: int | None
    size: int


_COHORT = (
    " FROM persons p JOIN roles r ON r.person_id = p.id AND r.role = 'intern'"
    " LEFT JOIN team_members m ON m.person_id = p.id LEFT JOIN teams t ON t.id = m.team_id"
)
_SEEN = "(SELECT MAX(a.last_seen_at) FROM accounts a WHERE a.person_id = p.id)"
_REACHABLE = "EXISTS (SELECT 1 FROM accounts b WHERE b.person_id = p.id AND b.unreachable_at IS NULL)"
_SHOWN = ("COALESCE(p.full_name, (SELECT a.display_name FROM accounts a WHERE a.person_id = p.id"
          " ORDER BY a.last_seen_at DESC LIMIT 1), '')")


def _contains(text: str) -> list[str]:
    """SQLite's LIKE folds case for ASCII only: try the text as typed, capitalised and lower."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sorted({f"%{escaped}%", f"%{escaped[:1].upper()}{escaped[1:]}%", f"%{escaped.lower()}%"})


def _where(where: PeopleFilter) -> tuple[str, list[Any]]:
    clauses = ["p.deleted_at IS NULL"]
    params: list[Any] = []
    if where.scope is not None:
        ids = sorted(where.scope) or [0]
        clauses.append(f"p.id IN ({','.join('?' * len(ids))})")
        params += ids
    if where.text:
        patterns = _contains(where.text)
        like = " OR ".join("p.full_name LIKE ? ESCAPE '\\'" for _ in patterns)
        names = " OR ".join("a.display_name LIKE ? ESCAPE '\\'" for _ in patterns)
        clauses.append(f"(({like}) OR (p.full_name IS NULL AND EXISTS (SELECT 1 FROM accounts a"
                       f" WHERE a.person_id = p.id AND ({names}))))")
        params += [*patterns, *patterns]
    if where.team == "0":
        clauses.append("m.team_id IS NULL")
    elif where.team.isdigit():
        clauses.append("m.team_id = ?")
        params.append(int(where.team))
    if where.tutor is not None:
        clauses.append("t.tutor_id = ?")
        params.append(where.tutor)
    if where.reach == "yes":
        clauses.append(_REACHABLE)
    elif where.reach == "no":
        clauses.append("NOT " + _REACHABLE)
    if where.stage and where.state in STATES:
        wanted = {"done": FINISHED, "working": _WORKING, "waiting": (*FINISHED, *_WORKING),
                  "unfinished": FINISHED}[where.state]
        marks = ",".join("?" * len(wanted))
        exists = (f"EXISTS (SELECT 1 FROM stage_status s WHERE s.person_id = p.id AND s.stage_id = ?"
                  f" AND s.status IN ({marks}))")
        clauses.append(exists if where.state in ("done", "working") else "NOT " + exists)
        params += [where.stage, *wanted]
    return " WHERE " + " AND ".join(clauses), params


async def people_page(
    conn: Connection, where: PeopleFilter, *, sort: str = "name", descending: bool = False,
    offset: int = 0, limit: int = 50,
) -> PeoplePage:
    condition, params = _where(where)
    order = {
        "name": f"{_SHOWN} COLLATE NOCASE",
        "team": "COALESCE(t.name, '') COLLATE NOCASE",
        "tutor": "COALESCE((SELECT tp.full_name FROM persons tp WHERE tp.id = t.tutor_id), '')"
                 " COLLATE NOCASE",
        "seen": f"COALESCE({_SEEN}, '')",
        "id": "p.id",
    }.get(sort, "p.id")
    direction = "DESC" if descending else "ASC"
    total = await fetchone(conn, f"SELECT COUNT(*) AS n{_COHORT}{condition}", params)
    ids = [r["id"] for r in await fetchall(
        conn, f"SELECT p.id{_COHORT}{condition} ORDER BY {order} {direction}, p.id {direction}"
        " LIMIT ? OFFSET ?", [*params, limit, offset])]
    page = PeoplePage(int(total["n"]) if total else 0)
    page.rows = await details(conn, ids)
    return page


async def details(conn: Connection, ids: list[int]) -> list[PersonRow]:
    """These people (in this order) with team, tutor, last activity and reachability."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await fetchall(
        conn,
        f"SELECT p.id, p.full_name, p.email, t.id AS team_id, t.name AS team, t.tutor_id, {_SEEN} AS seen,"
        f" CASE WHEN {_REACHABLE} THEN 1 ELSE 0 END AS reachable,"
        " (SELECT group_concat(DISTINCT c.platform) FROM accounts c WHERE c.person_id = p.id) AS platforms"
        " FROM persons p LEFT JOIN team_members m ON m.person_id = p.id"
        f" LEFT JOIN teams t ON t.id = m.team_id WHERE p.id IN ({marks})",
        ids,
    )
    found = {r["id"]: PersonRow(
        r["id"], r["full_name"], r["email"], r["team_id"], r["team"], r["tutor_id"], r["seen"],
        bool(r["reachable"]), sorted(set((r["platforms"] or "").split(",")) - {""}),
    ) for r in rows}
    return [found[i] for i in ids if i in found]


async def is_intern(conn: Connection, person_id: int) -> bool:
    row = await fetchone(
        conn, "SELECT 1 AS x FROM persons p JOIN roles r ON r.person_id = p.id AND r.role = 'intern'"
        " WHERE p.id = ? AND p.deleted_at IS NULL", (person_id,))
    return row is not None


async def statuses_of_many(conn: Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    """Each person's stage statuses (stage id -> status), for a page of people."""
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    if not ids:
        return found
    marks = ",".join("?" * len(ids))
    for r in await fetchall(
        conn, f"SELECT person_id, stage_id, status FROM stage_status WHERE person_id IN ({marks})", ids
    ):
        found[r["person_id"]][r["stage_id"]] = r["status"]
    return found


async def teams_overview(conn: Connection, tutor_id: int | None = None) -> list[TeamRow]:
    """Every team (or one tutor's) with its tutor and the number of its active members."""
    scope, params = ("WHERE t.tutor_id = ?", [tutor_id]) if tutor_id is not None else ("", [])
    rows = await fetchall(
        conn,
        "SELECT t.id, t.name, t.tutor_id, (SELECT COUNT(*) FROM team_members m JOIN persons p"
        " ON p.id = m.person_id AND p.deleted_at IS NULL WHERE m.team_id = t.id) AS size"
        f" FROM teams t {scope} ORDER BY t.id",
        params,
    )
    return [TeamRow(r["id"], r["name"], r["tutor_id"], int(r["size"])) for r in rows]


async def without_team(conn: Connection) -> int:
    row = await fetchone(
        conn, "SELECT COUNT(*) AS n FROM persons p JOIN roles r ON r.person_id = p.id AND r.role = 'intern'"
        " WHERE p.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.person_id = p.id)")
    return int(row["n"]) if row else 0


async def team_stage_done(conn: Connection) -> dict[tuple[int, str], int]:
    """(team, stage) -> members who finished that stage, in one pass for the per-team table."""
    marks = ",".join("?" * len(FINISHED))
    rows = await fetchall(
        conn,
        "SELECT m.team_id, s.stage_id, COUNT(*) AS n FROM stage_status s"
        " JOIN team_members m ON m.person_id = s.person_id"
        " JOIN persons p ON p.id = s.person_id AND p.deleted_at IS NULL"
        f" WHERE s.status IN ({marks}) GROUP BY m.team_id, s.stage_id",
        FINISHED,
    )
    return {(r["team_id"], r["stage_id"]): int(r["n"]) for r in rows}

"""Who a broadcast goes to, written as a short spec that fits in a button payload.

`all` (interns), `tutors`, `stage:<id>` (working on that stage now: open or returned),
`team:<id>`, `missing:<id>` (have not finished that stage), `survey` (have not answered
the reflection survey: the programme's last form stage), `platform:<name>` (interns
whose latest account is on that messenger). Deleted people are never included.
"""

from __future__ import annotations

from scenarios.models import Programme
from scenarios.stage_work import survey_stage
from storage import cohort, persons, teams
from storage.connection import Connection
from storage.db import fetchall
from storage.stages import FINISHED


def valid(spec: str, programme: Programme) -> bool:
    kind, _, arg = spec.partition(":")
    if kind in ("all", "tutors", "survey"):
        return not arg and (kind != "survey" or survey_stage(programme) is not None)
    if kind in ("stage", "missing"):
        return arg in {s.id for s in programme.stages}
    if kind == "team":
        return arg.isdigit()
    return kind == "platform" and bool(arg)


async def resolve(conn: Connection, programme: Programme, spec: str) -> list[int]:
    """Person ids, sorted; an unknown spec resolves to nobody rather than everybody."""
    if not valid(spec, programme):
        return []
    kind, _, arg = spec.partition(":")
    if kind == "tutors":
        return await persons.persons_with_role(conn, "tutor")
    if kind == "team":
        return await teams.members(conn, int(arg))
    interns = await cohort.interns(conn)
    if kind == "all":
        return interns
    if kind == "survey":
        kind, arg = "missing", survey_stage(programme) or ""
    if kind == "stage":
        rows = await fetchall(
            conn, "SELECT person_id FROM stage_status WHERE stage_id = ?"
            " AND status IN ('open', 'returned')", (arg,),
        )
        chosen = {r["person_id"] for r in rows}
        return [p for p in interns if p in chosen]
    if kind == "missing":
        marks = ",".join("?" * len(FINISHED))
        rows = await fetchall(
            conn, f"SELECT person_id FROM stage_status WHERE stage_id = ? AND status IN ({marks})",
            (arg, *FINISHED),
        )
        done = {r["person_id"] for r in rows}
        return [p for p in interns if p not in done]
    rows = await fetchall(
        conn,
        "SELECT a.person_id FROM accounts a WHERE a.platform = ? AND a.id = (SELECT b.id FROM"
        " accounts b WHERE b.person_id = a.person_id ORDER BY b.last_seen_at DESC, b.id DESC LIMIT 1)",
        (arg,),
    )
    on_platform = {r["person_id"] for r in rows}
    return [p for p in interns if p in on_platform]


async def platforms(conn: Connection) -> list[str]:
    rows = await fetchall(conn, "SELECT DISTINCT platform FROM accounts ORDER BY platform")
    return [r["platform"] for r in rows]

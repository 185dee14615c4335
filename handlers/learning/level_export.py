"""The export's sheets of learning paths: each intern's levels, the figures an institute
reports upward (completed, by region and organisation, with the level change), and the
bank of solutions.

Plain rows (title, header, rows): handlers/coordination/exports.py wraps them in its
sheets, so this module needs nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.clock import from_iso
from bot.i18n import Texts
from bot.people import names
from scenarios.diagnostic import END, START
from scenarios.models import Programme, pick
from scenarios.routes import completion_for
from storage import bank, cohort, forms, levels
from storage.completion import passed
from storage.connection import Connection
from storage.levels import LevelRow

Cell = str | int | float | None
Rows = tuple[str, str, list[str], list[list[Cell]]]
"""(key, title, header, rows) of one sheet."""
TIME_FORMAT = "%d.%m.%Y"


def complete(programme: Programme, level: str | None, pid: int,
             statuses: dict[tuple[int, str], str]) -> bool:
    """Every completion criterion on the intern's route is met."""
    return all(passed(programme.stage(s), statuses.get((pid, s))) for s in completion_for(programme, level))


def _mark(programme: Programme, row: LevelRow | None) -> str:
    diagnostic = programme.diagnostic
    if diagnostic is None or row is None or row.start_level is None or row.end_level is None:
        return ""
    start, end = diagnostic.rank(row.start_level) or 0, diagnostic.rank(row.end_level) or 0
    # arrows, not +1/-1: a cell starting with + or - is escaped as a possible formula
    return f"↑{end - start}" if end > start else ("=" if end == start else f"↓{start - end}")


async def sheets(
    conn: Connection, programme: Programme, texts: Texts, lang: str, interns: list[int],
    people: dict[int, Any], statuses: dict[tuple[int, str], str],
) -> list[Rows]:
    def t(key: str, **params: Any) -> str:
        return texts.get(lang, f"levelexport.{key}", **params)

    out: list[Rows] = []
    diagnostic = programme.diagnostic
    rows = await levels.of_people(conn, interns)
    answers = await cohort.answers(conn, interns)

    def name_of(level_id: str | None) -> str | None:
        level = diagnostic.level(level_id) if diagnostic else None
        return pick(level.name, lang) if level else None

    if diagnostic is not None:
        header = [t("col.id"), t("col.name"), t("col.team"), t("col.region"), t("col.organisation"),
                  t("col.route_level"), t("col.start_level"), t("col.start_score"), t("col.end_level"),
                  t("col.end_score"), t("col.change"), t("col.set_by_coordinator"), t("col.complete"),
                  t("col.lines_start"), t("col.lines_end")]
        sheet: list[list[Cell]] = []
        for pid in interns:
            row = rows.get(pid)
            lines: list[str] = []
            for which in (START, END):
                sitting = await forms.get(conn, pid, which)
                sent = sitting is not None and sitting.status == "submitted"
                per = diagnostic.line_scores(which, sitting.answers) if sitting and sent else {}
                lines.append("; ".join(f"{texts.get(lang, f'levels.line.{k}')} {a}/{b}"
                                       for k, (a, b) in per.items()))
            sheet.append([
                pid, people[pid]["full_name"], people[pid]["team"],
                str(answers.get(pid, {}).get("region") or "") or None,
                str(answers.get(pid, {}).get("organisation") or "") or None,
                name_of(row.level if row else None), name_of(row.start_level if row else None),
                row.start_score if row else None, name_of(row.end_level if row else None),
                row.end_score if row else None, _mark(programme, row) or None,
                t("yes") if row and row.changed_by is not None else t("no"),
                t("yes") if complete(programme, row.level if row else None, pid, statuses) else t("no"),
                lines[0] or None, lines[1] or None,
            ])
        out.append(("levels", t("sheet.levels"), header, sheet))
    out.append(_report(programme, interns, rows, answers, statuses, t, name_of))
    out.append(await _bank(conn, programme, texts, lang, t))
    return out


def _report(
    programme: Programme, interns: list[int], rows: dict[int, LevelRow], answers: dict[int, dict[str, Any]],
    statuses: dict[tuple[int, str], str], t: Callable[..., str], name_of: Callable[[str | None], str | None],
) -> Rows:
    """By region and organisation: interns, completed, and the level change of those who
    took both sittings; a total line first, as a monitoring form asks."""
    diagnostic = programme.diagnostic
    level_ids = [lv.id for lv in diagnostic.levels] if diagnostic else []
    groups: dict[tuple[str, str], list[int]] = {}
    for pid in interns:
        mine = answers.get(pid, {})
        key = (str(mine.get("region") or "—").strip(), str(mine.get("organisation") or "—").strip())
        groups.setdefault(key, []).append(pid)
    header = [t("col.region"), t("col.organisation"), t("col.interns"), t("col.completed")]
    if diagnostic is not None:
        header += [t("col.both_sittings"), t("col.grew"), t("col.same"), t("col.lower")]
        header += [t("col.at_start", level=name_of(x)) for x in level_ids]
        header += [t("col.at_end", level=name_of(x)) for x in level_ids]

    def line(region: str, organisation: str, pids: list[int]) -> list[Cell]:
        done = sum(complete(programme, rows[p].level if p in rows else None, p, statuses) for p in pids)
        cells: list[Cell] = [region, organisation, len(pids), done]
        if diagnostic is None:
            return cells
        both = [rows[p] for p in pids if p in rows and rows[p].start_level and rows[p].end_level]
        moves = [(diagnostic.rank(r.end_level) or 0) - (diagnostic.rank(r.start_level) or 0) for r in both]
        cells += [len(both), sum(m > 0 for m in moves), sum(m == 0 for m in moves), sum(m < 0 for m in moves)]
        cells += [sum(1 for p in pids if p in rows and rows[p].start_level == x) for x in level_ids]
        cells += [sum(1 for p in pids if p in rows and rows[p].end_level == x) for x in level_ids]
        return cells

    table = [line(t("total"), "", interns)]
    table += [line(region, organisation, pids) for (region, organisation), pids in sorted(groups.items())]
    return ("report", t("sheet.report"), header, table)


async def _bank(conn: Connection, programme: Programme, texts: Texts, lang: str,
                t: Callable[..., str]) -> Rows:
    header = [t("col.id"), t("col.topic"), t("col.cohort"), t("col.work"), t("col.line"), t("col.level"),
              t("col.team"), t("col.authors"), t("col.exemplary"), t("col.hidden"), t("col.published"),
              t("col.content")]
    table: list[list[Cell]] = []
    for entry in await bank.published(conn):
        authors = await bank.named_authors(conn, entry.id)
        shown = await names(conn, authors)
        level = programme.diagnostic.level(entry.level) if programme.diagnostic else None
        content = []
        for item in entry.items:
            if item.get("kind") == "text":
                content.append(str(item.get("text", "")))
            elif item.get("kind") == "link":
                content.append(str(item.get("url", "")))
            else:
                label = item.get("name") or item.get("kind_of") or "file"
                content.append(f"[{label}; {item.get('platform', '')}]")
        table.append([
            entry.id, entry.topic, entry.cohort, entry.title,
            texts.get(lang, f"levels.line.{entry.line}") if entry.line else None,
            pick(level.name, lang) if level else entry.level, entry.team_name,
            ", ".join(shown[a] for a in authors) or t("unnamed"),
            t("yes") if entry.exemplary else t("no"), t("yes") if entry.hidden else t("no"),
            from_iso(entry.published_at).strftime(TIME_FORMAT) if entry.published_at else None,
            "\n".join(content),
        ])
    return ("bank", t("sheet.bank"), header, table)

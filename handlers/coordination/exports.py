"""Exports of everything a coordinator needs after a run: XLSX workbook or CSV files.

`collect` reads the database into plain sheets (header + rows), data-driven from the
programme: one column per application question, per stage, per survey item, per
completion stage; submissions and tickets with names, localised statuses and local
times. Deleted people are never included.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import from_iso, to_iso
from bot.context import Ctx
from bot.i18n import Texts
from bot.messages import OutFile, Reply
from bot.people import names
from bot.services import Services
from handlers.learning import level_export
from scenarios.engine import shown
from scenarios.models import Programme, pick
from scenarios.routes import completion_for
from scenarios.stage_work import survey_stage
from storage import certificates, cohort, levels
from storage import survey as survey_results
from storage.completion import passed
from storage.connection import Connection, Row
from storage.db import fetchall

Cell = str | int | float | None
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "%d.%m.%Y %H:%M"


@dataclass(slots=True)
class Sheet:
    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def _label(prompt: str) -> str:
    return prompt.split("?")[0].split(".")[0].strip()[:60]


async def collect(
    conn: Connection, programme: Programme, texts: Texts, lang: str
) -> list[Sheet]:
    def t(key: str, **params: Any) -> str:
        return texts.get(lang, f"export.{key}", **params)

    people = await fetchall(
        conn,
        "SELECT p.*, (SELECT group_concat(role) FROM roles r WHERE r.person_id = p.id) AS role_list,"
        " (SELECT group_concat(DISTINCT platform) FROM accounts a WHERE a.person_id = p.id) AS platforms,"
        " (SELECT t.name FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.person_id = p.id)"
        " AS team, (SELECT status FROM applications a WHERE a.person_id = p.id ORDER BY a.id DESC"
        " LIMIT 1) AS app_status FROM persons p WHERE p.deleted_at IS NULL AND (EXISTS (SELECT 1 FROM"
        " applications a WHERE a.person_id = p.id) OR EXISTS (SELECT 1 FROM roles r WHERE"
        " r.person_id = p.id)) ORDER BY p.id",
    )
    alive = {r["id"] for r in people}
    by_id = {r["id"]: r for r in people}
    answers = await cohort.answers(conn, sorted(alive))
    questions = [q for q in (programme.application.form.questions if programme.application.form else [])
                 if q.kind != "consent"]
    sheets: list[Sheet] = []

    persons_sheet = Sheet("persons", t("sheet.persons"), [
        t("col.id"), t("col.name"), t("col.email"), t("col.messengers"), t("col.roles"),
        t("col.team"), t("col.application"), *(_label(pick(q.prompt, lang)) for q in questions),
    ])
    for r in people:
        persons_sheet.rows.append([
            r["id"], r["full_name"], r["email"], r["platforms"],
            ", ".join(texts.get(lang, f"invite.role.{x}") for x in _split(r["role_list"])),
            r["team"], texts.get(lang, f"app.status.{r['app_status']}") if r["app_status"] else None,
            *(shown(texts, lang, q, answers[r["id"]].get(q.id)) if q.id in answers[r["id"]] else None
              for q in questions),
        ])
    sheets.append(persons_sheet)

    teams_sheet = Sheet("teams", t("sheet.teams"), [t("col.team"), t("col.tutor"), t("col.size"),
                                                    t("col.members")])
    all_teams = await fetchall(conn, "SELECT * FROM teams ORDER BY id")
    # a tutor rarely fills an application: named as everywhere else in the bot
    tutors = await names(conn, [r["tutor_id"] for r in all_teams if r["tutor_id"] in alive])
    for team in all_teams:
        members = [m["person_id"] for m in await fetchall(
            conn, "SELECT person_id FROM team_members WHERE team_id = ? ORDER BY person_id", (team["id"],)
        ) if m["person_id"] in alive]
        teams_sheet.rows.append([
            team["name"], tutors.get(team["tutor_id"]), len(members),
            ", ".join(_name(by_id[m]) or "" for m in members),
        ])
    sheets.append(teams_sheet)

    interns = [pid for pid in await cohort.interns(conn) if pid in alive]
    statuses = {(r["person_id"], r["stage_id"]): r["status"]
                for r in await fetchall(conn, "SELECT person_id, stage_id, status FROM stage_status")}
    stage_list = programme.stages[1:]
    stages_sheet = Sheet("stages", t("sheet.stages"), [
        t("col.id"), t("col.name"), t("col.team"), *(pick(s.title, lang) for s in stage_list),
    ])
    for pid in interns:
        stages_sheet.rows.append([
            pid, _name(by_id[pid]), by_id[pid]["team"],
            *(_status(texts, lang, statuses.get((pid, s.id))) for s in stage_list),
        ])
    sheets.append(stages_sheet)

    survey = survey_stage(programme)
    if survey:
        sheets.extend(await _survey(conn, programme, texts, lang, survey, interns, by_id, t))

    zone = ZoneInfo(programme.timezone)
    sheets.append(await _submissions(conn, programme, texts, lang, alive, zone, t))
    sheets.append(await _tickets(conn, programme, texts, lang, alive, zone, t))

    # whether the intern confirmed the name and e-mail the certificate will carry
    checks = [s.id for s in programme.stages if s.kind == "final" and s.form is not None]
    cert = Sheet("certificates", t("sheet.certificates"), [
        t("col.name"), t("col.email"), *(pick(programme.stage(s).title, lang) for s in programme.completion),
        *([t("col.confirmed")] if checks else []), t("col.eligible"),
    ])
    routes = await levels.of_people(conn, interns)
    for pid in interns:
        # the same rule as the intern's own "all done" notice: reviewed work must be accepted;
        # a stage off the intern's route (another level's) is not asked of them: "—"
        needed = set(completion_for(programme, routes[pid].level if pid in routes else None))
        met = [passed(programme.stage(s), statuses.get((pid, s))) if s in needed else None
               for s in programme.completion]
        confirmed = [all(statuses.get((pid, s)) == "submitted" for s in checks)] if checks else []
        cert.rows.append([
            _name(by_id[pid]), by_id[pid]["email"],
            *(("—" if m is None else t("yes") if m else t("no")) for m in met),
            *(t("yes") if c else t("no") for c in confirmed),
            t("yes") if all(m is not False for m in met) else t("no"),
        ])
    sheets.append(await _registry(conn, texts, lang, zone))
    for key, title, header, rows in await level_export.sheets(conn, programme, texts, lang, interns, by_id,
                                                              statuses):
        sheets.append(Sheet(key, title, header, rows))
    sheets.append(cert)  # last: /export counts the eligible from it
    return sheets


async def _registry(conn: Connection, texts: Texts, lang: str, zone: ZoneInfo) -> Sheet:
    """Every certificate ever issued, replaced and revoked ones too: numbers stay answerable."""
    def c(key: str) -> str:
        return texts.get(lang, f"cert.export.{key}")

    sheet = Sheet("registry", c("sheet"), [c("number"), c("name"), c("issued_at"), c("status"),
                                          c("replaced_by"), c("email"), c("mail_status")])
    sent = await certificates.sendings(conn)
    for row in await certificates.all_issued(conn):
        mail = sent.get((row.number, "mail"))
        sheet.rows.append([
            row.number, row.name, _local(to_iso(row.issued_at), zone), c(f"status_{row.status}"),
            row.replaced_by, row.email, c(f"mail_{mail.status}") if mail else None,
        ])
    return sheet


async def _survey(conn, programme, texts, lang, survey, interns, by_id, t):  # type: ignore[no-untyped-def]
    """One row per person who sent the survey; a summary per question beside it."""
    form = programme.form(survey)
    rows = await fetchall(
        conn, "SELECT person_id, answers FROM form_progress WHERE form_id = ? AND status = 'submitted'",
        (survey,),
    )
    sent = {r["person_id"]: json.loads(r["answers"]) for r in rows if r["person_id"] in set(interns)}
    sheet = Sheet("survey", t("sheet.survey"), [
        t("col.name"), t("col.team"), *(_label(pick(q.prompt, lang)) for q in form.questions),
    ])
    for pid in sorted(sent):
        sheet.rows.append([_name(by_id[pid]), by_id[pid]["team"],
                           *(shown(texts, lang, q, sent[pid].get(q.id)) for q in form.questions)])
    summary = Sheet("summary", t("sheet.summary"), [t("col.question"), t("col.answers"),
                                                    t("col.average"), t("col.distribution")])
    result = await survey_results.aggregate(conn, programme, survey, among=set(interns))
    summary.rows.append([t("response_rate"), result.respondents, None,
                         f"{result.respondents} / {len(interns)}"])
    for q, found in zip(form.questions, result.questions, strict=True):
        spread: Cell = None
        if q.kind == "scale":
            spread = "; ".join(f"{value}: {n}" for value, n in found.counts.items() if n) or None
        elif q.kind == "choice":
            spread = "; ".join(f"{pick(c.label, lang)}: {found.counts[c.value]}" for c in q.choices)
        summary.rows.append([_label(pick(q.prompt, lang)), found.answered, found.mean, spread])
    return [sheet, summary]


async def _submissions(conn, programme, texts, lang, alive, zone, t):  # type: ignore[no-untyped-def]
    """Every version handed in, oldest first: whose, its status, what it holds, the verdict."""
    rows = [r for r in await fetchall(conn, "SELECT s.*, t.name AS team FROM submissions s"
                                            " LEFT JOIN teams t ON t.id = s.team_id ORDER BY s.id")
            if r["person_id"] in alive]
    who = await names(conn, {r["person_id"] for r in rows} | {
        r["reviewed_by"] for r in rows if r["reviewed_by"] in alive})
    sheet = Sheet("submissions", t("sheet.submissions"), [
        t("col.number"), t("col.stage"), t("col.team"), t("col.sent_by"), t("col.version"),
        t("col.status"), t("col.content"), t("col.links"), t("col.minutes"), t("col.comment"),
        t("col.reviewer"), t("col.sent_at"), t("col.reviewed_at"),
    ])
    for r in rows:
        items = json.loads(r["items"])
        sheet.rows.append([
            r["id"], _stage_title(programme, r["stage_id"], lang), r["team"], who[r["person_id"]],
            r["version"], texts.get(lang, f"review.status.{r['status']}"),
            "\n".join(_item(texts, lang, item) for item in items) or None,
            "\n".join(item["url"] for item in items if item.get("kind") == "link") or None,
            r["minutes"], r["comment"], who.get(r["reviewed_by"]),
            _local(r["created_at"], zone), _local(r["reviewed_at"], zone),
        ])
    return sheet


def _item(texts: Texts, lang: str, item: dict[str, Any]) -> str:
    if item.get("kind") == "text":
        return str(item.get("text", ""))
    if item.get("kind") == "link":
        return str(item.get("url", ""))
    # a file stays in the messenger (only its id is kept): named as the tutor saw it
    return str(item.get("name") or texts.get(lang, f"form.file_kind.{item.get('kind_of', 'document')}"))


async def _tickets(conn, programme, texts, lang, alive, zone, t):  # type: ignore[no-untyped-def]
    """Every question to a tutor: who asked, where they were, who answered and how fast."""
    rows = [r for r in await fetchall(conn, "SELECT k.*, t.name AS team FROM tickets k"
                                            " LEFT JOIN teams t ON t.id = k.team_id ORDER BY k.id")
            if r["intern_id"] in alive]
    who = await names(conn, {r["intern_id"] for r in rows} | {
        r["tutor_id"] for r in rows if r["tutor_id"] in alive})
    sheet = Sheet("tickets", t("sheet.tickets"), [
        t("col.number"), t("col.name"), t("col.team"), t("col.tutor"), t("col.status"),
        t("col.stage"), t("col.question"), t("col.asked_at"), t("col.first_answer_at"),
        t("col.closed_at"), t("col.escalated"),
    ])
    for r in rows:
        escalated = None
        if r["escalations"]:
            reason = texts.get(lang, f"tickets.reason.{r['escalation_reason']}") if (
                r["escalation_reason"]) else ""
            escalated = f"{r['escalations']} — {reason}".strip(" —")
        sheet.rows.append([
            r["id"], who[r["intern_id"]], r["team"], who.get(r["tutor_id"]),
            texts.get(lang, f"tickets.status.{r['status']}"),
            _stage_title(programme, r["stage_id"], lang), r["question"] or None,
            _local(r["created_at"], zone), _local(r["first_answer_at"], zone),
            _local(r["closed_at"], zone), escalated,
        ])
    return sheet


def _stage_title(programme: Programme, stage_id: str | None, lang: str) -> str | None:
    if not stage_id:
        return None
    known = {s.id: s for s in programme.stages}
    return pick(known[stage_id].title, lang) if stage_id in known else stage_id


def _local(stamp: str | None, zone: ZoneInfo) -> str | None:
    """Times in the programme's zone, as a coordinator reads them (the sheet has no zones)."""
    return from_iso(stamp).astimezone(zone).strftime(TIME_FORMAT) if stamp else None


def _split(listed: str | None) -> list[str]:
    return sorted(x for x in (listed or "").split(",") if x)


def _name(row: Row | None) -> str | None:
    return row["full_name"] or f"#{row['id']}" if row is not None else None


def _status(texts: Texts, lang: str, status: str | None) -> str:
    return texts.get(lang, f"export.status.{status or 'none'}")


def to_xlsx(sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        ws.append(sheet.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_safe(v) for v in row])
        ws.freeze_panes = "A2"
        for index, title in enumerate(sheet.header, start=1):
            longest = max([len(str(title)), *(len(str(r[index - 1] or "")) for r in sheet.rows)])
            ws.column_dimensions[ws.cell(1, index).column_letter].width = min(60, longest + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Cell) -> Cell:
    """A text starting with = + - @ would be run as a formula by spreadsheet programs."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM, so Excel opens Cyrillic correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.header)
    writer.writerows([[_safe(v) for v in row] for row in sheet.rows])
    return out.getvalue().encode("utf-8-sig")


def to_csv_zip(sheets: list[Sheet]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            archive.writestr(f"{sheet.key}.csv", to_csv(sheet))
    return out.getvalue()


COORDINATOR = {"coordinator"}


def register(s: Services) -> None:
    s.router.command("export", export_command, COORDINATOR)


async def export_command(ctx: Ctx) -> None:
    """`/export` sends the XLSX workbook; `/export csv` a ZIP with one CSV per sheet."""
    wanted = (ctx.args[0].lower().lstrip(".") if ctx.args else "xlsx")
    if wanted not in ("xlsx", "csv"):
        await ctx.reply(ctx.t("export.usage"))
        return
    sheets = await collect(ctx.conn, ctx.services.programme, ctx.services.texts, ctx.lang)
    stamp = ctx.now.strftime("%Y%m%d-%H%M")
    counts = {sheet.key: len(sheet.rows) for sheet in sheets}
    text = ctx.t("export.ready", people=counts.get("persons", 0), teams=counts.get("teams", 0),
                 certificates=sum(1 for r in sheets[-1].rows if r[-1] == ctx.t("export.yes")))

    async def build() -> Reply:
        """The workbook is written in a worker thread once the sheets are read: a whole
        cohort takes seconds, which must hold neither the event loop nor the database."""
        if wanted == "xlsx":
            data = await asyncio.to_thread(to_xlsx, sheets)
            file = OutFile(f"internship-{stamp}.xlsx", data=data, mime=XLSX_MIME)
        else:
            data = await asyncio.to_thread(to_csv_zip, sheets)
            file = OutFile(f"internship-{stamp}-csv.zip", data=data, mime="application/zip")
        return Reply(text, file=file)

    ctx.reply_later(build)

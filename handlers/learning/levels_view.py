"""`/levels`: each intern's level at the start and the end, and their answers, for the staff.

A tutor sees the interns of their own teams; a coordinator sees everyone and may change
an intern's level (their route follows it from then on, and the intern is told why
the next tasks read differently). Both checks are on the server: the router's roles,
then the team for a tutor's card.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.keyboards import grid
from bot.messages import Button, Reply
from bot.people import names
from bot.services import Services
from handlers.internship import menu
from scenarios.diagnostic import END, START, Diagnostic
from scenarios.models import pick
from storage import cohort, forms, levels, teams
from storage.levels import LevelRow

STAFF = {"coordinator", "tutor"}
COORDINATOR = {"coordinator"}
PAGE = 10


def register(s: Services) -> None:
    if s.programme.diagnostic is None:
        return
    s.router.command("levels", show, STAFF)
    s.router.payload("lv", on_button, STAFF)
    s.router.payload("lvs", set_button, COORDINATOR)


def _diagnostic(ctx: Ctx) -> Diagnostic:
    diagnostic = ctx.services.programme.diagnostic
    assert diagnostic is not None
    return diagnostic


async def visible(ctx: Ctx) -> list[int]:
    """The interns this person may see: all for a coordinator, their teams' for a tutor."""
    if ctx.has_role("coordinator"):
        return await cohort.interns(ctx.conn)
    return sorted(await teams.tutors_team_members(ctx.conn, ctx.person.id))


def level_name(ctx: Ctx, level_id: str | None) -> str:
    level = _diagnostic(ctx).level(level_id)
    return pick(level.name, ctx.lang) if level else ctx.t("levels.no_level")


def change_mark(diagnostic: Diagnostic, row: LevelRow | None) -> str:
    """↑, = or ↓ from the entry to the exit sitting; empty until both are taken."""
    if row is None or row.start_level is None or row.end_level is None:
        return ""
    was, now = diagnostic.rank(row.start_level) or 0, diagnostic.rank(row.end_level) or 0
    return "↑" if now > was else ("=" if now == was else "↓")


async def show(ctx: Ctx, page: int = 0) -> None:
    people = await visible(ctx)
    if not people:
        await ctx.reply(ctx.t("levels.nobody"))
        return
    diagnostic = _diagnostic(ctx)
    rows = await levels.of_people(ctx.conn, people)
    counts = {lv.id: sum(1 for p in people if rows.get(p) and rows[p].level == lv.id)
              for lv in diagnostic.levels}
    none = sum(1 for p in people if rows.get(p) is None or rows[p].level is None)
    lines = [ctx.t("levels.title", count=len(people))]
    lines += [ctx.t("levels.count_line", level=pick(lv.name, ctx.lang), count=counts[lv.id])
              for lv in diagnostic.levels]
    lines.append(ctx.t("levels.count_none", count=none))
    pages = max(1, -(-len(people) // PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = people[page * PAGE:(page + 1) * PAGE]
    who = await names(ctx.conn, chunk)
    for pid in chunk:
        row = rows.get(pid)
        lines.append(ctx.t("levels.person_line", name=who[pid],
                           start=level_name(ctx, row.start_level if row else None),
                           end=level_name(ctx, row.end_level if row else None),
                           mark=change_mark(diagnostic, row)))
    buttons = grid([Button(who[p][:30], f"lv|{p}") for p in chunk], 2)
    nav = []
    if page > 0:
        nav.append(Button(ctx.t("levels.prev"), f"lv|p|{page - 1}"))
    if page + 1 < pages:
        nav.append(Button(ctx.t("levels.next"), f"lv|p|{page + 1}"))
    if nav:
        buttons.append(nav)
    await ctx.reply("\n".join(lines), buttons)


async def on_button(ctx: Ctx) -> None:
    """`lv|p|<page>`: a page of the list; `lv|<person>`: one intern's card."""
    if len(ctx.args) == 2 and ctx.args[0] == "p" and ctx.args[1].isdigit():
        await show(ctx, int(ctx.args[1]))
        return
    if len(ctx.args) != 1 or not ctx.args[0].isdigit():
        await ctx.services.core.stale(ctx)
        return
    pid = int(ctx.args[0])
    if pid not in await visible(ctx):
        await ctx.reply(ctx.t("levels.not_yours"))
        return
    await card(ctx, pid)


def _answers(ctx: Ctx, diagnostic: Diagnostic, which: str, answers: dict[str, object]) -> list[str]:
    lines = []
    for number, q in enumerate(diagnostic.questions_of(which), 1):
        option = diagnostic.chosen(q, answers.get(q.id))
        line = f" [{ctx.t(f'levels.line.{q.line}')}]" if q.line else ""
        lines.append(f"{number}. {pick(q.prompt, ctx.lang)}{line} — "
                     f"{pick(option.label, ctx.lang) if option else '—'}")
    return lines


async def card(ctx: Ctx, pid: int) -> None:
    diagnostic = _diagnostic(ctx)
    row = await levels.get(ctx.conn, pid)
    who = (await names(ctx.conn, [pid]))[pid]
    lines = [ctx.t("levels.card", name=who, level=level_name(ctx, row.level if row else None))]
    for which, key in ((START, "start"), (END, "end")):
        level_id = (row.start_level if which == START else row.end_level) if row else None
        sitting = await forms.get(ctx.conn, pid, which)
        if level_id is None or sitting is None:
            lines.append(ctx.t(f"levels.card_{key}_none"))
            continue
        score = row.start_score if which == START else row.end_score  # type: ignore[union-attr]
        lines.append(ctx.t(f"levels.card_{key}", level=level_name(ctx, level_id), score=score,
                           most=diagnostic.score_range(which)[1]))
        per_line = diagnostic.line_scores(which, sitting.answers)
        if per_line:
            lines.append(", ".join(f"{ctx.t(f'levels.line.{name}')}: {got}/{most}"
                                   for name, (got, most) in per_line.items()))
        lines.extend(_answers(ctx, diagnostic, which, sitting.answers))
    if row is not None and row.changed_by is not None:
        by = (await names(ctx.conn, [row.changed_by]))[row.changed_by]
        lines.append(ctx.t("levels.card_changed", by=by))
    buttons: list[list[Button]] = []
    if ctx.has_role("coordinator"):
        buttons = [[Button(ctx.t("levels.set_to", level=pick(lv.name, ctx.lang))[:60],
                           f"lvs|{pid}|{lv.id}")]
                   for lv in diagnostic.levels if row is None or lv.id != row.level]
    await ctx.reply("\n".join(lines), buttons)


async def set_button(ctx: Ctx) -> None:
    """`lvs|<person>|<level>`: a coordinator sets an intern's level; the intern is told."""
    diagnostic = _diagnostic(ctx)
    if len(ctx.args) != 2 or not ctx.args[0].isdigit() or diagnostic.level(ctx.args[1]) is None:
        await ctx.services.core.stale(ctx)
        return
    pid, level_id = int(ctx.args[0]), ctx.args[1]
    if pid not in await cohort.interns(ctx.conn):
        await ctx.services.core.stale(ctx)
        return
    who = (await names(ctx.conn, [pid]))[pid]
    level = diagnostic.level(level_id)
    assert level is not None
    if not await levels.set_level(ctx.conn, pid, level_id, ctx.person.id, ctx.now):
        await ctx.reply(ctx.t("levels.already", name=who, level=pick(level.name, ctx.lang)))
        return
    texts = ctx.services.texts

    def build(lang: str) -> Reply:
        return Reply("\n\n".join([texts.get(lang, "levels.changed_note", level=pick(level.name, lang)),
                                  pick(level.description, lang)]), menu.rows(texts, lang))

    await ctx.notify(pid, f"lvset:{pid}:{level_id}:{ctx.now.isoformat()}", build)
    await ctx.reply(ctx.t("levels.set_ok", name=who, level=pick(level.name, ctx.lang)))

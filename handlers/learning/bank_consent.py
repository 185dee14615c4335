"""Asking the authors of accepted work whether it may join the bank of solutions.

Asked once, of every author (each member of the team for team homework, the person for
a video), with two buttons. How a team's answers combine is storage/bank.py's rule: the
submitter's yes publishes it, anyone's no keeps it out for good, and only those who said
yes are named. The submitter, having said yes, is offered the line of work it belongs
to (lessons, out-of-class, networking, parents) so others can find it.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button, Reply
from bot.services import Services
from handlers.internship import menu, route
from scenarios.diagnostic import LINES
from scenarios.models import pick
from storage import bank, teams
from storage.submissions import Submission

INTERN = {"intern"}


def register(s: Services) -> None:
    s.router.payload("bq", on_button, INTERN)


def cohort_of(ctx: Ctx) -> str:
    programme = ctx.services.programme
    return f"{programme.id} {programme.start:%Y-%m-%d}"


async def offer(ctx: Ctx, sub: Submission, authors: list[int]) -> None:
    """On acceptance: record the entry (waiting) and ask every author once."""
    programme = ctx.services.programme
    stage = programme.stage(sub.stage_id)
    team = await teams.get(ctx.conn, sub.team_id) if sub.team_id is not None else None
    entry_id = await bank.create(
        ctx.conn, submission_id=sub.id, programme_id=programme.id, cohort=cohort_of(ctx),
        topic=pick(programme.topic or programme.title, programme.locale),
        stage_id=stage.id, title=pick(stage.title, programme.locale),
        level=await route.level(ctx.conn, sub.person_id), items=sub.items, submitter_id=sub.person_id,
        team_name=team.name if team else None, authors=authors, now=ctx.now,
    )
    if entry_id is None:
        return
    texts = ctx.services.texts
    for author in authors:
        key = "bank.ask_team" if len(authors) > 1 else "bank.ask"

        def build(lang: str, key: str = key) -> Reply:
            return Reply(texts.get(lang, key, title=pick(stage.title, lang)),
                         [[Button(texts.get(lang, "bank.yes"), f"bq|{entry_id}|yes"),
                           Button(texts.get(lang, "bank.no"), f"bq|{entry_id}|no")]])

        await ctx.notify(author, f"bank:{entry_id}:ask:{author}", build)


async def on_button(ctx: Ctx) -> None:
    """`bq|<entry>|yes|no`, then `bq|<entry>|line|<line or ->` for the submitter."""
    args = ctx.args
    if len(args) < 2 or not args[0].isdigit():
        await ctx.services.core.stale(ctx)
        return
    entry = await bank.get(ctx.conn, int(args[0]))
    if entry is None:
        await ctx.reply(ctx.t("bank.gone"))
        return
    if args[1] == "line" and len(args) == 3:
        await _line(ctx, entry, args[2])
        return
    if len(args) != 2 or args[1] not in ("yes", "no"):
        await ctx.services.core.stale(ctx)
        return
    said = await bank.consents(ctx.conn, entry.id)
    if ctx.person.id not in said:
        await ctx.reply(ctx.t("bank.not_author"))
        return
    if not await bank.answer(ctx.conn, entry.id, ctx.person.id, args[1] == "yes", ctx.now):
        await ctx.reply(ctx.t("bank.answered_before",
                              answer=ctx.t(f"bank.answer_{said[ctx.person.id]}")))
        return
    if args[1] == "no":
        await ctx.reply(ctx.t("bank.thanks_no", title=entry.title), menu.rows(ctx.services.texts, ctx.lang))
        return
    entry = await bank.get(ctx.conn, entry.id)
    assert entry is not None
    key = "bank.thanks_published" if entry.state == "published" else "bank.thanks_waiting"
    if entry.state == "declined":
        key = "bank.thanks_declined"
    await ctx.reply(ctx.t(key, title=entry.title))
    if entry.submitter_id == ctx.person.id and entry.line is None and entry.state != "declined":
        rows = [[Button(ctx.t(f"levels.line.{line}"), f"bq|{entry.id}|line|{line}")] for line in LINES]
        rows.append([Button(ctx.t("bank.line_skip"), f"bq|{entry.id}|line|-")])
        await ctx.reply(ctx.t("bank.which_line"), rows)


async def _line(ctx: Ctx, entry: bank.Entry, line: str) -> None:
    if entry.submitter_id != ctx.person.id or (line not in LINES and line != "-"):
        await ctx.services.core.stale(ctx)
        return
    if entry.line is not None:
        await ctx.reply(ctx.t("bank.line_set", line=ctx.t(f"levels.line.{entry.line}")))
        return
    if line != "-":
        await bank.set_line(ctx.conn, entry.id, line)
    await ctx.reply(ctx.t("bank.line_thanks"), menu.rows(ctx.services.texts, ctx.lang))

"""`/bank`: the bank of solutions, for every intern, tutor and coordinator, in pages.

Filters by line, level and topic are buttons; a page lists up to five works (exemplary
first) and each opens with its text, links and files as they were submitted. A file is a
messenger's file reference and opens only on that messenger: elsewhere the reader is
told where it lives. A tutor marks a work as exemplary (their own teams'; a coordinator
any); a coordinator hides a work or brings it back.
"""

from __future__ import annotations

import hashlib

from bot.context import Ctx
from bot.keyboards import grid
from bot.messages import Button, OutFile
from bot.people import names
from bot.services import Services
from handlers.internship import menu
from scenarios.diagnostic import LINES
from scenarios.models import pick
from storage import bank, teams

MEMBERS = {"coordinator", "tutor", "intern"}
STAFF = {"coordinator", "tutor"}
COORDINATOR = {"coordinator"}
PAGE = 5
ANY = "-"


def register(s: Services) -> None:
    s.router.command("bank", show, MEMBERS)
    s.router.payload("bk", on_button, MEMBERS)
    s.router.payload("bkx", exemplary_button, STAFF)
    s.router.payload("bkh", hide_button, COORDINATOR)


def topic_key(topic: str) -> str:
    """A topic in a button (a callback's data is short): the start of its hash."""
    return hashlib.sha1(topic.encode()).hexdigest()[:6]


class View:
    """Where the reader is: filters and page, as the tail of every button's payload."""

    def __init__(self, line: str = ANY, level: str = ANY, topic: str = ANY, page: int = 0) -> None:
        self.line, self.level, self.topic, self.page = line, level, topic, page

    @classmethod
    def parse(cls, args: list[str]) -> View | None:
        if len(args) != 4 or not args[3].isdigit():
            return None
        line, level, topic = args[:3]
        if line != ANY and line not in LINES:
            return None
        return cls(line, level, topic, int(args[3]))

    def tail(self, **change: object) -> str:
        values = {"line": self.line, "level": self.level, "topic": self.topic, "page": self.page, **change}
        return f"{values['line']}|{values['level']}|{values['topic']}|{values['page']}"


async def show(ctx: Ctx) -> None:
    await page(ctx, View())


async def _topic(ctx: Ctx, key: str) -> str | None:
    if key == ANY:
        return None
    for topic in await bank.topics(ctx.conn):
        if topic_key(topic) == key:
            return topic
    return "\x00"  # a topic no longer in the bank: an empty page, not everything


def _level_name(ctx: Ctx, level_id: str | None) -> str:
    diagnostic = ctx.services.programme.diagnostic
    level = diagnostic.level(level_id) if diagnostic else None
    return pick(level.name, ctx.lang) if level else (level_id or "—")


async def page(ctx: Ctx, view: View) -> None:
    topic = await _topic(ctx, view.topic)
    entries, total = await bank.browse(
        ctx.conn, line=None if view.line == ANY else view.line,
        level=None if view.level == ANY else view.level, topic=topic,
        offset=view.page * PAGE, limit=PAGE)
    pages = max(1, -(-total // PAGE))
    filters = ctx.t("bank.filters",
                    line=ctx.t(f"levels.line.{view.line}") if view.line != ANY else ctx.t("bank.any"),
                    level=_level_name(ctx, view.level) if view.level != ANY else ctx.t("bank.any"),
                    topic=topic if topic and topic != "\x00" else ctx.t("bank.any"))
    if total == 0:
        lines = [ctx.t("bank.empty"), filters]
    else:
        lines = [ctx.t("bank.title", count=total, page=view.page + 1, pages=pages), filters]
    for number, entry in enumerate(entries, 1):
        star = "⭐ " if entry.exemplary else ""
        about = ", ".join(x for x in (
            ctx.t(f"levels.line.{entry.line}") if entry.line else "",
            _level_name(ctx, entry.level) if entry.level else "", entry.topic) if x)
        lines.append(f"{number}. {star}{entry.title} — {entry.team_name or ctx.t('bank.personal')}"
                     f" ({about}; {entry.cohort.rsplit(' ', 1)[-1]})")
    rows = grid([Button(str(n), f"bk|o|{e.id}|{view.tail()}") for n, e in enumerate(entries, 1)], PAGE)
    rows.append([Button(ctx.t("bank.by_line"), f"bk|f|l|{view.tail()}"),
                 Button(ctx.t("bank.by_level"), f"bk|f|v|{view.tail()}"),
                 Button(ctx.t("bank.by_topic"), f"bk|f|t|{view.tail()}")])
    nav = []
    if view.page > 0:
        nav.append(Button(ctx.t("bank.prev"), f"bk|{view.tail(page=view.page - 1)}"))
    if view.page + 1 < pages:
        nav.append(Button(ctx.t("bank.next"), f"bk|{view.tail(page=view.page + 1)}"))
    if nav:
        rows.append(nav)
    await ctx.reply("\n".join(lines), rows)


async def on_button(ctx: Ctx) -> None:
    """`bk|<line>|<level>|<topic>|<page>` a page; `bk|f|<dim>|…` a filter's choices;
    `bk|o|<entry>|…` one work."""
    args = ctx.args
    if args and args[0] == "o" and len(args) == 6 and args[1].isdigit():
        view = View.parse(args[2:])
        if view is not None:
            await open_entry(ctx, int(args[1]), view)
            return
    if args and args[0] == "f" and len(args) == 6 and args[1] in ("l", "v", "t"):
        view = View.parse(args[2:])
        if view is not None:
            await choices(ctx, args[1], view)
            return
    view = View.parse(args)
    if view is None:
        await ctx.services.core.stale(ctx)
        return
    await page(ctx, view)


async def choices(ctx: Ctx, dim: str, view: View) -> None:
    if dim == "l":
        options = [(ctx.t(f"levels.line.{line}"), view.tail(line=line, page=0)) for line in LINES]
    elif dim == "v":
        diagnostic = ctx.services.programme.diagnostic
        levels = diagnostic.levels if diagnostic else []
        options = [(pick(lv.name, ctx.lang), view.tail(level=lv.id, page=0)) for lv in levels]
    else:
        options = [(topic[:40], view.tail(topic=topic_key(topic), page=0))
                   for topic in await bank.topics(ctx.conn)]
    any_of = {"l": "line", "v": "level", "t": "topic"}[dim]
    rows = [[Button(label, f"bk|{tail}")] for label, tail in options]
    rows.append([Button(ctx.t("bank.any"), f"bk|{view.tail(**{any_of: ANY, 'page': 0})}")])
    await ctx.reply(ctx.t(f"bank.choose_{any_of}"), rows)


async def _may_mark(ctx: Ctx, entry: bank.Entry) -> bool:
    """A coordinator marks any work; a tutor the work of their own teams' interns."""
    if ctx.has_role("coordinator"):
        return True
    return ctx.has_role("tutor") and await teams.tutor_of(ctx.conn, entry.submitter_id) == ctx.person.id


async def open_entry(ctx: Ctx, entry_id: int, view: View | None = None) -> None:
    entry = await bank.get(ctx.conn, entry_id)
    visible = entry is not None and entry.state == "published" and (
        not entry.hidden or ctx.has_role("coordinator"))
    if entry is None or not visible:
        await ctx.reply(ctx.t("bank.gone"))
        return
    authors = await bank.named_authors(ctx.conn, entry.id)
    shown = await names(ctx.conn, authors)
    star = "⭐ " if entry.exemplary else ""
    lines = [star + ctx.t("bank.entry_title", title=entry.title, topic=entry.topic),
             ctx.t("bank.entry_meta", cohort=entry.cohort,
                   line=ctx.t(f"levels.line.{entry.line}") if entry.line else "—",
                   level=_level_name(ctx, entry.level))]
    if entry.team_name:
        lines.append(ctx.t("bank.entry_team", team=entry.team_name))
    lines.append(ctx.t("bank.entry_authors", names=", ".join(shown[a] for a in authors))
                 if authors else ctx.t("bank.entry_unnamed"))
    if entry.hidden:
        lines.append(ctx.t("bank.entry_hidden"))
    files: list[OutFile] = []
    platform = ctx.account.platform
    for item in entry.items:
        if item.get("kind") == "text":
            lines.append(f"📝 {item.get('text', '')}")
        elif item.get("kind") == "link":
            lines.append(f"🔗 {item.get('url', '')}")
        elif item.get("file_id"):
            label = item.get("name") or ctx.t(f"form.file_kind.{item.get('kind_of') or 'document'}")
            if item.get("platform", platform) == platform:
                lines.append(f"📎 {label}")
                files.append(OutFile(label, file_id=item["file_id"], kind=item.get("kind_of") or "document",
                                     mime=item.get("mime")))
            else:
                lines.append(ctx.t("bank.file_elsewhere", name=label, platform=item.get("platform")))
    rows: list[list[Button]] = []
    if await _may_mark(ctx, entry):
        key = "bank.unmark" if entry.exemplary else "bank.mark"
        rows.append([Button(ctx.t(key), f"bkx|{entry.id}")])
    if ctx.has_role("coordinator"):
        rows.append([Button(ctx.t("bank.unhide" if entry.hidden else "bank.hide"), f"bkh|{entry.id}")])
    rows.append([Button(ctx.t("bank.back"), f"bk|{(view or View()).tail()}")])
    if ctx.has_role("intern"):
        rows.extend(menu.rows(ctx.services.texts, ctx.lang))
    await ctx.reply("\n".join(lines), rows)
    for out in files:
        await ctx.reply(ctx.t("bank.file_of", title=entry.title), file=out)


async def _entry_of(ctx: Ctx) -> bank.Entry | None:
    """The published entry a staff button names."""
    if len(ctx.args) != 1 or not ctx.args[0].isdigit():
        return None
    entry = await bank.get(ctx.conn, int(ctx.args[0]))
    return entry if entry is not None and entry.state == "published" else None


async def exemplary_button(ctx: Ctx) -> None:
    """`bkx|<entry>`: mark or unmark as exemplary."""
    entry = await _entry_of(ctx)
    if entry is None:
        await ctx.reply(ctx.t("bank.gone"))
        return
    if not await _may_mark(ctx, entry):
        await ctx.reply(ctx.t("bank.not_your_team"))
        return
    await bank.set_exemplary(ctx.conn, entry.id, not entry.exemplary, ctx.person.id)
    await ctx.reply(ctx.t("bank.unmarked" if entry.exemplary else "bank.marked", title=entry.title),
                    [[Button(ctx.t("bank.back"), f"bk|{View().tail()}")]])


async def hide_button(ctx: Ctx) -> None:
    """`bkh|<entry>`: hide from everyone's /bank, or bring it back."""
    entry = await _entry_of(ctx)
    if entry is None:
        await ctx.reply(ctx.t("bank.gone"))
        return
    await bank.set_hidden(ctx.conn, entry.id, not entry.hidden, ctx.person.id)
    again = [[Button(ctx.t("bank.unhide"), f"bkh|{entry.id}")]] if not entry.hidden else []
    await ctx.reply(ctx.t("bank.unhidden" if entry.hidden else "bank.hidden", title=entry.title), again)

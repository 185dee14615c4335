"""/applications for a coordinator with hundreds waiting: a page, tick what to decide, decide.

A page lists PAGE_SIZE pending applications with a toggle button each (☐/☑), «select all
on the page», and «approve / reject selected (N)». Every bulk decision first asks for
confirmation naming the count; after it the list continues by itself, so nobody types
the command again. The selection and the question being confirmed live in the
coordinator's dialog data, so a restart keeps them. The router checks the coordinator
role on every button; a decision acts only on applications still pending, so two
coordinators never both decide one.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button
from bot.router import dialog_allowed
from bot.services import Services
from handlers.enrolment import application_card
from handlers.enrolment.application import COORDINATOR, approve, reject
from storage import applications, dialogs
from storage.dialogs import Dialog

DIALOG = "app_select"
PAGE_SIZE = 10
"""Applications a page: 5 rows of toggles and 4 of actions stay within VK's 10 rows."""
SHOWN_IDS = 30
"""Numbers named in a confirmation; more are summed up as «…»."""


def register(s: Services) -> None:
    s.router.command("applications", show, COORDINATOR)
    s.router.payload("apl", button, COORDINATOR)
    s.router.dialog(DIALOG, typed)


async def show(ctx: Ctx) -> None:
    await page(ctx, 0)


def _cursor(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 12 else None


async def button(ctx: Ctx) -> None:
    """`apl|<action>|...`: p page, t toggle one, a/u select/clear the page, ok/no ask to
    decide, y confirm, x cancel, v open the selected as cards."""
    args = ctx.args
    action = args[0] if args else ""
    cursor = _cursor(args[-1]) if len(args) >= 2 else None
    if action == "t" and len(args) == 3 and args[1].isdigit() and cursor is not None:
        await toggle(ctx, int(args[1]), cursor)
    elif action in ("p", "a", "u", "ok", "no", "v") and len(args) == 2 and cursor is not None:
        handlers = {"p": page, "a": select_page, "u": clear_page, "ok": ask_approve,
                    "no": ask_reject, "v": open_cards}
        await handlers[action](ctx, cursor)
    elif action == "y" and len(args) == 2 and args[1] in ("ok", "no"):
        await confirm(ctx, args[1])
    elif action == "x" and len(args) == 1:
        await cancel(ctx)
    else:
        await ctx.services.core.stale(ctx)


async def _state(ctx: Ctx) -> Dialog:
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    if dialog is not None and dialog.kind == DIALOG:
        return dialog
    return Dialog(DIALOG, "", {"sel": [], "at": 0})


async def _save(ctx: Ctx, state: Dialog) -> None:
    await dialogs.put(ctx.conn, ctx.person.id, state, ctx.now)


async def _selected(ctx: Ctx, state: Dialog) -> list[int]:
    """The selection without what was decided meanwhile (by anyone)."""
    return await applications.still_pending(ctx.conn, [int(i) for i in state.data.get("sel", [])])


async def page(ctx: Ctx, cursor: int, note: str | None = None) -> None:
    """The page of pending applications after `cursor` (an id), with the selection marked."""
    apps = await applications.pending_after(ctx.conn, cursor, PAGE_SIZE)
    if not apps and cursor:
        cursor = 0  # the end of the list: back to its beginning
        apps = await applications.pending_after(ctx.conn, cursor, PAGE_SIZE)
    state = await dialogs.get(ctx.conn, ctx.person.id)
    selecting = state is not None and state.kind == DIALOG
    if not apps:
        if selecting:
            await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply("\n\n".join(filter(None, [note, ctx.t("app.none_pending")])))
        return
    chosen: set[int] = set()
    if state is not None and selecting:
        chosen = set(await _selected(ctx, state))
        if state.data.get("at") != cursor:
            state.data["at"] = cursor
            await _save(ctx, state)
    total = await applications.count_pending(ctx.conn)
    before = await applications.count_pending_before(ctx.conn, apps[0].id)
    form = ctx.services.programme.application.form
    assert form is not None
    texts = ctx.services.texts
    lines = [ctx.t("apps.page_title", total=total, first=before + 1, last=before + len(apps))]
    lines += [application_card.line(texts, ctx.lang, app, form) for app in apps]
    lines.append(ctx.t("apps.page_hint", selected=len(chosen)))
    if note:
        lines.insert(0, note)
    toggles = [
        Button(f"{'☑' if app.id in chosen else '☐'} {app.id} "
               f"{application_card.short_name(application_card.name_of(app, form))}".rstrip(),
               f"apl|t|{app.id}|{cursor}")
        for app in apps
    ]
    rows = [toggles[i:i + 2] for i in range(0, len(toggles), 2)]
    whole = all(app.id in chosen for app in apps)
    selection = [Button(ctx.t("apps.clear_page"), f"apl|u|{cursor}") if whole
                 else Button(ctx.t("apps.select_page"), f"apl|a|{cursor}")]
    if chosen:
        selection.append(Button(ctx.t("apps.open_selected", count=len(chosen)), f"apl|v|{cursor}"))
    rows.append(selection)
    rows.append([Button(ctx.t("apps.approve_selected", count=len(chosen)), f"apl|ok|{cursor}")])
    rows.append([Button(ctx.t("apps.reject_selected", count=len(chosen)), f"apl|no|{cursor}")])
    nav = []
    previous = await applications.previous_page_cursor(ctx.conn, apps[0].id, PAGE_SIZE)
    if previous is not None:
        nav.append(Button(ctx.t("apps.previous"), f"apl|p|{previous}"))
    if before + len(apps) < total:
        nav.append(Button(ctx.t("apps.next"), f"apl|p|{apps[-1].id}"))
    if nav:
        rows.append(nav)
    await ctx.reply("\n\n".join(lines), rows)


async def toggle(ctx: Ctx, app_id: int, cursor: int) -> None:
    state = await _state(ctx)
    chosen = await _selected(ctx, state)
    note = None
    if app_id in chosen:
        chosen.remove(app_id)
    elif await applications.still_pending(ctx.conn, [app_id]):
        chosen.append(app_id)
    else:
        note = ctx.t("app.already_decided_plain", id=app_id)
    await _keep(ctx, state, chosen, cursor)
    await page(ctx, cursor, note)


async def _keep(ctx: Ctx, state: Dialog, chosen: list[int], cursor: int) -> None:
    """A changed selection voids a confirmation asked before it."""
    state.data.update(sel=sorted(set(chosen)), at=cursor, ask=None, ids=[])
    await _save(ctx, state)


async def _on_page(ctx: Ctx, cursor: int) -> list[int]:
    return [a.id for a in await applications.pending_after(ctx.conn, cursor, PAGE_SIZE)]


async def select_page(ctx: Ctx, cursor: int) -> None:
    state = await _state(ctx)
    await _keep(ctx, state, await _selected(ctx, state) + await _on_page(ctx, cursor), cursor)
    await page(ctx, cursor)


async def clear_page(ctx: Ctx, cursor: int) -> None:
    state = await _state(ctx)
    shown = set(await _on_page(ctx, cursor))
    await _keep(ctx, state, [i for i in await _selected(ctx, state) if i not in shown], cursor)
    await page(ctx, cursor)


async def _ask(ctx: Ctx, cursor: int, action: str) -> list[int] | None:
    state = await _state(ctx)
    chosen = await _selected(ctx, state)
    if not chosen:
        await page(ctx, cursor, ctx.t("apps.select_first"))
        return None
    state.data.update(sel=chosen, at=cursor, ask=action, ids=chosen)
    await _save(ctx, state)
    return chosen


def _numbers(ids: list[int]) -> str:
    named = ", ".join(f"№{i}" for i in ids[:SHOWN_IDS])
    return named + (" …" if len(ids) > SHOWN_IDS else "")


async def ask_approve(ctx: Ctx, cursor: int) -> None:
    chosen = await _ask(ctx, cursor, "ok")
    if chosen is None:
        return
    await ctx.reply(ctx.t("apps.confirm_approve", count=len(chosen), numbers=_numbers(chosen)), [[
        Button(ctx.t("apps.yes_approve", count=len(chosen)), "apl|y|ok"),
        Button(ctx.t("apps.cancel"), "apl|x"),
    ]])


async def ask_reject(ctx: Ctx, cursor: int) -> None:
    chosen = await _ask(ctx, cursor, "no")
    if chosen is None:
        return
    await ctx.reply(ctx.t("apps.confirm_reject", count=len(chosen), numbers=_numbers(chosen)), [[
        Button(ctx.t("apps.yes_reject", count=len(chosen)), "apl|y|no"),
        Button(ctx.t("apps.cancel"), "apl|x"),
    ]])


async def confirm(ctx: Ctx, action: str) -> None:
    state = await _state(ctx)
    if state.data.get("ask") != action or not state.data.get("ids"):
        await page(ctx, int(state.data.get("at", 0)), ctx.t("apps.confirm_gone"))
        return
    await decide(ctx, state, None)


async def decide(ctx: Ctx, state: Dialog, reason: str | None) -> None:
    """Decide the confirmed applications still pending; then the list continues."""
    ids = [int(i) for i in state.data.get("ids", [])]
    if state.data.get("ask") == "ok":
        done = [i for i in ids if await approve(ctx, i, quiet=True)]
        summary = ctx.t("app.bulk_approved", count=len(done))
    else:
        done = [i for i in ids if await reject(ctx, i, reason, quiet=True)]
        summary = ctx.t("app.bulk_rejected", count=len(done))
    if len(done) < len(ids):
        summary += " " + ctx.t("apps.decided_by_others", count=len(ids) - len(done))
    cursor = int(state.data.get("at", 0))
    left = [i for i in state.data.get("sel", []) if i not in ids]
    state.data.update(sel=left, ask=None, ids=[])
    await _save(ctx, state)
    await page(ctx, cursor, summary)


async def cancel(ctx: Ctx) -> None:
    state = await _state(ctx)
    asked = bool(state.data.get("ask"))
    state.data.update(ask=None, ids=[])
    if asked:
        await _save(ctx, state)
    await page(ctx, int(state.data.get("at", 0)), ctx.t("apps.cancelled" if asked else "apps.confirm_gone"))


async def open_cards(ctx: Ctx, cursor: int) -> None:
    """The selected applications as full cards, for a single decision or a return for correction."""
    chosen = await _selected(ctx, await _state(ctx))
    if not chosen:
        await page(ctx, cursor, ctx.t("apps.select_first"))
        return
    for app_id in chosen[:PAGE_SIZE]:
        reply = (await application_card.card(ctx.conn, ctx.services, app_id))(ctx.lang)
        await ctx.reply(reply.text, reply.buttons)
    if len(chosen) > PAGE_SIZE:
        await ctx.reply(ctx.t("apps.cards_first", shown=PAGE_SIZE, count=len(chosen)))


async def typed(ctx: Ctx, dialog: Dialog) -> None:
    """Text while selecting: the reason of a rejection being confirmed, else a hint and the page."""
    if not await dialog_allowed(ctx, COORDINATOR):
        return
    cursor = int(dialog.data.get("at", 0))
    if dialog.data.get("ask") != "no":
        await page(ctx, cursor, ctx.t("apps.use_buttons"))
        return
    text = (ctx.incoming.text or "").strip()
    if not text or ctx.incoming.file is not None:
        await ctx.reply(ctx.t("apps.reason_text_only"), [[
            Button(ctx.t("apps.yes_reject", count=len(dialog.data.get("ids", []))), "apl|y|no"),
            Button(ctx.t("apps.cancel"), "apl|x"),
        ]])
        return
    await decide(ctx, dialog, text[:1000])

"""Reading a message meant for a ticket, and the short dialogs that wait for one.

A question can interrupt anything (an intern may be halfway through a form), so the
dialog it opens remembers the one it replaced and gives it back when done.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from bot.context import Ctx
from bot.messages import Button, FileInfo, Reply
from storage import dialogs, tickets
from storage.dialogs import Dialog
from storage.tickets import Ticket

ACCEPTED_FILES = frozenset({"photo", "document", "voice", "audio", "video", "video_note"})
ASK_DIALOG = "ask"
REPLY_DIALOG = "tk_reply"
_NUMBER = re.compile(r"[0-9]{1,12}")
MAX_TEXT = 3500
"""Leaves room for the header and the quoted question inside one messenger message."""


@dataclass(frozen=True, slots=True)
class Said:
    text: str
    file: FileInfo | None


async def read(ctx: Ctx, *, in_dialog: bool = True) -> Said | None:
    """The text and/or file of this update, or None after a polite explanation.

    In a dialog the person stays in it and may cancel; a messenger reply has no dialog.
    """
    buttons = cancel_row(ctx) if in_dialog else None
    incoming = ctx.incoming
    text = (incoming.text or "").strip()
    file = incoming.file
    if incoming.unsupported or (file is not None and file.kind not in ACCEPTED_FILES):
        await ctx.reply(ctx.t("tickets.bad_input"), buttons)
        return None
    if not text and file is None:
        await ctx.reply(ctx.t("tickets.empty_input"), buttons)
        return None
    if len(text) > MAX_TEXT:
        await ctx.reply(ctx.t("tickets.too_long", limit=MAX_TEXT, length=len(text)),
                        buttons)
        return None
    return Said(text, file)


async def confirm(
    ctx: Ctx, ticket_id: int, message_id: int, key: str,
    buttons: list[list[Button]] | None = None, **params: Any,
) -> None:
    """Confirm in the chat with a ticket message (not a plain reply), so that a messenger
    reply to the confirmation continues the same ticket too."""
    text = ctx.t(key, id=ticket_id, **params)
    await ctx.notify(ctx.person.id, f"tk:{ticket_id}:ok:{message_id}",
                     lambda _lang: Reply(text, buttons or []))


def number(raw: str) -> int | None:
    """An id typed or carried in a button: ASCII digits of a sane length, else nothing
    (`"²".isdigit()` is true and a 30-digit number overflows SQLite)."""
    return int(raw) if _NUMBER.fullmatch(raw) else None


def update_tag(ctx: Ctx) -> str:
    """Part of a notice's key that is unique per update: re-delivered updates are already
    deduplicated by the core, so a notice written while handling one needs no more."""
    return ctx.incoming.update_ref or uuid.uuid4().hex


def cancel_row(ctx: Ctx) -> list[list[Button]]:
    return [[Button(ctx.t("tickets.btn.cancel"), "askno")]]


async def enter(ctx: Ctx, kind: str, ref: str, data: dict[str, Any] | None = None) -> None:
    """Open a ticket dialog on top of whatever the person was doing."""
    current = await dialogs.get(ctx.conn, ctx.person.id)
    payload = dict(data or {})
    if current is not None and current.kind in (ASK_DIALOG, REPLY_DIALOG):
        if "prev" in current.data:
            payload["prev"] = current.data["prev"]
    elif current is not None:
        payload["prev"] = {"kind": current.kind, "ref": current.ref, "data": current.data}
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(kind, ref, payload), ctx.now)


async def leave(ctx: Ctx, dialog: Dialog) -> None:
    """Close a ticket dialog, give back the one it interrupted and show where it stood."""
    prev = dialog.data.get("prev")
    if prev is None:
        await dialogs.clear(ctx.conn, ctx.person.id)
        return
    restored = Dialog(prev["kind"], prev["ref"], prev.get("data", {}))
    await dialogs.put(ctx.conn, ctx.person.id, restored, ctx.now)
    if restored.kind == "form":
        await ctx.reply(ctx.t("tickets.back_to_form"))
        await ctx.services.forms.prompt(ctx, restored.ref)


async def find(ctx: Ctx, raw: str) -> Ticket | None:
    ticket_id = number(raw)
    return await tickets.get(ctx.conn, ticket_id) if ticket_id is not None else None


async def current_ticket_dialog(ctx: Ctx) -> Dialog | None:
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    return dialog if dialog is not None and dialog.kind in (ASK_DIALOG, REPLY_DIALOG) else None

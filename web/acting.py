"""Acting from the panel through the chat's own functions.

A form's handler calls `act(panel, viewer, nonce, fn)`: `fn` gets a `PanelCtx`, a real
`Ctx` of the signed-in person inside one transaction, and calls the same function the
chat's button would (approve, reject, answer a ticket...). Whatever that function tells
other people goes to the outbox exactly as from the chat and is sent right after the
commit; what it would answer the person themself becomes a note shown on the page.
The form's nonce is claimed like a messenger's update id, so a form posted twice (a
double click, a refresh) acts once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.context import Ctx
from bot.messages import Button, Incoming
from storage import outbox, persons
from web.panel import Panel
from web.viewer import Viewer

log = logging.getLogger(__name__)

PLATFORM = "web"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
T = TypeVar("T")


@dataclass(slots=True)
class PanelCtx(Ctx):
    notes: list[str] = field(default_factory=list)

    async def reply(
        self, text: str, buttons: list[list[Button]] | None = None, *, file: Any = None,
        keyboard: list[list[Button]] | None = None,
    ) -> None:
        """What the chat would answer the person acting is shown on the page instead."""
        self.notes.append(text)


@dataclass(frozen=True, slots=True)
class Acted:
    done: bool
    """False when the form had been handled already (its nonce was claimed)."""
    result: Any
    notes: list[str]


async def act(panel: Panel, viewer: Viewer, nonce: str, fn: Callable[[PanelCtx], Awaitable[T]]) -> Acted:
    if not NONCE.match(nonce):
        return Acted(False, None, [viewer.t("panel.errors.stale_form")])
    s = panel.s
    async with s.db.transaction() as conn:
        now = s.clock.now()
        if not await outbox.claim_update(conn, PLATFORM, nonce, now):
            return Acted(False, None, [viewer.t("panel.already_done")])
        person, roles = await persons.person_and_roles(conn, viewer.person.id)
        incoming = Incoming(PLATFORM, str(person.id), viewer.account.chat_ref, update_ref=f"web-{nonce}")
        ctx = PanelCtx(conn, now, s, incoming, person, viewer.account, roles, viewer.lang)
        result = await fn(ctx)
        written = await outbox.by_ids(conn, ctx.written)
    try:
        await s.delivery.flush(written)
    except Exception:
        log.exception("sending what a panel action wrote failed; the outbox loop will retry")
    return Acted(True, result, ctx.notes)


def read_ctx(panel: Panel, viewer: Viewer, conn: Any) -> PanelCtx:
    """A `Ctx` for the chat's own checks on a page that only reads (e.g. `may_act`)."""
    incoming = Incoming(PLATFORM, str(viewer.person.id), viewer.account.chat_ref)
    return PanelCtx(conn, panel.s.clock.now(), panel.s, incoming, viewer.person, viewer.account,
                    set(viewer.roles), viewer.lang)

"""The core's single entry point: one update in, one transaction, replies out.

Adapters call `Core.handle`; it dedupes re-delivered updates, identifies the person,
routes the update, writes every reply to the outbox in the same transaction and then
delivers them. A database failure gets a polite "try again in a minute" and nothing
half-written remains.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.context import Ctx
from bot.messages import Incoming, Reply
from bot.router import allowed
from storage import arrival, dialogs, outbox, persons
from storage.connection import DATABASE_ERRORS, Connection
from storage.outbox import OutboxRow

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_TEXT = 4000
"""Longer texts are cut before routing: no answer needs more, and it protects storage."""


class AlreadyHandled(Exception):
    """An update whose id was claimed before: its transaction is rolled back, nothing said."""


class Core:
    def __init__(self, services: Services) -> None:
        self.s = services

    async def handle(self, incoming: Incoming) -> None:
        if incoming.text and len(incoming.text) > MAX_TEXT * 4:
            incoming = _truncate(incoming)
        written: list[OutboxRow] = []
        ctx: Ctx | None = None
        lang = self.s.texts.language_for(incoming.language_code)
        try:
            # one chat's updates go one at a time, across instances too
            async with self.s.db.transaction(lock=f"{incoming.platform}:{incoming.chat_ref}") as conn:
                ctx = await self._context(conn, incoming)
                if ctx is None:
                    raise AlreadyHandled  # rolls back the account's touch too
                lang = ctx.lang
                await self.route(ctx)
                written = await self._claimed(conn, ctx)
        except AlreadyHandled:
            log.info("update %s/%s already handled", incoming.platform, incoming.update_ref)
            return
        except DATABASE_ERRORS:
            log.exception("storage failed while handling an update from %s", incoming.platform)
            await self._sorry(incoming, lang)
            return
        except Exception:
            log.exception("handler failed on an update from %s", incoming.platform)
            await self._sorry(incoming, lang)
            return
        await self._flush(written)
        if ctx is not None and ctx.later:
            await self._replies_later(ctx)

    async def _flush(self, written: list[OutboxRow]) -> None:
        try:
            await self.s.delivery.flush(written)
        except Exception:
            # The update and its replies are committed; whatever was not recorded as sent
            # stays pending and the outbox loop delivers it. The adapter must not see this.
            log.exception("delivering replies failed; the outbox loop will retry them")

    async def _claimed(self, conn: Connection, ctx: Ctx) -> list[OutboxRow]:
        """The rows this update wrote to send at once, claimed for this instance (see
        outbox.claim): replies were written claimed; notices to others are claimed here,
        under the same lock, and read back."""
        others = [i for i in ctx.written if i not in ctx.claimed]
        delivery = self.s.delivery
        rows = await outbox.claim(conn, others, delivery.instance, delivery.claim_until())
        rows.extend(ctx.claimed[i] for i in ctx.written if i in ctx.claimed)
        return sorted(rows, key=lambda r: r.id)

    async def _replies_later(self, ctx: Ctx) -> None:
        """Build each `Ctx.reply_later` reply outside the transaction, then outbox it."""
        for build in ctx.later:
            try:
                reply = await build()
                async with self.s.db.transaction() as conn:
                    ctx.conn, ctx.now, ctx.written, ctx.claimed = conn, self.s.clock.now(), [], {}
                    await ctx.reply(reply.text, reply.buttons, file=reply.file)
                    written = await self._claimed(conn, ctx)
            except Exception:
                log.exception("a reply built after the update failed (%s)", ctx.incoming.platform)
                await self._sorry(ctx.incoming, ctx.lang)
                return
            await self._flush(written)

    async def _sorry(self, incoming: Incoming, lang: str) -> None:
        reply = Reply(self.s.texts.get(lang, "common.try_again_later"))
        await self.s.delivery.send_direct(incoming.platform, incoming.chat_ref, reply)

    async def _context(self, conn: Connection, incoming: Incoming) -> Ctx | None:
        """The update's context; None when the messenger delivered it again."""
        now = self.s.clock.now()
        default_lang = self.s.texts.language_for(incoming.language_code)
        came = await arrival.arrive(conn, now, incoming, default_lang)
        if came is None:
            return None
        account, person, roles = came.account, came.person, came.roles
        if "coordinator" not in roles and self.s.settings.is_coordinator(
            incoming.platform, incoming.user_ref
        ):
            await persons.grant_role(conn, account.person_id, "coordinator", now)
            roles.add("coordinator")
        lang = person.locale or default_lang
        return Ctx(conn, now, self.s, incoming, person, account, roles, lang, arrived=came)

    async def route(self, ctx: Ctx) -> None:
        incoming = ctx.incoming
        router = self.s.router
        payload = incoming.payload
        if payload is None and incoming.text and incoming.file is None:
            payload = self._key(ctx, incoming.text)
        if payload is not None:
            prefix, _, rest = payload.partition("|")
            ctx.args = rest.split("|") if rest else []
            route = router.payloads.get(prefix)
            if route is None:
                await self.stale(ctx)
            elif not allowed(route, ctx):
                await self.refuse(ctx, route.roles)
            else:
                await route.handler(ctx)
            return
        text = (incoming.text or "").strip()
        if text.startswith("/") and len(text) > 1:
            name, *args = text[1:].split()
            name = name.split("@")[0].lower()
            ctx.args = args
            route = router.commands.get(name)
            if route is None:
                await ctx.reply(ctx.t("common.unknown_command", command="/" + name))
                await self.reprompt_form(ctx)
            elif not allowed(route, ctx):
                await self.refuse(ctx, route.roles)
            else:
                await route.handler(ctx)
            return
        if incoming.reply_to_ref:
            for hook in router.reply_hooks:
                if await hook(ctx):
                    return
        # no handler has run yet: what the update found is still the dialog
        dialog = ctx.arrived.dialog if ctx.arrived else await dialogs.get(ctx.conn, ctx.person.id)
        if dialog is not None and dialog.kind in router.dialogs:
            await router.dialogs[dialog.kind](ctx, dialog)
            return
        await self.idle(ctx)

    def _key(self, ctx: Ctx, text: str) -> str | None:
        """A persistent keyboard's label (tapped or typed) is that key's press, for those
        the key is meant for: anyone else typing the same words is simply writing."""
        payload = self.s.router.key_payload(text)
        route = self.s.router.payloads.get(payload.partition("|")[0]) if payload else None
        return payload if route is not None and allowed(route, ctx) else None

    async def refuse(self, ctx: Ctx, roles: frozenset[str] | None) -> None:
        names = ", ".join(ctx.t(f"common.roles.{r}") for r in sorted(roles or ()))
        await ctx.reply(ctx.t("common.not_allowed", role=names))

    async def stale(self, ctx: Ctx) -> None:
        """An old or unknown button: say so, then show where the person really is."""
        await ctx.reply(ctx.t("common.stale_button"))
        await self.resume(ctx)

    async def reprompt_form(self, ctx: Ctx) -> None:
        """In the middle of a form, ask its question again: the person stays at that step."""
        dialog = await dialogs.get(ctx.conn, ctx.person.id)
        if dialog is not None and dialog.kind == "form":
            await self.s.forms.prompt(ctx, dialog.ref)

    async def resume(self, ctx: Ctx) -> None:
        dialog = await dialogs.get(ctx.conn, ctx.person.id)
        if dialog is not None and dialog.kind == "form":
            await self.s.forms.prompt(ctx, dialog.ref)
            return
        await self.idle(ctx)

    async def idle(self, ctx: Ctx) -> None:
        """Nothing in progress: the feature that keeps free messages answers (a few lines
        with buttons), else /help, so nobody is left guessing."""
        if self.s.router.idle_handler is not None:
            await self.s.router.idle_handler(ctx)
            return
        handler = self.s.router.commands.get("help")
        if handler is not None:
            await handler.handler(ctx)
        else:
            await ctx.reply(ctx.t("common.nothing_to_do"))


def _truncate(incoming: Incoming) -> Incoming:
    from dataclasses import replace

    return replace(incoming, text=(incoming.text or "")[: MAX_TEXT * 4])

"""The Telegram adapter: long polling (or a webhook) in, Bot API calls out.

One aiogram `Bot` serves both directions. Updates of one person are handled strictly
in order; different people's updates of one batch run concurrently, so a slow send
to one chat never holds up everybody else. An update is confirmed to Telegram (the
next getUpdates offset) only after the core has committed it; the core dedupes by
update id, so a crash in between costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.types import (
    BotCommandScopeChat,
    MenuButtonDefault,
    MenuButtonWebApp,
    Message,
    ReplyParameters,
    Update,
    WebAppInfo,
)
from aiohttp import web

from bot.core import Core
from bot.messages import DeliveryError, Reply
from messengers import webhook
from messengers.ordering import PersonLocks, each_in_order
from messengers.telegram import mapping, render
from messengers.telegram.errors import delivery_error
from messengers.telegram.menu import Menu, MenuScope
from messengers.text_split import split_text, utf16_len

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25
MAX_BACKOFF = 30.0
MENU_REFRESH_S = 60.0
"""How often the command menus are rebuilt, so a role granted or revoked while the bot
runs shows in that person's menu within about a minute, not at the next start."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_bot(token: str, api_url: str) -> Bot:
    """A real aiogram `Bot` talking to `api_url` (Telegram itself, a local Bot API server, a fake)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session)


class TelegramAdapter:
    platform = mapping.PLATFORM
    rate_per_s: float | None = 30.0
    """Bot API: about 30 messages a second overall..."""
    per_chat_interval = 1.0
    """...and about one a second to the same chat."""
    max_batch = 1
    """No multi-recipient send in the Bot API: broadcasts call send() per chat."""

    def __init__(
        self,
        core: Core,
        *,
        token: str,
        api_url: str,
        poll_timeout: int = POLL_TIMEOUT,
        webhook_url: str = "",
        webhook_secret: str = "",
        webhook_listen: str = "0.0.0.0:8080",
        menus: Callable[[], Awaitable[list[Menu]]] | None = None,
        menu_refresh_s: float = MENU_REFRESH_S,
        messages_per_s: float = 30.0,
    ) -> None:
        self.core = core
        self.rate_per_s = messages_per_s
        self.bot = make_bot(token, api_url)
        self.poll_timeout = poll_timeout
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.webhook_port: int | None = None
        """The port the webhook server really listens on (useful with port 0)."""
        self.menus = menus
        """Builds the command menus (they read the roles from the database)."""
        self.menu_refresh_s = menu_refresh_s
        self._menus_set: dict[tuple[str, str | None], tuple[MenuScope, list[tuple[str, str]]]] = {}
        """(scope, language) -> (scope object, commands) as Telegram has them now."""
        self._menus_at: float | None = None
        self._panel_buttons: dict[int | str, tuple[str, str]] = {}
        """chat -> (label, url) of the panel menu button Telegram has now."""
        self._webhook_order = PersonLocks()
        self._stopping = asyncio.Event()
        self._poll: asyncio.Future[list[Update]] | None = None
        self._offset: int | None = None
        self._finished = asyncio.Event()
        self._finished.set()  # nothing running yet: stop() must not wait
        self._parts_done: dict[int, tuple[int, str | None]] = {}
        """idem -> (parts already accepted, last message id): a retry resumes, never repeats."""

    # --- sending -----------------------------------------------------------------------
    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        if not chat_ref.lstrip("-").isdigit():
            raise DeliveryError(f"telegram: {chat_ref!r} is not a chat id", permanent=True)
        try:
            steps = self._steps(int(chat_ref), reply)
        except render.PayloadTooLong as exc:
            log.error("not sending a reply to telegram: %s", exc)
            raise DeliveryError(str(exc)) from exc
        done, last = self._parts_done.get(idem, (0, None)) if idem is not None else (0, None)
        for index in range(done, len(steps)):
            try:
                message = await steps[index]()
            except Exception as exc:
                raise delivery_error(exc) from exc
            last = str(message.message_id)
            if idem is not None and index + 1 < len(steps):
                self._parts_done[idem] = (index + 1, last)
        if idem is not None:
            self._parts_done.pop(idem, None)
        return last

    def _steps(self, chat_id: int, reply: Reply) -> list[Callable[[], Awaitable[Message]]]:
        """The calls one reply needs: text parts, then the file; buttons on the last one."""
        markup = render.markup(reply)
        reply_to = (
            ReplyParameters(message_id=int(reply.reply_to_ref), allow_sending_without_reply=True)
            if reply.reply_to_ref and reply.reply_to_ref.isdigit() else None
        )
        caption: str | None = None
        texts = split_text(reply.text) if reply.text.strip() else []
        captioned = reply.file is not None and reply.file.kind not in render.NO_CAPTION
        if captioned and len(texts) == 1 and utf16_len(texts[0]) <= render.CAPTION_LIMIT:
            caption, texts = texts[0], []
        steps: list[Callable[[], Awaitable[Message]]] = []
        for i, text in enumerate(texts):
            last = i == len(texts) - 1 and reply.file is None
            keyboard = markup if last else None
            steps.append(self._text_step(chat_id, text, keyboard, reply_to if i == 0 else None))
        if reply.file is not None:
            out = reply.file
            method = getattr(self.bot, render.SEND_METHOD.get(out.kind, "send_document"))
            field = out.kind if out.kind in render.SEND_METHOD else "document"
            kwargs = {"chat_id": chat_id, field: render.input_file(out), "reply_markup": markup}
            if caption is not None:
                kwargs["caption"] = caption
            if not texts:
                kwargs["reply_parameters"] = reply_to
            steps.append(lambda: method(**kwargs))
        return steps

    def _text_step(self, chat_id: int, text: str, markup: object, reply_to: ReplyParameters | None
                   ) -> Callable[[], Awaitable[Message]]:
        return lambda: self.bot.send_message(
            chat_id=chat_id, text=text, reply_markup=markup, reply_parameters=reply_to  # type: ignore[arg-type]
        )

    # --- receiving ---------------------------------------------------------------------
    async def handle_updates(self, updates: list[Update]) -> None:
        """Handle one batch: each person's updates in order, different people concurrently."""
        await each_in_order(updates, mapping.user_key, self.handle_update)

    async def handle_update(self, update: Update) -> None:
        query = update.callback_query
        if query is not None:
            # Answer first: the button stops spinning even if handling takes a while.
            try:
                await self.bot.answer_callback_query(query.id)
            except Exception as exc:  # an expired query must not lose the press itself
                log.info("answerCallbackQuery failed: %s", exc)
        incoming = mapping.incoming_of(update)
        if incoming is None:
            return
        try:
            await self.core.handle(incoming)
        except Exception:
            log.exception("telegram update %s failed", update.update_id)

    async def run(self) -> None:
        """Long polling (or the webhook server) until `stop()`; a rejected token ends it."""
        self._finished.clear()
        try:
            if self.webhook_url:
                await self._serve_webhook()
            else:
                await self._poll_loop()
        finally:
            self._finished.set()

    async def set_menus(self) -> None:
        """setMyCommands for every scope and language that changed; deleteMyCommands for a
        chat whose person no longer has a staff role. A failure only costs the menu."""
        if self.menus is None:
            return
        self._menus_at = asyncio.get_running_loop().time()
        try:
            menus = await self.menus()
        except Exception:
            log.exception("building the command menus failed")
            return
        wanted = {(menu.scope.model_dump_json(), menu.language_code): menu for menu in menus}
        for key, menu in wanted.items():
            commands = [(c.command, c.description) for c in menu.commands]
            if key in self._menus_set and self._menus_set[key][1] == commands:
                continue
            try:
                await self.bot.set_my_commands(
                    menu.commands, scope=menu.scope, language_code=menu.language_code
                )
            except Exception as exc:
                log.warning("setMyCommands failed for %s: %s", menu.scope.type, exc)
                continue
            self._menus_set[key] = (menu.scope, commands)
        await self._set_panel_buttons(menus)
        for key in [k for k in self._menus_set if k not in wanted]:
            scope, _ = self._menus_set[key]
            try:
                await self.bot.delete_my_commands(scope=scope, language_code=key[1])
            except Exception as exc:
                log.warning("deleteMyCommands failed: %s", exc)
                continue
            del self._menus_set[key]

    async def _set_panel_buttons(self, menus: list[Menu]) -> None:
        """setChatMenuButton: the panel's Mini App for staff chats, the default menu again for
        a chat whose person lost the role. Only changes are sent."""
        wanted = {menu.scope.chat_id: menu.panel for menu in menus
                  if isinstance(menu.scope, BotCommandScopeChat) and menu.panel is not None}
        for chat_id in [c for c in self._panel_buttons if c not in wanted]:
            try:
                await self.bot.set_chat_menu_button(chat_id=chat_id, menu_button=MenuButtonDefault())
            except Exception as exc:
                log.warning("setChatMenuButton failed: %s", exc)
                continue
            del self._panel_buttons[chat_id]
        for chat_id, panel in wanted.items():
            if self._panel_buttons.get(chat_id) == panel:
                continue
            label, url = panel
            try:
                await self.bot.set_chat_menu_button(
                    chat_id=chat_id, menu_button=MenuButtonWebApp(text=label, web_app=WebAppInfo(url=url)))
            except Exception as exc:
                log.warning("setChatMenuButton failed: %s", exc)
                continue
            self._panel_buttons[chat_id] = panel

    async def refresh_menus(self) -> None:
        """set_menus() again once `menu_refresh_s` has passed since the last time."""
        now = asyncio.get_running_loop().time()
        if self._menus_at is None or now - self._menus_at >= self.menu_refresh_s:
            await self.set_menus()

    # --- webhook mode ------------------------------------------------------------------------
    async def on_webhook(self, request: web.Request) -> web.Response:
        """One update POSTed by Telegram; 200 only after it is handled, so a crash means a resend."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("webhook request without the right secret from %s", request.remote)
            return web.Response(status=403)
        if self._stopping.is_set():
            return web.Response(status=503)  # Telegram retries it after the restart
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except Exception:
            return web.Response(status=400)
        async with self._webhook_order.hold(mapping.user_key(update)):
            await self.handle_update(update)
        await self.refresh_menus()
        return web.Response()

    async def _serve_webhook(self) -> None:
        if not self.webhook_secret:
            log.error("TELEGRAM_WEBHOOK_SECRET is empty; refusing to serve an unprotected webhook")
            return
        runner, self.webhook_port = await webhook.serve(
            self.webhook_url, self.webhook_listen, self.on_webhook
        )
        try:
            try:
                await self.bot.set_webhook(
                    self.webhook_url, secret_token=self.webhook_secret,
                    allowed_updates=mapping.ALLOWED_UPDATES, drop_pending_updates=False,
                )
            except TelegramUnauthorizedError:
                log.error("Telegram rejected TELEGRAM_BOT_TOKEN; the Telegram adapter stops")
                return
            await self.set_menus()
            await self._stopping.wait()
        finally:
            await runner.cleanup()  # waits for the updates in hand

    # --- long polling ------------------------------------------------------------------------
    async def _poll_loop(self) -> None:
        backoff = 0.5
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramUnauthorizedError:
            log.error("Telegram rejected TELEGRAM_BOT_TOKEN; the Telegram adapter is not running")
            return
        except Exception as exc:
            log.warning("deleteWebhook failed (%s); polling anyway", exc)
        await self.set_menus()
        while not self._stopping.is_set():
            self._poll = asyncio.ensure_future(self.bot.get_updates(
                offset=self._offset, timeout=self.poll_timeout,
                allowed_updates=mapping.ALLOWED_UPDATES, request_timeout=self.poll_timeout + 15,
            ))
            try:
                updates = await self._poll
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self._stopping.is_set() and not (task and task.cancelling()):
                    break
                raise
            except TelegramUnauthorizedError:
                log.error("Telegram rejected TELEGRAM_BOT_TOKEN; the Telegram adapter stops")
                return
            except Exception as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            finally:
                self._poll = None
            backoff = 0.5
            if updates:
                await self.handle_updates(updates)
                self._offset = updates[-1].update_id + 1
            await self.refresh_menus()

    async def stop(self) -> None:
        """Stop taking updates; the batch in hand is finished and confirmed to Telegram."""
        self._stopping.set()
        if self._poll is not None:
            self._poll.cancel()
        if not self._finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), 30)
        if self._offset is not None:
            # Confirm what was handled, so a restart does not fetch it again (it would be
            # deduped anyway); limit=1 and timeout=0 fetch at most one update we leave alone.
            with contextlib.suppress(Exception):
                await self.bot.get_updates(offset=self._offset, limit=1, timeout=0)

    async def close(self) -> None:
        """Release the HTTP session, after the outbox stopped sending."""
        await self.bot.session.close()

"""A local fake of the Telegram Bot API for end-to-end tests of the real aiogram ``Bot``.

Why: e2e tests must exercise the real client (multipart encoding, error mapping,
long polling) without touching the network. Point aiogram at it with::

    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot("123456:TEST", session=session)

The fake speaks the real wire format (``{"ok": true, "result": ...}`` and
``{"ok": false, "error_code": ..., "description": ..., "parameters": ...}``), enforces the
most common validation rules of the real API (empty/too long text, HTML entities,
callback_data > 64 bytes, "message is not modified", stale callback ids) so bugs
surface in tests, and records every call for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes._base import (
    FakeServerBase,
    RuleBook,
    SlidingWindow,
    ensure_loopback_url,
    is_loopback_host,
)

JsonDict = dict[str, Any]

#: Methods that deliver something to a chat: they form ``messages_to`` and are rate-limited.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendVideo",
        "sendVoice",
        "sendAudio",
        "sendAnimation",
        "sendSticker",
        "sendVideoNote",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)
#: Methods that touch an existing chat; a blocked user makes them fail with 403 too.
CHAT_METHODS = SEND_METHODS | {
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "sendChatAction",
    "deleteMessage",
    "pinChatMessage",
}

# Form bodies carry everything as strings: these say how to decode them back.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "menu_button",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "cache_time",
        "message_thread_id",
        "max_connections",
        "duration",
        "width",
        "height",
        "user_id",
        "length",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "supports_streaming",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_MEDIA_FIELD = {
    "sendDocument": "document",
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_MDV2_ALWAYS_RESERVED = frozenset("#+-={}.!")
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CALLBACK_DATA = 64
_MAX_DOWNLOAD = 20 * 1024 * 1024
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class TelegramApiError(Exception):
    """An API-level failure rendered as ``{"ok": false, ...}`` with an HTTP status."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        """The JSON body the real Bot API returns for this error."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {description}")


def _utf8_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse_html(text: str) -> str:
    """Validate Telegram-HTML like the real API and return the visible plain text."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:lt])
        match = _TAG_RE.match(text, lt)
        if match is None:
            offset = _utf8_offset(text, lt)
            raise _bad(
                f"can't parse entities: Unexpected end of name token at byte offset {offset}"
            )
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            kind = "end" if closing else "start"
            offset = _utf8_offset(text, lt)
            raise _bad(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset {offset}'
            )
        if closing:
            if not stack or stack[-1] != name:
                expected = f'"</{stack[-1]}>"' if stack else "no end tag"
                offset = _utf8_offset(text, lt)
                raise _bad(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                    f'expected {expected}, found "</{name}>"'
                )
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    if stack:
        raise _bad(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return html.unescape("".join(out))


def check_markdown_v2(text: str) -> str:
    """Reject unescaped always-reserved MarkdownV2 characters; return text sans escapes."""
    out: list[str] = []
    i = 0
    in_code = False
    in_link_url = False
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        elif not in_code and text.startswith("](", i):
            in_link_url = True
            i += 2
            continue
        elif in_link_url and ch == ")":
            in_link_url = False
        elif not in_code and not in_link_url and ch in _MDV2_ALWAYS_RESERVED:
            raise _bad(
                f"can't parse entities: Character '{ch}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        if not in_link_url and ch not in "*_~|`[]()":
            out.append(ch)
        i += 1
    return "".join(out)


def _plain_text(text: str, parse_mode: Any) -> str:
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return check_markdown_v2(text)
    return text


def _validate_reply_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
        return
    if "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise _bad("can't parse reply keyboard markup JSON object")
        return
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad("can't parse inline keyboard button: Text must be non-empty")
            if not any(button.get(key) is not None for key in _INLINE_ACTIONS):
                raise _bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and len(str(data).encode("utf-8")) > _MAX_CALLBACK_DATA:
                raise _bad("BUTTON_DATA_INVALID")


def _validate_reply_keyboard(rows: Any) -> None:
    """A reply keyboard: rows of buttons with a text and no callback data."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else (button or {}).get("text")
            if not isinstance(text, str) or not text:
                raise _bad("can't parse keyboard button: Text must be non-empty")
            if isinstance(button, dict) and "callback_data" in button:
                raise _bad("can't parse keyboard button: field \"callback_data\" is unexpected")


def _inline_only(markup: Any) -> JsonDict | None:
    """Messages echo only inline keyboards (reply keyboards are not part of Message)."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


class FakeTelegramServer(FakeServerBase):
    """Fake Bot API on 127.0.0.1; see the module docstring for how to use it."""

    def __init__(
        self,
        *,
        rate_limit_per_s: int | None = None,
        per_chat_per_s: int | None = None,
        bot_first_name: str = "Internship Bot",
        bot_username: str = "fake_internship_bot",
        token: str | None = None,
    ) -> None:
        #: When set, any other token is answered 401 Unauthorized, as the real API does.
        self.token = token
        self.rate_limit_per_s = rate_limit_per_s
        self.per_chat_per_s = per_chat_per_s
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self.count_429 = 0
        #: Every update ever injected, in order (handy for webhook-mode tests).
        self.updates: list[JsonDict] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        #: Webhook deliveries done by the fake: update_id, status, time.
        self.webhook_deliveries: list[JsonDict] = []
        self.commands: dict[str, list[JsonDict]] = {}
        self._pending: list[JsonDict] = []
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._update_ids = itertools.count(100_001)
        self._query_ids = itertools.count(900_001)
        self._file_ids = itertools.count(1)
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JsonDict] = {}
        self._users: dict[int, JsonDict] = {}
        self._files: dict[str, JsonDict] = {}
        self._open_queries: set[str] = set()
        self._blocked: set[int] = set()
        self._reply_keyboards: dict[int, JsonDict] = {}
        """chat -> the reply keyboard shown under its input field (it outlives the message)."""
        self._failing_chats: dict[int, int] = {}
        self._faults = RuleBook()
        self._delays = RuleBook()
        self._window = SlidingWindow()
        self._chat_windows: dict[int, SlidingWindow] = {}
        self._bot_id = 1
        self._webhook_task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Callable[[JsonDict], Awaitable[Any]]] = {
            name: getattr(self, f"_m_{name}")
            for name in (
                "getMe",
                "getUpdates",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "sendMessage",
                "sendDocument",
                "sendPhoto",
                "sendVideo",
                "sendVoice",
                "sendAudio",
                "sendAnimation",
                "sendSticker",
                "sendVideoNote",
                "copyMessage",
                "forwardMessage",
                "editMessageText",
                "editMessageCaption",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "getFile",
                "setMyCommands",
                "deleteMyCommands",
                "getMyCommands",
                "getChat",
            )
        }
        for name in (
            "close",
            "logOut",
            "sendChatAction",
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
            "setChatMenuButton",
            "pinChatMessage",
            "unpinChatMessage",
        ):
            self._handlers[name] = self._m_true
        self._by_lower = {name.lower(): name for name in self._handlers}
        super().__init__()

    # -- wiring ----------------------------------------------------------------------
    def _setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)

    @property
    def base_url(self) -> str:
        """Pass to ``TelegramAPIServer.from_base(...)``."""
        return self.root_url

    async def _on_stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- request decoding -------------------------------------------------------------
    @staticmethod
    def _coerce(key: str, value: Any) -> Any:
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    return json.loads(value)
                except ValueError:
                    return value
            if key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
                return int(value)
            if key in _BOOL_FIELDS and value in ("true", "false"):
                return value == "true"
        return value

    async def _read_params(self, request: web.Request) -> JsonDict:
        raw: JsonDict = dict(request.query)
        uploads: dict[str, JsonDict] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        uploads[key] = {
                            "upload": True,
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "size": len(data),
                            "data": data,  # tests read an uploaded file back (a PDF)
                        }
                    else:
                        raw[key] = value
        params: JsonDict = {}
        for key, value in raw.items():
            if isinstance(value, str) and value.startswith("attach://"):
                ref = value.removeprefix("attach://")
                params[key] = uploads.pop(ref, {"upload": True, "missing": ref})
            else:
                params[key] = self._coerce(key, value)
        params.update(uploads)
        return params

    # -- dispatch ----------------------------------------------------------------------
    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.token is not None and token != self.token:
            method = request.match_info["method"]
            self._record(method, {}, time=self._now(), ok=False, status=401, error="Unauthorized")
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        self._bot_id = self._bot_id_from(token)
        requested = request.match_info["method"]
        method = self._by_lower.get(requested.lower(), requested)
        arrival = self._now()
        try:
            params = await self._read_params(request)
        except ValueError:
            params = {}
        status, body = await self._dispatch(method, params, arrival)
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    async def _dispatch(
        self, method: str, params: JsonDict, arrival: float, **extra: Any
    ) -> tuple[int, JsonDict | str]:
        delay = self._delays.pop(method)
        if delay is not None:
            await asyncio.sleep(delay["seconds"])
        try:
            fault = self._faults.pop(method)
            if fault is not None:
                if fault.get("body") is not None:
                    self._record(
                        method, params, time=arrival, ok=False, status=fault["status"], **extra
                    )
                    return fault["status"], fault["body"]
                raise TelegramApiError(
                    fault["status"], fault["description"], fault.get("retry_after")
                )
            handler = self._handlers.get(method)
            if handler is None:
                raise TelegramApiError(404, "Not Found: method not found")
            chat_id = params.get("chat_id")
            if method in CHAT_METHODS and isinstance(chat_id, int) and chat_id in self._blocked:
                raise TelegramApiError(403, BLOCKED)
            if method in CHAT_METHODS and isinstance(chat_id, int) and chat_id in self._failing_chats:
                status = self._failing_chats[chat_id]
                raise TelegramApiError(status, _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}"))
            if method in SEND_METHODS:
                self._check_rate(chat_id, arrival)
            result = await handler(params)
        except TelegramApiError as exc:
            if exc.status == 429:
                self.count_429 += 1
            self._record(
                method,
                params,
                time=arrival,
                ok=False,
                status=exc.status,
                error=exc.description,
                **extra,
            )
            return exc.status, exc.payload()
        if method in SEND_METHODS:
            self._window.add(arrival)
            if isinstance(chat_id, int):
                self._chat_windows.setdefault(chat_id, SlidingWindow()).add(arrival)
        self._record(method, params, time=arrival, ok=True, result=result, **extra)
        return 200, {"ok": True, "result": result}

    def _check_rate(self, chat_id: Any, now: float) -> None:
        waits: list[float] = []
        if self.rate_limit_per_s and self._window.count(now) >= self.rate_limit_per_s:
            waits.append(self._window.free_in(now))
        if self.per_chat_per_s and isinstance(chat_id, int):
            window = self._chat_windows.setdefault(chat_id, SlidingWindow())
            if window.count(now) >= self.per_chat_per_s:
                waits.append(window.free_in(now))
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise TelegramApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after
            )

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for info in self._files.values():
            if info.get("file_path") == path:
                return web.Response(body=b"\0" * int(info.get("file_size") or 0))
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # -- model helpers -------------------------------------------------------------------
    @staticmethod
    def _bot_id_from(token: str) -> int:
        head = token.split(":", 1)[0]
        return int(head) if head.isdigit() else 1

    @property
    def bot_user(self) -> JsonDict:
        """The bot's own ``User`` object (used as ``from`` of sent messages)."""
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _user(self, user_id: int) -> JsonDict:
        return self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "ru"},
        )

    def _chat(self, chat_id: int) -> JsonDict:
        if chat_id > 0:
            user = self._user(chat_id)
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if user.get("username"):
                chat["username"] = user["username"]
            return chat
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store(self, message: JsonDict) -> JsonDict:
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def _new_file(self, kind: str, size: int, **fields: Any) -> JsonDict:
        n = next(self._file_ids)
        file_id = f"FAKE-{kind}-{n}"
        info = {"file_id": file_id, "file_unique_id": f"U{kind[:2]}{n}", "file_size": size}
        info.update(fields)
        folder = {"photo": "photos", "video": "videos", "voice": "voice"}.get(kind, "documents")
        self._files[file_id] = {**info, "file_path": f"{folder}/file_{n}", "kind": kind}
        return info

    def _chat_id_param(self, params: JsonDict, key: str = "chat_id") -> int:
        value = params.get(key)
        if isinstance(value, int):
            return value
        if value is None or value == "":
            raise _bad(f"{key} is empty")
        raise _bad("chat not found")

    def _bot_message(self, chat_id: int, **content: Any) -> JsonDict:
        message: JsonDict = {
            "message_id": self._new_message_id(chat_id),
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        message.update({k: v for k, v in content.items() if v is not None})
        return self._store(message)

    def _reply_to(self, chat_id: int, params: JsonDict) -> JsonDict | None:
        reply_id = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if reply_id is None and isinstance(reply_parameters, dict):
            reply_id = reply_parameters.get("message_id")
        if reply_id is None:
            return None
        original = self._messages.get((chat_id, int(reply_id)))
        if original is None:
            allow = params.get("allow_sending_without_reply") or (
                isinstance(reply_parameters, dict)
                and reply_parameters.get("allow_sending_without_reply")
            )
            if allow:
                return None
            raise _bad("message to be replied not found")
        return {k: v for k, v in original.items() if k != "reply_to_message"}

    # -- Bot API methods -------------------------------------------------------------------
    async def _m_true(self, params: JsonDict) -> bool:
        return True

    async def _m_getMe(self, params: JsonDict) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getChat(self, params: JsonDict) -> JsonDict:
        chat_id = self._chat_id_param(params)
        return {**self._chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11}

    async def _m_getUpdates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook_url:
            raise TelegramApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        wait_s = max(0, int(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = allowed or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # terminate an older long poll, as the real API does (409)
        deadline = self._now() + wait_s
        while True:
            if offset > 0:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._drop_disallowed()
            if self._pending or self._closing:
                return self._pending[:limit]
            if generation != self._poll_generation:
                raise TelegramApiError(409, _DEFAULT_DESCRIPTIONS[409])
            remaining = deadline - self._now()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    def _drop_disallowed(self) -> None:
        if not self._allowed_updates:
            return
        allowed = set(self._allowed_updates)
        self._pending = [u for u in self._pending if self._update_type(u) in allowed]

    @staticmethod
    def _update_type(update: JsonDict) -> str:
        return next((k for k in update if k != "update_id"), "")

    async def _m_setWebhook(self, params: JsonDict) -> bool:
        url = str(params.get("url") or "")
        self.webhook_url = url or None
        self.webhook_secret = params.get("secret_token") or None
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._kick_webhook()
        return True

    async def _m_deleteWebhook(self, params: JsonDict) -> bool:
        self.webhook_url = None
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_getWebhookInfo(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    async def _m_sendMessage(self, params: JsonDict) -> JsonDict:
        chat_id = self._chat_id_param(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        plain = _plain_text(text, params.get("parse_mode"))
        if not plain.strip():
            raise _bad("text must be non-empty")
        if len(plain) > _MAX_TEXT:
            raise _bad("message is too long")
        markup = params.get("reply_markup")
        _validate_reply_markup(markup)
        reply = self._reply_to(chat_id, params)
        self._keep_reply_keyboard(chat_id, markup)
        return self._bot_message(
            chat_id, text=plain, reply_markup=_inline_only(markup), reply_to_message=reply
        )

    def _keep_reply_keyboard(self, chat_id: int, markup: Any) -> None:
        if isinstance(markup, dict) and "keyboard" in markup:
            self._reply_keyboards[chat_id] = markup
        elif isinstance(markup, dict) and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat_id, None)

    def _caption(self, params: JsonDict) -> str | None:
        caption = params.get("caption")
        if not caption:
            return None
        plain = _plain_text(str(caption), params.get("parse_mode"))
        if len(plain) > _MAX_CAPTION:
            raise _bad("message caption is too long")
        return plain

    def _media_object(self, kind: str, value: Any, params: JsonDict) -> Any:
        if isinstance(value, dict):  # a multipart upload
            size = int(value.get("size") or 0)
            name = value.get("filename")
            mime = value.get("content_type")
        elif isinstance(value, str) and value in self._files:
            known = self._files[value]
            return self._shape(kind, {k: v for k, v in known.items() if k != "file_path"})
        elif isinstance(value, str) and value:
            size, name, mime = 0, value.rsplit("/", 1)[-1] or None, None
        else:
            raise _bad(f"there is no {kind} in the request")
        fields: JsonDict = {}
        if kind in ("document", "audio", "animation", "video"):
            fields["file_name"] = name
            fields["mime_type"] = mime or "application/octet-stream"
        if kind in ("video", "animation", "video_note", "voice", "audio"):
            fields["duration"] = int(params.get("duration") or 1)
        if kind in ("video", "animation"):
            fields["width"] = int(params.get("width") or 640)
            fields["height"] = int(params.get("height") or 360)
        if kind == "voice":
            fields["mime_type"] = "audio/ogg"
        if kind == "video_note":
            fields["length"] = int(params.get("length") or 240)
        info = self._new_file(kind, size, **{k: v for k, v in fields.items() if v is not None})
        return self._shape(kind, info)

    @staticmethod
    def _shape(kind: str, info: JsonDict) -> Any:
        info = {k: v for k, v in info.items() if k != "kind"}
        if kind == "photo":
            base = {k: v for k, v in info.items() if k in ("file_id", "file_unique_id")}
            return [
                {**base, "file_unique_id": base["file_unique_id"] + "s", "width": 90, "height": 60},
                {**base, "width": 1280, "height": 853, "file_size": info.get("file_size", 0)},
            ]
        if kind == "sticker":
            return {
                **info,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        return info

    async def _send_media(self, kind: str, params: JsonDict) -> JsonDict:
        chat_id = self._chat_id_param(params)
        caption = self._caption(params)
        markup = params.get("reply_markup")
        _validate_reply_markup(markup)
        obj = self._media_object(kind, params.get(kind), params)
        reply = self._reply_to(chat_id, params)
        self._keep_reply_keyboard(chat_id, markup)
        content: JsonDict = {kind: obj, "caption": caption, "reply_markup": _inline_only(markup)}
        return self._bot_message(chat_id, reply_to_message=reply, **content)

    async def _m_sendDocument(self, params: JsonDict) -> JsonDict:
        return await self._send_media("document", params)

    async def _m_sendPhoto(self, params: JsonDict) -> JsonDict:
        return await self._send_media("photo", params)

    async def _m_sendVideo(self, params: JsonDict) -> JsonDict:
        return await self._send_media("video", params)

    async def _m_sendVoice(self, params: JsonDict) -> JsonDict:
        return await self._send_media("voice", params)

    async def _m_sendAudio(self, params: JsonDict) -> JsonDict:
        return await self._send_media("audio", params)

    async def _m_sendAnimation(self, params: JsonDict) -> JsonDict:
        return await self._send_media("animation", params)

    async def _m_sendSticker(self, params: JsonDict) -> JsonDict:
        return await self._send_media("sticker", params)

    async def _m_sendVideoNote(self, params: JsonDict) -> JsonDict:
        return await self._send_media("video_note", params)

    def _source(self, params: JsonDict, what: str) -> JsonDict:
        from_chat = self._chat_id_param(params, "from_chat_id")
        source = self._messages.get((from_chat, int(params.get("message_id") or 0)))
        if source is None:
            raise _bad(f"message to {what} not found")
        return source

    _CONTENT_KEYS = (
        "text",
        "caption",
        "document",
        "photo",
        "video",
        "voice",
        "audio",
        "animation",
        "sticker",
        "video_note",
        "entities",
        "caption_entities",
    )

    async def _m_copyMessage(self, params: JsonDict) -> JsonDict:
        chat_id = self._chat_id_param(params)
        source = self._source(params, "copy")
        content = {k: source[k] for k in self._CONTENT_KEYS if k in source}
        if "caption" in params:
            content["caption"] = self._caption(params)
        markup = params.get("reply_markup")
        _validate_reply_markup(markup)
        copied = self._bot_message(chat_id, reply_markup=_inline_only(markup), **content)
        return {"message_id": copied["message_id"]}

    async def _m_forwardMessage(self, params: JsonDict) -> JsonDict:
        chat_id = self._chat_id_param(params)
        source = self._source(params, "forward")
        content = {k: source[k] for k in self._CONTENT_KEYS if k in source}
        sender = source.get("from") or self.bot_user
        origin = {"type": "user", "sender_user": sender, "date": source["date"]}
        return self._bot_message(chat_id, forward_origin=origin, **content)

    def _editable(self, params: JsonDict) -> JsonDict | None:
        """The stored message to edit, or None for inline messages (result is True)."""
        if params.get("inline_message_id"):
            return None
        chat_id = self._chat_id_param(params)
        message = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            raise _bad("message to edit not found")
        if (message.get("from") or {}).get("id") != self._bot_id:
            raise _bad("message can't be edited")
        return message

    async def _m_editMessageText(self, params: JsonDict) -> JsonDict | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        plain = _plain_text(text, params.get("parse_mode"))
        if len(plain) > _MAX_TEXT:
            raise _bad("MESSAGE_TOO_LONG")
        markup = params.get("reply_markup")
        _validate_reply_markup(markup)
        message = self._editable(params)
        if message is None:
            return True
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        new_markup = _inline_only(markup)
        if message.get("text") == plain and message.get("reply_markup") == new_markup:
            raise _bad(NOT_MODIFIED[len("Bad Request: ") :])
        message["text"] = plain
        self._set_markup(message, new_markup)
        message["edit_date"] = int(time.time())
        return message

    async def _m_editMessageCaption(self, params: JsonDict) -> JsonDict | bool:
        caption = self._caption(params)
        markup = params.get("reply_markup")
        _validate_reply_markup(markup)
        message = self._editable(params)
        if message is None:
            return True
        new_markup = _inline_only(markup)
        if message.get("caption") == caption and message.get("reply_markup") == new_markup:
            raise _bad(NOT_MODIFIED[len("Bad Request: ") :])
        if caption is None:
            message.pop("caption", None)
        else:
            message["caption"] = caption
        self._set_markup(message, new_markup)
        message["edit_date"] = int(time.time())
        return message

    async def _m_editMessageReplyMarkup(self, params: JsonDict) -> JsonDict | bool:
        markup = params.get("reply_markup")
        _validate_reply_markup(markup)
        message = self._editable(params)
        if message is None:
            return True
        new_markup = _inline_only(markup)
        if message.get("reply_markup") == new_markup:
            raise _bad(NOT_MODIFIED[len("Bad Request: ") :])
        self._set_markup(message, new_markup)
        message["edit_date"] = int(time.time())
        return message

    @staticmethod
    def _set_markup(message: JsonDict, markup: JsonDict | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    async def _m_deleteMessage(self, params: JsonDict) -> bool:
        chat_id = self._chat_id_param(params)
        if self._messages.pop((chat_id, int(params.get("message_id") or 0)), None) is None:
            raise _bad("message to delete not found")
        return True

    async def _m_answerCallbackQuery(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise _bad(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    async def _m_getFile(self, params: JsonDict) -> JsonDict:
        file_id = str(params.get("file_id") or "")
        info = self._files.get(file_id)
        if info is None:
            raise _bad("invalid file_id")
        if int(info.get("file_size") or 0) > _MAX_DOWNLOAD:
            raise _bad("file is too big")
        return {
            "file_id": info["file_id"],
            "file_unique_id": info["file_unique_id"],
            "file_size": info.get("file_size", 0),
            "file_path": info["file_path"],
        }

    @staticmethod
    def _scope_key(params: JsonDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    async def _m_setMyCommands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("field \"commands\" must be an Array")
        self.commands[self._scope_key(params)] = commands
        return True

    async def _m_deleteMyCommands(self, params: JsonDict) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _m_getMyCommands(self, params: JsonDict) -> list[JsonDict]:
        return self.commands.get(self._scope_key(params), [])

    # -- webhook mode --------------------------------------------------------------------
    async def post_update_to(
        self, url: str, update: JsonDict, secret_token: str | None = None
    ) -> tuple[int, str]:
        """POST ``update`` to the bot's webhook (loopback only); return (status, body).

        Why: lets webhook-mode tests feed updates exactly as Telegram does, including the
        ``X-Telegram-Bot-Api-Secret-Token`` header.
        """
        ensure_loopback_url(url)
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        if self._http is None:
            self._http = aiohttp.ClientSession()
        async with self._http.post(url, data=json.dumps(update), headers=headers) as resp:
            return resp.status, await resp.text()

    def _kick_webhook(self) -> None:
        """Deliver pending updates to a loopback webhook, like Telegram pushes them."""
        url = self.webhook_url
        if not url or not is_loopback_host(urlsplit(url).hostname) or self._closing:
            return
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())

    async def _webhook_worker(self) -> None:
        attempt = 0
        while self._pending and self.webhook_url and not self._closing:
            update = self._pending[0]
            try:
                status, body = await self.post_update_to(
                    self.webhook_url, update, self.webhook_secret
                )
            except (aiohttp.ClientError, OSError, ValueError):
                status, body = 0, ""
            self.webhook_deliveries.append(
                {"update_id": update["update_id"], "status": status, "time": self._now()}
            )
            if 200 <= status < 300:
                attempt = 0
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                await self._run_webhook_reply(body)
                self._notify()
            else:
                attempt += 1
                await asyncio.sleep(min(1.0, 0.1 * attempt))

    async def _run_webhook_reply(self, body: str) -> None:
        """Execute a method returned in the webhook response body, as Telegram does."""
        try:
            reply = json.loads(body) if body else None
        except ValueError:
            return
        if not isinstance(reply, dict) or "method" not in reply:
            return
        params = {k: self._coerce(k, v) for k, v in reply.items() if k != "method"}
        method = self._by_lower.get(str(reply["method"]).lower(), str(reply["method"]))
        await self._dispatch(method, params, self._now(), via="webhook_reply")

    # -- injecting user actions ----------------------------------------------------------
    def push_update(self, update: JsonDict) -> int:
        """Queue a raw Update (``update_id`` is assigned if missing); return its id."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._pending.append(update)
        self.updates.append(update)
        self._notify()
        self._kick_webhook()
        return int(update["update_id"])

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """Create/update the profile used as ``from`` for this user's updates."""
        user = self._user(user_id)
        for key, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        return user

    def _user_message(self, user_id: int, reply_to_message_id: int | None, **content: Any) -> JsonDict:
        message: JsonDict = {
            "message_id": self._new_message_id(user_id),
            "from": dict(self._user(user_id)),
            "chat": self._chat(user_id),
            "date": int(time.time()),
            **content,
        }
        if reply_to_message_id is not None:
            original = self._messages.get((user_id, reply_to_message_id))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        return self._store(message)

    def build_text_update(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str = "ru",
        first_name: str | None = None,
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JsonDict:
        """Build (without queueing) a private-chat text ``Update``; for webhook tests."""
        self.set_user(
            user_id, first_name=first_name, username=username, language_code=language_code
        )
        content: JsonDict = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._user_message(user_id, reply_to_message_id, **content)
        return {"update_id": next(self._update_ids), "message": message}

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str = "ru",
        first_name: str | None = None,
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """The user writes ``text`` to the bot; returns the update_id."""
        return self.push_update(
            self.build_text_update(
                user_id,
                text,
                language_code=language_code,
                first_name=first_name,
                username=username,
                reply_to_message_id=reply_to_message_id,
            )
        )

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        """The reply keyboard the chat shows under its input field now, if any."""
        return self._reply_keyboards.get(chat_id)

    def reply_keys(self, chat_id: int) -> list[str]:
        rows = (self.reply_keyboard(chat_id) or {}).get("keyboard") or []
        return [b if isinstance(b, str) else b["text"] for row in rows for b in row]

    def tap_key(self, user_id: int, label: str) -> int:
        """The user taps a key of the reply keyboard: the client sends its label as text."""
        keys = self.reply_keys(user_id)
        if label not in keys:
            msg = f"no key {label!r} on the reply keyboard of {user_id}: {keys!r}"
            raise AssertionError(msg)
        return self.send_text(user_id, label)

    def last_bot_message(self, chat_id: int, *, with_keyboard: bool = False) -> JsonDict | None:
        """The newest stored message the bot sent to ``chat_id`` (optionally with buttons)."""
        candidates = [
            m
            for (cid, _), m in self._messages.items()
            if cid == chat_id
            and (m.get("from") or {}).get("id") == self._bot_id
            and (not with_keyboard or m.get("reply_markup"))
        ]
        return max(candidates, key=lambda m: m["message_id"], default=None)

    def message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The current state of a stored message (after edits), if any."""
        return self._messages.get((chat_id, message_id))

    def buttons(self, chat_id: int, message_id: int | None = None) -> list[list[JsonDict]]:
        """Inline keyboard rows of a bot message (default: the newest one with buttons)."""
        if message_id is None:
            msg = self.last_bot_message(chat_id, with_keyboard=True)
        else:
            msg = self.message(chat_id, message_id)
        return list(((msg or {}).get("reply_markup") or {}).get("inline_keyboard") or [])

    def build_callback_update(
        self, user_id: int, data: str, message_id: int | None = None
    ) -> JsonDict:
        """Build (without queueing) a ``callback_query`` Update for a button press."""
        message = (
            self.last_bot_message(user_id, with_keyboard=True)
            if message_id is None
            else self._messages.get((user_id, message_id))
        )
        if message is None:
            # Pressing a button of a message the fake never saw: synthesise it so that
            # later edits of it succeed, as they would for a real old message.
            message = self._bot_message(user_id, text="(message)")
            if message_id is not None:
                self._messages.pop((user_id, message["message_id"]))
                message["message_id"] = message_id
                self._store(message)
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": dict(self._user(user_id)),
            "message": {k: v for k, v in message.items()},
            "chat_instance": f"ci{user_id}",
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def press_button(self, user_id: int, data: str, message_id: int | None = None) -> str:
        """The user presses an inline button with ``callback_data=data``; returns query id.

        ``message_id`` defaults to the newest bot message with an inline keyboard.
        """
        update = self.build_callback_update(user_id, data, message_id)
        self.push_update(update)
        return str(update["callback_query"]["id"])

    def press_button_text(self, user_id: int, text: str, message_id: int | None = None) -> str:
        """Press the inline button whose label is ``text`` (fails if there is none)."""
        for row in self.buttons(user_id, message_id):
            for button in row:
                if button.get("text") == text and button.get("callback_data") is not None:
                    target = message_id
                    if target is None:
                        last = self.last_bot_message(user_id, with_keyboard=True)
                        target = last["message_id"] if last else None
                    return self.press_button(user_id, button["callback_data"], target)
        msg = f"no callback button {text!r} for chat {user_id}: {self.buttons(user_id, message_id)}"
        raise AssertionError(msg)

    def _push_media(
        self, user_id: int, caption: str | None, kind: str, obj: Any
    ) -> int:
        content: JsonDict = {kind: obj}
        if caption:
            content["caption"] = caption
        message = self._user_message(user_id, None, **content)
        return self.push_update({"message": message})

    def send_document(
        self,
        user_id: int,
        file_name: str,
        mime: str,
        size: int,
        *,
        caption: str | None = None,
    ) -> int:
        """The user sends a file as a document; returns the update_id."""
        info = self._new_file("document", size, file_name=file_name, mime_type=mime)
        return self._push_media(user_id, caption, "document", self._shape("document", info))

    def send_video(
        self,
        user_id: int,
        duration: int,
        size: int,
        mime: str = "video/mp4",
        *,
        caption: str | None = None,
        file_name: str | None = "video.mp4",
    ) -> int:
        """The user sends a video (as a video, not a file); returns the update_id."""
        fields: JsonDict = {"width": 1280, "height": 720, "duration": duration, "mime_type": mime}
        if file_name:
            fields["file_name"] = file_name
        info = self._new_file("video", size, **fields)
        return self._push_media(user_id, caption, "video", self._shape("video", info))

    def send_photo(self, user_id: int, size: int = 100_000, *, caption: str | None = None) -> int:
        """The user sends a compressed photo; returns the update_id."""
        info = self._new_file("photo", size)
        return self._push_media(user_id, caption, "photo", self._shape("photo", info))

    def send_voice(self, user_id: int, duration: int, size: int | None = None) -> int:
        """The user sends a voice note; returns the update_id."""
        info = self._new_file(
            "voice", size if size is not None else duration * 2000, duration=duration,
            mime_type="audio/ogg",
        )
        return self._push_media(user_id, None, "voice", self._shape("voice", info))

    def send_sticker(self, user_id: int, emoji: str = "👍") -> int:
        """The user sends a sticker; returns the update_id."""
        info = self._new_file("sticker", 20_000, emoji=emoji)
        return self._push_media(user_id, None, "sticker", self._shape("sticker", info))

    # -- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        skip: int = 0,
        description: str | None = None,
        body: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail, after ``skip`` pass.

        429 carries ``parameters.retry_after``; ``body`` sends a raw non-JSON body instead
        (e.g. an HTML 502 page from a proxy).
        """
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._faults.add(
            method,
            times,
            skip=skip,
            status=status,
            description=description,
            retry_after=retry_after if status == 429 else None,
            body=body,
        )

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Delay the next ``times`` responses of ``method`` (for client-timeout tests)."""
        self._delays.add(method, times, seconds=seconds)

    def block_user(self, chat_id: int) -> None:
        """Every send/edit to ``chat_id`` now fails with 403 'bot was blocked by the user'."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        """Undo :meth:`block_user`."""
        self._blocked.discard(chat_id)

    def fail_chat(self, chat_id: int, status: int = 500) -> None:
        """Every send/edit to ``chat_id`` now fails with ``status`` (a server that keeps
        failing for one chat: retried by the bot until it gives up)."""
        self._failing_chats[chat_id] = status

    # -- assertions helpers ----------------------------------------------------------------
    def sends_to(self, chat_id: int) -> list[JsonDict]:
        """Successful send-type call records (method/params/result) addressed to a chat."""
        return [
            c
            for c in self.sent
            if c["ok"] and c["method"] in SEND_METHODS and c["params"].get("chat_id") == chat_id
        ]

    def messages_to(self, chat_id: int) -> list[JsonDict]:
        """Params of every successful send* / copy / forward call to ``chat_id``."""
        return [c["params"] for c in self.sends_to(chat_id)]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts (sendMessage) and captions (media) delivered to ``chat_id``, as sent."""
        texts: list[str] = []
        for params in self.messages_to(chat_id):
            value = params.get("text", params.get("caption"))
            if isinstance(value, str):
                texts.append(value)
        return texts

    def edits_to(self, chat_id: int) -> list[JsonDict]:
        """Params of successful editMessage* calls in ``chat_id``."""
        return [
            c["params"]
            for c in self.sent
            if c["ok"]
            and c["method"].startswith("editMessage")
            and c["params"].get("chat_id") == chat_id
        ]

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[JsonDict]:
        """Wait until at least ``count`` messages were delivered to ``chat_id``."""
        await self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    async def wait_for_call(self, method: str, timeout: float = 5.0) -> JsonDict:
        """Wait for the first successful call of ``method`` recorded from now on."""
        start = len(self.sent)

        def found() -> JsonDict | None:
            return next((c for c in self.sent[start:] if c["method"] == method and c["ok"]), None)

        result: JsonDict = await self.wait_for(found, timeout)
        return result

    @property
    def polls_started(self) -> int:
        """How many getUpdates calls arrived so far (a long poll is recorded only on return)."""
        return self._poll_generation

    def pending_updates(self) -> list[JsonDict]:
        """Updates queued but not yet confirmed by the bot."""
        return list(self._pending)

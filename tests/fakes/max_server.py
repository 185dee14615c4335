"""A local fake of the MAX Bot API (platform-api.max.ru) for end-to-end tests of ``maxapi``.

Why: e2e tests must exercise the real client library (its request/upload encoding, error
mapping and retries, update parsing) without touching the network. Point ``maxapi`` at it::

    bot = Bot(token="max-test-token", auto_requests=False, auto_check_subscriptions=False)
    bot.set_api_url(fake.base_url)
    bot.after_input_media_delay = 0   # Bot(after_input_media_delay=0) is turned into 2.0!
    bot.after_upload_retry_delay = 0

Wire format (checked against maxapi 1.2.3): the token comes only in the ``Authorization``
header (raw, no ``Bearer``); successes are plain JSON objects (``{"message": {...}}``,
``{"success": true}``, ``{"updates": [...], "marker": N}``); errors are
``{"code": "...", "message": "..."}`` with an HTTP status (401 -> ``InvalidToken``,
502/503/504 are retried by maxapi, anything else -> ``MaxApiError(code=status, raw=body)``).

Ids: a user's dialog with the bot has ``chat_id = chat_of(user_id) = user_id + DIALOG_OFFSET``
(distinct from the user id, as on the real platform, so a mix-up of the two surfaces as
404 ``chat.not.found``). Message ids look like ``"mid.000000000000000000000000000000a1"``.

Fault-injection names (for :meth:`FakeMaxServer.fail_next` / :meth:`~FakeMaxServer.delay_next`;
``"*"`` matches everything): ``getMe`` (GET /me), ``editMe`` (PATCH /me), ``setCommands``
(PATCH /me/commands), ``getUpdates``, ``sendMessage`` (POST /messages), ``editMessage``
(PUT /messages), ``deleteMessage``, ``getMessage`` (GET /messages/{mid}), ``answerCallback``
(POST /answers), ``getUploadUrl`` (POST /uploads), ``upload`` (POST /upload/{n}, the upload
server), ``getChat``, ``sendAction``, ``getSubscriptions``, ``subscribe``, ``unsubscribe``,
``download`` (GET /files/{n}).

Error codes the fake answers with: ``verify.token`` (401), ``too.many.requests`` (429),
``text.too.long`` / ``proto.payload`` (400 validation), ``attachment.not.found`` (400, unknown
upload token), ``chat.denied`` (403, :meth:`block_user`), ``chat.not.found`` /
``not.found`` (404). Only ``attachment.not.ready`` is a code maxapi itself knows about (it
retries the send); the other codes are the fake's best guess at the platform's and are not
documented in maxapi.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
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
Handler = Callable[[web.Request, JsonDict, Any], Any]

#: ``chat_of(user_id)``: dialog chat ids live in their own range, never equal to a user id.
DIALOG_OFFSET = 100_000_000_000
BOT_USER_ID = 900_001
MAX_TEXT = 4000
"""Platform limit on ``text`` (maxapi itself refuses ``len(text) >= 4000`` before sending)."""
MAX_KEYBOARD_ROWS = 30
MAX_ROW_BUTTONS = 7
MAX_BUTTONS = 210
MAX_CALLBACK_PAYLOAD = 1024
MAX_POLL_TIMEOUT = 30
"""Seconds; also the default when ``timeout`` is not given (maxapi's dispatcher never sends it)."""
WEBHOOK_SECRET_HEADER = "X-Max-Bot-Api-Secret"

UPLOAD_KINDS = ("file", "image", "video", "audio")
_BUTTON_TYPES = frozenset(
    {
        "callback",
        "link",
        "request_contact",
        "request_geo_location",
        "chat",
        "message",
        "open_app",
        "clipboard",
    }
)
_ATTACHMENT_TYPES = frozenset(
    {
        "image",
        "video",
        "audio",
        "file",
        "sticker",
        "contact",
        "inline_keyboard",
        "location",
        "share",
    }
)
_DEFAULT_CODES = {
    400: "proto.payload",
    401: "verify.token",
    403: "access.denied",
    404: "not.found",
    405: "method.not.allowed",
    409: "conflict",
    429: "too.many.requests",
    500: "internal.error",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "gateway.timeout",
}
_DEFAULT_MESSAGES = {
    400: "Invalid request payload",
    401: "Invalid access_token",
    403: "Access denied",
    404: "Not found",
    409: "Conflict",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class MaxApiFault(Exception):
    """An error answer of the fake API: HTTP ``status`` with ``{"code", "message"}``."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None) -> None:
        self.status = status
        self.code = code or _DEFAULT_CODES.get(status, "error")
        self.message = message or _DEFAULT_MESSAGES.get(status, f"Error {status}")
        super().__init__(f"{status} {self.code}: {self.message}")

    def payload(self) -> JsonDict:
        return {"code": self.code, "message": self.message}


def _bad(message: str, code: str = "proto.payload") -> MaxApiFault:
    return MaxApiFault(400, code, message)


def _ms() -> int:
    return int(time.time() * 1000)


def _int_param(query: Any, key: str) -> int | None:
    value = query.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise _bad(f"Invalid parameter {key}: {value!r}") from None


def _validate_keyboard(payload: Any) -> None:
    """Enforce the platform's inline keyboard limits (30 rows, 7 per row, 210 in all)."""
    rows = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("inline_keyboard: payload.buttons must be a list of rows")
    if len(rows) > MAX_KEYBOARD_ROWS:
        raise _bad(f"inline_keyboard: too many rows ({len(rows)} > {MAX_KEYBOARD_ROWS})")
    total = 0
    for index, row in enumerate(rows):
        if not row:
            raise _bad(f"inline_keyboard: row {index} is empty")
        if len(row) > MAX_ROW_BUTTONS:
            raise _bad(
                f"inline_keyboard: too many buttons in row {index} "
                f"({len(row)} > {MAX_ROW_BUTTONS})"
            )
        total += len(row)
        for button in row:
            if not isinstance(button, dict) or button.get("type") not in _BUTTON_TYPES:
                raise _bad(f"inline_keyboard: bad button {button!r}")
            if not button.get("text"):
                raise _bad("inline_keyboard: button text is empty")
            if button["type"] == "callback":
                data = button.get("payload")
                if not isinstance(data, str) or not data:
                    raise _bad("inline_keyboard: callback button needs a payload")
                if len(data) > MAX_CALLBACK_PAYLOAD:
                    raise _bad("inline_keyboard: callback payload is too long")
            if button["type"] == "link" and not button.get("url"):
                raise _bad("inline_keyboard: link button needs a url")
    if total > MAX_BUTTONS:
        raise _bad(f"inline_keyboard: too many buttons ({total} > {MAX_BUTTONS})")


class FakeMaxServer(FakeServerBase):
    """Fake MAX Bot API on 127.0.0.1; see the module docstring for how to use it."""

    def __init__(
        self,
        *,
        token: str | None = None,
        rate_limit: float | None = 30.0,
        bot_user_id: int = BOT_USER_ID,
        bot_first_name: str = "Internship Bot",
        bot_username: str = "fake_internship_bot",
        poll_timeout_cap: int = MAX_POLL_TIMEOUT,
    ) -> None:
        #: When set, any other ``Authorization`` value is answered 401; None accepts any.
        self.token = token
        #: Requests per second over everything but GET /updates and the upload server.
        self.rate_limit = rate_limit
        self.bot_user_id = bot_user_id
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self.poll_timeout_cap = poll_timeout_cap
        self.rate_limited = 0
        """How many 429 answers were given (rate limit or injected)."""
        self.peak_rps = 0
        """The highest number of rate-limited-class requests seen inside one 1 s window."""
        self.tokens_in_query = 0
        """Requests that carried ``access_token`` in the query string (all refused with 401)."""
        self.commands: list[JsonDict] = []
        """The bot commands last set (PATCH /me or PATCH /me/commands)."""
        self.updates: list[JsonDict] = []
        """Every update ever pushed, in order, each with its ``seq`` in ``update_seqs``."""
        self.update_seqs: list[int] = []
        self.uploads: list[JsonDict] = []
        """Files received by the upload server: n, type, name, size, bytes, token, url."""
        self.callback_answers: list[JsonDict] = []
        """POST /answers calls: callback_id, known, message, notification."""
        self.subscription: JsonDict | None = None
        """The webhook subscription: url, secret, update_types, time (None = long polling)."""
        self.webhook_deliveries: list[JsonDict] = []
        """Webhook POSTs done by the fake: seq, status, time."""
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._confirmed = 0
        self._pending: list[tuple[int, JsonDict]] = []
        self._polls = 0
        self._mid = itertools.count(1)
        self._msg_seq = itertools.count(1_000_001)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._messages: dict[str, JsonDict] = {}
        """mid -> message JSON (current state), in creation order."""
        self._bot_mids: list[str] = []
        self._deleted: set[str] = set()
        self._callbacks: dict[str, str | None] = {}
        """callback_id -> mid of the message the pressed button belongs to."""
        self._answered: set[str] = set()
        self._users: dict[int, JsonDict] = {}
        self._locales: dict[int, str] = {}
        self._blocked: set[int] = set()
        self._files: dict[str, JsonDict] = {}
        """token -> file info (uploaded by the bot or sent by a user)."""
        self._upload_slots: dict[int, JsonDict] = {}
        self._faults = RuleBook()
        self._delays = RuleBook()
        self._window = SlidingWindow(1.0)
        self._http: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        super().__init__()

    # -- wiring ----------------------------------------------------------------------
    def _setup_routes(self, app: web.Application) -> None:
        routes: list[tuple[str, str, str, Handler]] = [
            ("GET", "/me", "getMe", self._h_get_me),
            ("PATCH", "/me", "editMe", self._h_edit_me),
            ("PATCH", "/me/commands", "setCommands", self._h_set_commands),
            ("GET", "/updates", "getUpdates", self._h_get_updates),
            ("POST", "/messages", "sendMessage", self._h_send_message),
            ("PUT", "/messages", "editMessage", self._h_edit_message),
            ("DELETE", "/messages", "deleteMessage", self._h_delete_message),
            ("GET", "/messages/{mid}", "getMessage", self._h_get_message),
            ("POST", "/answers", "answerCallback", self._h_answer),
            ("POST", "/uploads", "getUploadUrl", self._h_get_upload_url),
            ("GET", "/chats/{chat_id}", "getChat", self._h_get_chat),
            ("POST", "/chats/{chat_id}/actions", "sendAction", self._h_send_action),
            ("GET", "/subscriptions", "getSubscriptions", self._h_get_subscriptions),
            ("POST", "/subscriptions", "subscribe", self._h_subscribe),
            ("DELETE", "/subscriptions", "unsubscribe", self._h_unsubscribe),
        ]
        for verb, path, name, handler in routes:
            app.router.add_route(verb, path, self._api(name, handler))
        # The upload server and file CDN are other hosts in reality: no auth, no rate limit.
        app.router.add_post("/upload/{n}", self._api("upload", self._h_upload, auth=False))
        app.router.add_get("/files/{n}", self._api("download", self._h_download, auth=False))

    @property
    def base_url(self) -> str:
        """Pass to ``bot.set_api_url(...)``."""
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

    # -- request pipeline ------------------------------------------------------------
    def _api(self, name: str, handler: Handler, *, auth: bool = True) -> Any:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self._serve(name, handler, request, auth=auth)

        return endpoint

    async def _read_body(self, request: web.Request) -> Any:
        if not request.can_read_body or request.content_type == "multipart/form-data":
            return None
        raw = await request.read()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise _bad("Request body is not valid JSON") from None

    def _check_auth(self, request: web.Request) -> None:
        if "access_token" in request.query:
            self.tokens_in_query += 1
            raise MaxApiFault(401, "verify.token", "access_token in the query string is not accepted")
        header = request.headers.get("Authorization")
        if not header or (self.token is not None and header != self.token):
            raise MaxApiFault(401, "verify.token", "Invalid access_token")

    def _check_rate(self, now: float) -> None:
        if self.rate_limit is None:
            return
        if self._window.count(now) >= self.rate_limit:
            raise MaxApiFault(429, "too.many.requests", "Too many requests")
        self.peak_rps = max(self.peak_rps, self._window.add(now))

    async def _serve(
        self, name: str, handler: Handler, request: web.Request, *, auth: bool
    ) -> web.StreamResponse:
        arrival = self._now()
        params: JsonDict = dict(request.query)
        body: Any = None
        try:
            if auth:
                self._check_auth(request)
                if name != "getUpdates":
                    self._check_rate(arrival)
            body = await self._read_body(request)
            delay = self._delays.pop(name)
            if delay is not None:
                await asyncio.sleep(delay["seconds"])
            fault = self._faults.pop(name)
            if fault is not None:
                raise MaxApiFault(fault["status"], fault["code"], fault["message"])
            result = await handler(request, params, body)
        except MaxApiFault as exc:
            if exc.status == 429:
                self.rate_limited += 1
            self._record(
                name,
                params,
                time=arrival,
                ok=False,
                status=exc.status,
                error=exc.code,
                body=body,
                http=f"{request.method} {request.path}",
            )
            return web.json_response(exc.payload(), status=exc.status)
        if isinstance(result, web.StreamResponse):
            self._record(
                name, params, time=arrival, ok=True, body=body, http=f"{request.method} {request.path}"
            )
            return result
        self._record(
            name,
            params,
            time=arrival,
            ok=True,
            body=body,
            result=result,
            http=f"{request.method} {request.path}",
        )
        return web.json_response(result)

    # -- model helpers ---------------------------------------------------------------
    @staticmethod
    def chat_of(user_id: int) -> int:
        """The chat_id of the dialog between ``user_id`` and the bot."""
        return user_id + DIALOG_OFFSET

    @staticmethod
    def user_of(chat_id: int) -> int | None:
        """Inverse of :meth:`chat_of` (None for ids outside the dialog range)."""
        return chat_id - DIALOG_OFFSET if chat_id > DIALOG_OFFSET else None

    @property
    def bot_user(self) -> JsonDict:
        """The bot's own User object (``sender`` of its messages, GET /me)."""
        return {
            "user_id": self.bot_user_id,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "is_bot": True,
            "last_activity_time": _ms(),
            "name": self.bot_first_name,
        }

    def set_user(
        self,
        user_id: int,
        *,
        name: str | None = None,
        username: str | None = None,
        locale: str | None = None,
    ) -> JsonDict:
        """Create/update the profile used as ``sender``/``user`` of this user's updates."""
        user = self._users.setdefault(
            user_id,
            {
                "user_id": user_id,
                "first_name": "Мария",
                "last_name": "Иванова",
                "is_bot": False,
                "name": "Мария Иванова",
            },
        )
        if name is not None:
            first, _, last = name.partition(" ")
            user["first_name"] = first
            user["name"] = name
            if last:
                user["last_name"] = last
            else:
                user.pop("last_name", None)
        if username is not None:
            user["username"] = username
        if locale is not None:
            self._locales[user_id] = locale
        user["last_activity_time"] = _ms()
        return user

    def _new_mid(self) -> tuple[str, int]:
        return f"mid.{next(self._mid):032x}", next(self._msg_seq)

    def _target(self, params: JsonDict) -> tuple[int, int]:
        """(chat_id, user_id) of a send addressed by ``chat_id`` or ``user_id``."""
        chat_id = _int_param(params, "chat_id")
        user_id = _int_param(params, "user_id")
        if chat_id is not None:
            owner = self.user_of(chat_id)
            if owner is None:
                raise MaxApiFault(404, "chat.not.found", f"Chat {chat_id} not found")
            return chat_id, owner
        if user_id is not None:
            if user_id == self.bot_user_id:
                raise _bad("Cannot send a message to the bot itself")
            return self.chat_of(user_id), user_id
        raise _bad("Either chat_id or user_id is required")

    def _file_url(self, n: int) -> str:
        return f"{self.root_url}/files/{n}"

    def _new_file(self, kind: str, size: int, name: str | None, data: bytes | None = None) -> JsonDict:
        n = next(self._file_ids)
        token = f"fake-{kind}-token-{n:06d}"
        info: JsonDict = {
            "n": n,
            "type": kind,
            "token": token,
            "url": self._file_url(n),
            "name": name,
            "size": size,
            "bytes": data,
            "photo_id": 7_000_000 + n,
        }
        self._files[token] = info
        return info

    @staticmethod
    def _attachment_of(info: JsonDict, **extra: Any) -> JsonDict:
        """The attachment as the platform shows it in a message (incoming shape)."""
        kind = info["type"]
        if kind == "image":
            payload = {"photo_id": info["photo_id"], "token": info["token"], "url": info["url"]}
            return {"type": "image", "payload": payload}
        attachment: JsonDict = {"type": kind, "payload": {"url": info["url"], "token": info["token"]}}
        if kind == "file":
            attachment["filename"] = info.get("name") or f"file{info['n']}"
            attachment["size"] = info["size"]
        elif kind == "video":
            attachment.update(
                {"width": 1280, "height": 720, "thumbnail": {"url": f"{info['url']}?thumb=1"}}
            )
            if extra.get("duration") is not None:
                attachment["duration"] = extra["duration"]
        elif kind == "audio" and extra.get("duration") is not None:
            attachment["duration"] = extra["duration"]
        return attachment

    def _resolve_attachments(self, raw: Any) -> list[JsonDict]:
        """Validate a NewMessageBody's attachments and turn uploads into stored ones."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _bad("attachments must be a list")
        result: list[JsonDict] = []
        for att in raw:
            if not isinstance(att, dict) or att.get("type") not in _ATTACHMENT_TYPES:
                raise _bad(f"Unknown attachment {att!r}")
            kind = att["type"]
            payload = att.get("payload")
            if kind == "inline_keyboard":
                _validate_keyboard(payload)
                rows = [[dict(b) for b in row] for row in payload["buttons"]]
                result.append({"type": "inline_keyboard", "payload": {"buttons": rows}})
                continue
            token = payload.get("token") if isinstance(payload, dict) else None
            if kind in UPLOAD_KINDS and isinstance(token, str):
                info = self._files.get(token)
                if info is None:
                    raise _bad(f"Unknown attachment token {token!r}", "attachment.not.found")
                result.append(self._attachment_of(info))
                continue
            result.append(dict(att))
        return result

    def _body_from(self, body: Any) -> JsonDict:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _bad("Request body must be a JSON object")
        return body

    def _check_text(self, text: Any) -> str | None:
        if text is None:
            return None
        if not isinstance(text, str):
            raise _bad("text must be a string")
        if len(text) > MAX_TEXT:
            raise _bad(
                f"text: length must be less than or equal to {MAX_TEXT}", "text.too.long"
            )
        return text

    def _link_of(self, link: Any) -> JsonDict | None:
        if link is None:
            return None
        if not isinstance(link, dict) or link.get("type") not in ("reply", "forward"):
            raise _bad(f"Bad link {link!r}")
        original = self._messages.get(str(link.get("mid")))
        if original is None:
            raise MaxApiFault(404, "not.found", f"Message {link.get('mid')} not found")
        return {
            "type": link["type"],
            "sender": original.get("sender"),
            "chat_id": original["recipient"].get("chat_id"),
            "message": {k: v for k, v in original["body"].items()},
        }

    # -- API handlers -----------------------------------------------------------------
    async def _h_get_me(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        me = self.bot_user
        if self.commands:
            me["commands"] = list(self.commands)
        return me

    async def _h_edit_me(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        data = self._body_from(body)
        if "first_name" in data:
            self.bot_first_name = str(data["first_name"])
        if isinstance(data.get("commands"), list):
            self.commands = [dict(c) for c in data["commands"]]
        return await self._h_get_me(request, params, body)

    async def _h_set_commands(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        data = self._body_from(body)
        commands = data.get("commands")
        if not isinstance(commands, list):
            raise _bad("commands must be a list")
        self.commands = [dict(c) for c in commands]
        return {"commands": list(self.commands)}

    async def _h_get_updates(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        if self.subscription is not None:
            raise MaxApiFault(
                409, "conflict", "Long polling is unavailable while a webhook subscription is active"
            )
        limit = _int_param(params, "limit") or 100
        if not 1 <= limit <= 1000:
            raise _bad("limit must be in 1..1000")
        timeout = _int_param(params, "timeout")
        wait_s = self.poll_timeout_cap if timeout is None else min(max(timeout, 0), self.poll_timeout_cap)
        marker = _int_param(params, "marker")
        types_raw = params.get("types")
        types = {t for t in str(types_raw).split(",") if t} if types_raw else None
        self._polls += 1
        self._notify()
        if marker is not None:
            self._confirm(marker)
        deadline = self._now() + wait_s
        while True:
            batch = [
                (seq, u)
                for seq, u in self._pending
                if (marker is None or seq > marker) and (types is None or u["update_type"] in types)
            ][:limit]
            if batch:
                return {"updates": [u for _, u in batch], "marker": batch[-1][0]}
            remaining = deadline - self._now()
            if remaining <= 0 or self._closing or self.subscription is not None:
                current = marker if marker is not None else self._last_seq
                return {"updates": [], "marker": current}
            await self._wait_change(remaining)

    def _confirm(self, marker: int) -> None:
        if marker > self._confirmed:
            self._confirmed = marker
        before = len(self._pending)
        self._pending = [(seq, u) for seq, u in self._pending if seq > marker]
        if len(self._pending) != before:
            self._notify()

    async def _h_send_message(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        chat_id, user_id = self._target(params)
        if user_id in self._blocked:
            raise MaxApiFault(403, "chat.denied", "chat.denied: user has blocked the bot")
        data = self._body_from(body)
        text = self._check_text(data.get("text"))
        attachments = self._resolve_attachments(data.get("attachments"))
        if not text and not attachments:
            raise _bad("Message must have text or attachments")
        mid, seq = self._new_mid()
        message: JsonDict = {
            "sender": self.bot_user,
            "recipient": {"chat_id": chat_id, "chat_type": "dialog", "user_id": user_id},
            "timestamp": _ms(),
            "body": {"mid": mid, "seq": seq, "text": text, "attachments": attachments, "markup": []},
        }
        link = self._link_of(data.get("link"))
        if link is not None:
            message["link"] = link
        if data.get("format") is not None:
            message["format"] = data["format"]
        if data.get("notify") is not None:
            message["notify"] = data["notify"]
        self._messages[mid] = message
        self._bot_mids.append(mid)
        return {"message": message}

    def _stored(self, mid: str | None) -> JsonDict:
        if not mid:
            raise _bad("message_id is required")
        message = self._messages.get(mid)
        if message is None or mid in self._deleted:
            raise MaxApiFault(404, "not.found", f"Message {mid} not found")
        return message

    def _apply_edit(self, message: JsonDict, data: JsonDict) -> None:
        body = message["body"]
        if "text" in data:
            body["text"] = self._check_text(data.get("text"))
        if data.get("attachments") is not None:
            body["attachments"] = self._resolve_attachments(data["attachments"])
        if not body.get("text") and not body.get("attachments"):
            raise _bad("Message must have text or attachments")
        if data.get("format") is not None:
            message["format"] = data["format"]

    async def _h_edit_message(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        message = self._stored(params.get("message_id"))
        if message["sender"]["user_id"] != self.bot_user_id:
            raise MaxApiFault(403, "access.denied", "Only own messages can be edited")
        data = self._body_from(body)
        probe = json.loads(json.dumps(message))
        self._apply_edit(probe, data)  # validate first: a failed edit changes nothing
        self._apply_edit(message, data)
        message["edited"] = True
        return {"success": True}

    async def _h_delete_message(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        message = self._stored(params.get("message_id"))
        self._deleted.add(message["body"]["mid"])
        return {"success": True}

    async def _h_get_message(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        return self._stored(request.match_info["mid"])

    async def _h_answer(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        callback_id = params.get("callback_id")
        if not callback_id:
            raise _bad("callback_id is required")
        data = self._body_from(body)
        if "message" not in data and "notification" not in data:
            raise _bad("Either message or notification is required")
        known = callback_id in self._callbacks
        mid = self._callbacks.get(callback_id)
        new_message = data.get("message")
        if isinstance(new_message, dict) and mid in self._messages:
            self._apply_edit(self._messages[mid], new_message)
        self.callback_answers.append(
            {
                "callback_id": callback_id,
                "known": known,
                "repeat": callback_id in self._answered,
                "message": new_message,
                "notification": data.get("notification"),
            }
        )
        self._answered.add(callback_id)
        return {"success": True}

    async def _h_get_upload_url(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        kind = params.get("type")
        if kind not in UPLOAD_KINDS:
            raise _bad(f"Unknown upload type {kind!r}")
        n = len(self._upload_slots) + 1
        slot: JsonDict = {"n": n, "type": kind, "url": f"{self.root_url}/upload/{n}", "token": None}
        answer: JsonDict = {"url": slot["url"]}
        if kind in ("video", "audio"):
            # For video/audio the platform hands out the token with the URL (maxapi uses it).
            info = self._new_file(kind, 0, None)
            slot["token"] = answer["token"] = info["token"]
        self._upload_slots[n] = slot
        return answer

    async def _h_upload(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        slot = self._upload_slots.get(int(request.match_info["n"]))
        if slot is None:
            raise MaxApiFault(404, "not.found", "Unknown upload url")
        if not request.content_type.startswith("multipart/"):
            raise _bad("Upload must be multipart/form-data")
        form = await request.post()
        field = form.get("data")
        if not isinstance(field, web.FileField):
            raise _bad("Multipart field 'data' with a file is required")
        data = field.file.read()
        kind = slot["type"]
        if slot["token"] is not None:
            info = self._files[slot["token"]]
            info.update(name=field.filename, size=len(data), bytes=data)
        else:
            info = self._new_file(kind, len(data), field.filename, data)
        self.uploads.append(
            {
                "n": slot["n"],
                "type": kind,
                "name": field.filename,
                "content_type": field.content_type,
                "size": len(data),
                "bytes": data,
                "token": info["token"],
                "url": slot["url"],
            }
        )
        if kind == "image":
            return {"photos": {str(info["photo_id"]): {"token": info["token"]}}}
        return {"token": info["token"]}

    async def _h_download(self, request: web.Request, params: JsonDict, body: Any) -> web.StreamResponse:
        n = int(request.match_info["n"])
        info = next((f for f in self._files.values() if f["n"] == n), None)
        if info is None:
            raise MaxApiFault(404, "not.found", "File not found")
        data = info["bytes"] if info["bytes"] is not None else b"\0" * int(info["size"])
        name = info.get("name") or f"file{n}"
        return web.Response(
            body=data, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    def _chat_json(self, chat_id: int) -> JsonDict:
        owner = self.user_of(chat_id)
        if owner is None:
            raise MaxApiFault(404, "chat.not.found", f"Chat {chat_id} not found")
        return {
            "chat_id": chat_id,
            "type": "dialog",
            "status": "active",
            "last_event_time": _ms(),
            "participants_count": 2,
            "is_public": False,
            "dialog_with_user": dict(self.set_user(owner)),
        }

    async def _h_get_chat(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        return self._chat_json(_int_param(request.match_info, "chat_id") or 0)

    async def _h_send_action(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        self._chat_json(_int_param(request.match_info, "chat_id") or 0)
        return {"success": True}

    async def _h_get_subscriptions(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        if self.subscription is None:
            return {"subscriptions": []}
        sub = self.subscription
        return {
            "subscriptions": [
                {"url": sub["url"], "time": sub["time"], "update_types": sub["update_types"]}
            ]
        }

    async def _h_subscribe(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        data = self._body_from(body)
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise _bad("url is required")
        secret = data.get("secret")
        self.subscription = {
            "url": url,
            "secret": secret,
            "update_types": data.get("update_types"),
            "time": _ms(),
        }
        self._notify()  # a waiting long poll ends now
        self._kick_webhook()
        return {"success": True}

    async def _h_unsubscribe(self, request: web.Request, params: JsonDict, body: Any) -> JsonDict:
        url = params.get("url")
        if self.subscription is not None and (not url or url == self.subscription["url"]):
            self.subscription = None
        return {"success": True}

    # -- webhook delivery ----------------------------------------------------------------
    async def post_update_to(
        self, url: str, update: JsonDict, secret: str | None = None
    ) -> tuple[int, str]:
        """POST ``update`` to a loopback webhook as MAX does; return (status, body)."""
        ensure_loopback_url(url)
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[WEBHOOK_SECRET_HEADER] = secret
        if self._http is None:
            self._http = aiohttp.ClientSession()
        async with self._http.post(url, data=json.dumps(update), headers=headers) as resp:
            return resp.status, await resp.text()

    def _kick_webhook(self) -> None:
        sub = self.subscription
        if sub is None or self._closing or not is_loopback_host(urlsplit(sub["url"]).hostname):
            return
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())

    async def _webhook_worker(self) -> None:
        attempt = 0
        while self._pending and self.subscription is not None and not self._closing:
            sub = self.subscription
            seq, update = self._pending[0]
            wanted = sub.get("update_types")
            if wanted and update["update_type"] not in wanted:
                self._pending.pop(0)
                continue
            try:
                status, _ = await self.post_update_to(sub["url"], update, sub.get("secret"))
            except (aiohttp.ClientError, OSError, ValueError):
                status = 0
            self.webhook_deliveries.append({"seq": seq, "status": status, "time": self._now()})
            if 200 <= status < 300:
                attempt = 0
                if self._pending and self._pending[0][0] == seq:
                    self._pending.pop(0)
                self._confirmed = max(self._confirmed, seq)
                self._notify()
            else:
                attempt += 1
                self._notify()
                await asyncio.sleep(min(1.0, 0.05 * attempt))

    # -- injecting user actions ----------------------------------------------------------
    def push_update(self, update: JsonDict) -> int:
        """Queue a raw update (long polling) or deliver it to the webhook; return its seq."""
        update.setdefault("timestamp", _ms())
        seq = next(self._seq)
        self._last_seq = seq
        self._pending.append((seq, update))
        self.updates.append(update)
        self.update_seqs.append(seq)
        self._notify()
        self._kick_webhook()
        return seq

    def _sender(self, user_id: int, name: str | None) -> JsonDict:
        return dict(self.set_user(user_id, name=name))

    def _user_message(
        self,
        user_id: int,
        *,
        name: str | None,
        text: str | None,
        attachments: list[JsonDict],
        reply_to_mid: str | None = None,
    ) -> JsonDict:
        mid, seq = self._new_mid()
        message: JsonDict = {
            "sender": self._sender(user_id, name),
            "recipient": {
                "chat_id": self.chat_of(user_id),
                "chat_type": "dialog",
                "user_id": self.bot_user_id,
            },
            "timestamp": _ms(),
            "body": {"mid": mid, "seq": seq, "text": text, "attachments": attachments, "markup": []},
        }
        if reply_to_mid is not None:
            original = self._messages.get(reply_to_mid)
            if original is not None:
                message["link"] = {
                    "type": "reply",
                    "sender": original.get("sender"),
                    "chat_id": original["recipient"].get("chat_id"),
                    "message": dict(original["body"]),
                }
        self._messages[mid] = message
        return message

    def _created(self, user_id: int, message: JsonDict) -> int:
        return self.push_update(
            {
                "update_type": "message_created",
                "timestamp": message["timestamp"],
                "message": message,
                "user_locale": self._locales.get(user_id, "ru"),
            }
        )

    def build_text_message(
        self,
        user_id: int,
        text: str,
        *,
        name: str | None = None,
        locale: str | None = None,
        reply_to_mid: str | None = None,
    ) -> JsonDict:
        """Build (without pushing) a ``message_created`` update: for webhook handler tests."""
        if locale is not None:
            self._locales[user_id] = locale
        message = self._user_message(
            user_id, name=name, text=text, attachments=[], reply_to_mid=reply_to_mid
        )
        return {
            "update_type": "message_created",
            "timestamp": message["timestamp"],
            "message": message,
            "user_locale": self._locales.get(user_id, "ru"),
        }

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        name: str | None = None,
        locale: str | None = None,
        reply_to_mid: str | None = None,
    ) -> int:
        """The user writes ``text`` in the dialog with the bot; returns the update's seq.

        ``name`` ("First Last") updates the user's profile (default "Мария Иванова").
        """
        return self.push_update(
            self.build_text_message(
                user_id, text, name=name, locale=locale, reply_to_mid=reply_to_mid
            )
        )

    def send_file(
        self,
        user_id: int,
        kind: str = "file",
        *,
        size: int = 50_000,
        name: str | None = None,
        duration: int | None = None,
        text: str | None = None,
        user_name: str | None = None,
    ) -> int:
        """The user sends a file/image/video/audio (with optional ``text``); returns the seq."""
        if kind not in UPLOAD_KINDS:
            msg = f"kind must be one of {UPLOAD_KINDS}, not {kind!r}"
            raise ValueError(msg)
        if name is None and kind == "file":
            name = "document.pdf"
        info = self._new_file(kind, size, name)
        attachment = self._attachment_of(info, duration=duration)
        message = self._user_message(
            user_id, name=user_name, text=text, attachments=[attachment]
        )
        return self._created(user_id, message)

    def send_sticker(self, user_id: int, *, code: str = "fake-sticker") -> int:
        """The user sends a sticker; returns the seq."""
        attachment = {
            "type": "sticker",
            "payload": {"url": f"{self.root_url}/files/sticker-{code}", "code": code},
            "width": 128,
            "height": 128,
        }
        message = self._user_message(user_id, name=None, text=None, attachments=[attachment])
        return self._created(user_id, message)

    def bot_started(
        self,
        user_id: int,
        payload: str | None = None,
        *,
        name: str | None = None,
        locale: str | None = None,
    ) -> int:
        """The user presses "Start" (optionally via a deep link with ``payload``); returns seq."""
        if locale is not None:
            self._locales[user_id] = locale
        update: JsonDict = {
            "update_type": "bot_started",
            "timestamp": _ms(),
            "chat_id": self.chat_of(user_id),
            "user": self._sender(user_id, name),
            "user_locale": self._locales.get(user_id, "ru"),
        }
        if payload is not None:
            update["payload"] = payload
        return self.push_update(update)

    def press_button(self, user_id: int, payload: str, message_id: str | None = None) -> str:
        """The user presses a callback button with ``payload``; returns the callback_id.

        The update carries the bot message the button belongs to (default: the newest bot
        message to the user with an inline keyboard; none at all if there is no such message).
        """
        message = (
            self.last_bot_message(user_id, with_keyboard=True)
            if message_id is None
            else self.message(message_id)
        )
        callback_id = f"cb.{next(self._callback_ids):012d}"
        self._callbacks[callback_id] = message["body"]["mid"] if message else None
        update: JsonDict = {
            "update_type": "message_callback",
            "timestamp": _ms(),
            "callback": {
                "timestamp": _ms(),
                "callback_id": callback_id,
                "payload": payload,
                "user": self._sender(user_id, None),
            },
            "user_locale": self._locales.get(user_id, "ru"),
        }
        if message is not None:
            update["message"] = json.loads(json.dumps(message))
        self.push_update(update)
        return callback_id

    def press_button_label(self, user_id: int, label: str, message_id: str | None = None) -> str:
        """Press the callback button whose text is ``label`` (AssertionError if there is none)."""
        target = message_id
        if target is None:
            last = self.last_bot_message(user_id, with_keyboard=True)
            target = last["body"]["mid"] if last else None
        for row in self.buttons(user_id, target):
            for button in row:
                if button.get("text") == label and button.get("type") == "callback":
                    return self.press_button(user_id, button["payload"], target)
        msg = f"no callback button {label!r} for user {user_id}: {self.labels(user_id)!r}"
        raise AssertionError(msg)

    # -- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        times: int = 1,
        code: str | None = None,
        skip: int = 0,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (see module docstring; ``"*"`` = any)
        fail with ``status`` and ``{"code", "message"}``, after letting ``skip`` calls pass.

        E.g. ``fail_next("sendMessage", 400, code="attachment.not.ready")`` makes maxapi
        retry the send; 502/503/504 are retried by maxapi's transport.
        """
        fault = MaxApiFault(status, code, message)
        self._faults.add(
            method, times, skip=skip, status=status, code=fault.code, message=fault.message
        )

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Delay the next ``times`` answers of ``method`` (for client-timeout tests)."""
        self._delays.add(method, times, seconds=seconds)

    def block_user(self, user_id: int) -> None:
        """Sends to this user (by user_id or dialog chat_id) now fail 403 ``chat.denied``."""
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        """Undo :meth:`block_user`."""
        self._blocked.discard(user_id)

    def clear_faults(self) -> None:
        """Forget pending fail_next/delay_next rules."""
        self._faults.clear()
        self._delays.clear()

    # -- assertion helpers -----------------------------------------------------------------
    @property
    def polls(self) -> int:
        """How many GET /updates arrived so far (counted on arrival, not on return)."""
        return self._polls

    @property
    def event_seq(self) -> int:
        """The sequence number of the newest pushed update (0 if none)."""
        return self._last_seq

    @property
    def confirmed_marker(self) -> int:
        """The highest marker the bot confirmed (by polling with it or a webhook 2xx)."""
        return self._confirmed

    def pending_updates(self) -> list[JsonDict]:
        """Updates pushed but not yet confirmed by the bot."""
        return [u for _, u in self._pending]

    def message(self, mid: str) -> JsonDict | None:
        """The current state of a stored message (the bot's or a user's), if any."""
        return self._messages.get(mid)

    def is_deleted(self, mid: str) -> bool:
        return mid in self._deleted

    def messages_to(self, user_id: int) -> list[JsonDict]:
        """Messages the bot sent to ``user_id`` (by user_id or chat_id), in order, as now."""
        return [
            self._messages[mid]
            for mid in self._bot_mids
            if self._messages[mid]["recipient"]["user_id"] == user_id
        ]

    def texts_to(self, user_id: int) -> list[str]:
        """Texts of the bot's messages to ``user_id`` (messages without text are skipped)."""
        return [
            m["body"]["text"] for m in self.messages_to(user_id) if m["body"].get("text") is not None
        ]

    def last_bot_message(self, user_id: int, *, with_keyboard: bool = False) -> JsonDict | None:
        """The newest (not deleted) message the bot sent to the user, optionally with buttons."""
        for message in reversed(self.messages_to(user_id)):
            if message["body"]["mid"] in self._deleted:
                continue
            if not with_keyboard or self._keyboard_of(message) is not None:
                return message
        return None

    @staticmethod
    def _keyboard_of(message: JsonDict) -> list[list[JsonDict]] | None:
        for att in message["body"].get("attachments") or []:
            if att.get("type") == "inline_keyboard":
                return list(att["payload"]["buttons"])
        return None

    def buttons(self, user_id: int, message_id: str | None = None) -> list[list[JsonDict]]:
        """Inline keyboard rows of a bot message (default: the newest one with a keyboard)."""
        if message_id is None:
            message = self.last_bot_message(user_id, with_keyboard=True)
        else:
            message = self.message(message_id)
        return (self._keyboard_of(message) if message else None) or []

    def labels(self, user_id: int, message_id: str | None = None) -> list[str]:
        """Button texts of :meth:`buttons`, row by row."""
        return [b["text"] for row in self.buttons(user_id, message_id) for b in row]

    def attachments_to(self, user_id: int) -> list[JsonDict]:
        """Every non-keyboard attachment of the bot's messages to ``user_id``, in order."""
        return [
            att
            for m in self.messages_to(user_id)
            for att in m["body"].get("attachments") or []
            if att.get("type") != "inline_keyboard"
        ]

    def answered(self, callback_id: str) -> bool:
        """Whether the bot answered this callback (POST /answers) at least once."""
        return callback_id in self._answered

    async def wait_for_messages(
        self, user_id: int, count: int, timeout: float = 5.0
    ) -> list[JsonDict]:
        """Wait until at least ``count`` messages were sent to ``user_id``."""
        await self.wait_for(lambda: len(self.messages_to(user_id)) >= count, timeout)
        return self.messages_to(user_id)

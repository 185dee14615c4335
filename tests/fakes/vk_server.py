"""A local fake of the VK API (v5.199) and Bots Long Poll for end-to-end tests.

Why: e2e tests must drive the real ``vk_api`` client (its form-encoded POSTs, error
handling and ``VkBotLongPoll``) without touching the network.

Routing vk_api to the fake (see :func:`make_vk_session`):

* ``VkApi.method`` POSTs to a hard-coded ``https://api.vk.ru/method/{method}``
  (vk_api >= 11.10; older 11.9 used ``https://api.vk.com/method/``) through
  ``vk_session.http``, a ``requests.Session``. Mount :class:`VkApiRoutingAdapter` on that
  session for ``"https://"`` and ``"http://"``: it rewrites both hosts' ``/method/`` URLs to
  the fake's ``base_url`` and refuses any other non-loopback host.
* ``VkBotLongPoll`` uses its *own* ``requests.Session`` (``longpoll.session``) and the
  ``server`` URL returned by ``groups.getLongPollServer``; the fake hands out a loopback
  URL, so no rewrite is needed (call :func:`route_vk_session` on it anyway to forbid
  proxies and non-loopback hosts).
* Throttling: vk_api sleeps so that calls are ``RPS_DELAY`` seconds apart (class attribute
  ``VkApi.RPS_DELAY = 0.34``, i.e. ~3 rps, read as ``self.RPS_DELAY`` under a
  ``threading.Lock``). Lower it per instance: ``vk_session.RPS_DELAY = 0.0`` (tests) or
  ``1 / 20`` (group tokens allow 20 rps).
* vk_api retries error 6 by itself (``error_handlers[6]`` sleeps 0.5 s and retries,
  forever); ``del vk_session.error_handlers[6]`` makes it raise ``ApiError`` instead.
* vk_api is blocking: call it via ``asyncio.to_thread`` — the fake runs on the test's
  event loop, so a direct call from a coroutine would deadlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import vk_api
from aiohttp import web
from jconfig.memory import MemoryConfig
from requests.adapters import HTTPAdapter

from tests.fakes._base import FakeServerBase, RuleBook, SlidingWindow, is_loopback_host

JsonDict = dict[str, Any]

VK_API_HOSTS = frozenset({"api.vk.com", "api.vk.ru"})
API_VERSION = "5.199"
CHAT_PEER_START = 2_000_000_000

ERRORS: dict[int, str] = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    7: "Permission to perform this action is denied",
    8: "Invalid request",
    9: "Flood control",
    10: "Internal server error",
    15: "Access denied",
    100: "One of the parameters specified was missing or invalid",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    909: "Can't edit this message, because it's too old",
    911: "Keyboard format is invalid",
    914: "Message is too long",
}
_INT_PARAMS = frozenset(
    {
        "peer_id",
        "user_id",
        "random_id",
        "group_id",
        "message_id",
        "conversation_message_id",
        "reply_to",
        "chat_id",
        "dont_parse_links",
        "disable_mentions",
        "sticker_id",
        "keep_forward_messages",
        "keep_snippets",
    }
)
_JSON_PARAMS = frozenset({"keyboard", "template", "content_source", "forward", "event_data"})
_BUTTON_TYPES = frozenset({"text", "open_link", "location", "vkpay", "open_app", "callback"})
_HARMLESS = ("messages.setActivity", "messages.markAsRead", "groups.enableOnline")
_MAX_TEXT = 4096
_DOC_TYPES = {
    **dict.fromkeys(("txt", "doc", "docx", "pdf", "odt", "rtf", "xls", "xlsx", "ppt", "pptx"), 1),
    **dict.fromkeys(("zip", "rar", "7z", "tar", "gz"), 2),
    "gif": 3,
    **dict.fromkeys(("jpg", "jpeg", "png", "bmp", "webp", "heic"), 4),
    **dict.fromkeys(("mp3", "ogg", "wav", "m4a", "flac"), 5),
    **dict.fromkeys(("mp4", "avi", "mov", "mkv", "webm"), 6),
    **dict.fromkeys(("epub", "fb2", "djvu", "mobi"), 7),
}
BUTTON_ACTIONS = [
    "text",
    "vkpay",
    "open_app",
    "location",
    "open_link",
    "callback",
    "intent_subscribe",
    "intent_unsubscribe",
]


class VkApiError(Exception):
    """An API-level failure rendered as ``{"error": {...}}`` (HTTP 200, like VK)."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message or ERRORS.get(code, "Unknown error occurred")
        super().__init__(f"[{code}] {self.message}")


def _invalid(detail: str) -> VkApiError:
    return VkApiError(100, f"{ERRORS[100]}: {detail}")


# ---------------------------------------------------------------------------------------
# routing the real vk_api client to the fake
# ---------------------------------------------------------------------------------------
class VkApiRoutingAdapter(HTTPAdapter):
    """Send ``https://api.vk.{com,ru}/method/*`` to the fake; refuse other non-loopback hosts.

    Why: vk_api hard-codes the API host, so the only seam is the ``requests.Session``.
    """

    def __init__(self, api_url: str | None = None) -> None:
        if api_url is not None and not is_loopback_host(urlsplit(api_url).hostname):
            msg = f"fake VK api_url must be loopback, got {api_url!r}"
            raise ValueError(msg)
        self.api_url = api_url.rstrip("/") + "/" if api_url else None
        super().__init__()

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Rewrite the URL, then send directly (never via an environment proxy)."""
        parts = urlsplit(request.url or "")
        if (
            self.api_url
            and parts.hostname in VK_API_HOSTS
            and parts.path.startswith("/method/")
        ):
            query = f"?{parts.query}" if parts.query else ""
            request.url = self.api_url + parts.path.removeprefix("/method/") + query
        elif not is_loopback_host(parts.hostname):
            msg = f"test session refused a request to non-loopback host {parts.hostname!r}"
            raise requests.ConnectionError(msg)
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies={}
        )


def route_vk_session(session: requests.Session, api_url: str | None = None) -> None:
    """Route a ``requests.Session`` to the fake (``api_url``) and keep it on loopback."""
    adapter = VkApiRoutingAdapter(api_url)
    session.trust_env = False  # ignore HTTP(S)_PROXY / netrc from the environment
    session.mount("https://", adapter)
    session.mount("http://", adapter)


def make_vk_session(token: str, api_url: str, api_version: str = API_VERSION) -> vk_api.VkApi:
    """Example/test utility: a real ``VkApi`` whose HTTP goes to the fake at ``api_url``.

    ``MemoryConfig`` keeps vk_api from reading ``vk_config.v2.json`` in the cwd, and
    ``RPS_DELAY = 0`` disables its built-in ~3 rps sleep (the fake can enforce limits).
    """
    session = vk_api.VkApi(token=token, api_version=api_version, config=MemoryConfig)
    route_vk_session(session.http, api_url)
    session.RPS_DELAY = 0.0
    return session


# ---------------------------------------------------------------------------------------
# the fake server
# ---------------------------------------------------------------------------------------
def _validate_keyboard(keyboard: Any) -> None:
    """Apply VK's keyboard limits (5 per row; 10 rows/40 buttons, inline 6 rows/10)."""
    if keyboard is None or keyboard == "":
        return
    if not isinstance(keyboard, dict) or not isinstance(keyboard.get("buttons"), list):
        raise VkApiError(911, f"{ERRORS[911]}: buttons is required")
    inline = bool(keyboard.get("inline"))
    rows = keyboard["buttons"]
    max_rows, max_total = (6, 10) if inline else (10, 40)
    total = sum(len(row) for row in rows if isinstance(row, list))
    if len(rows) > max_rows or total > max_total:
        raise VkApiError(911, f"{ERRORS[911]}: too many buttons")
    for row in rows:
        if not isinstance(row, list) or len(row) > 5:
            raise VkApiError(911, f"{ERRORS[911]}: too many buttons in row")
        for button in row:
            action = button.get("action") if isinstance(button, dict) else None
            if not isinstance(action, dict) or action.get("type") not in _BUTTON_TYPES:
                raise VkApiError(911, f"{ERRORS[911]}: action.type is invalid")
            label = action.get("label")
            if action["type"] in ("text", "callback", "open_link") and not label:
                raise VkApiError(911, f"{ERRORS[911]}: action.label is required")
            if label is not None and len(str(label)) > 40:
                raise VkApiError(911, f"{ERRORS[911]}: action.label is too long")
            payload = action.get("payload")
            if payload is not None:
                text = payload if isinstance(payload, str) else json.dumps(payload)
                if len(text) > 255:
                    raise VkApiError(911, f"{ERRORS[911]}: payload is too long")


class FakeVkServer(FakeServerBase):
    """Fake VK API + Bots Long Poll on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        *,
        group_id: int = 1,
        group_name: str = "Internship",
        token: str | None = None,
        rate_limit_per_s: int | None = None,
    ) -> None:
        self.group_id = group_id
        self.group_name = group_name
        self.token = token
        self.rate_limit_per_s = rate_limit_per_s
        self.count_rate_errors = 0
        self.max_requests_per_s = 0
        self.lp_requests = 0
        #: Long-poll requests that passed the key check since the key last changed: above
        #: zero once the bot is listening with the current key (after any reconnection).
        self.lp_listening = 0
        #: Every event ever injected, in order.
        self.events: list[JsonDict] = []
        #: One entry per message actually delivered: peer_id, message_id, params, time.
        self.delivered: list[JsonDict] = []
        #: Sends ignored because their (peer_id, random_id) was already used.
        self.duplicates: list[JsonDict] = []
        self._arrival = 0.0
        self._next_seq = 1
        self._seq_of: list[int] = []
        self._lp_key = "key1"
        self._lp_keys = itertools.count(2)
        self._lp_failures: deque[int] = deque()
        self._message_ids = itertools.count(1)
        self._cmids: dict[int, int] = {}
        self._messages: dict[int, JsonDict] = {}
        self._by_cmid: dict[tuple[int, int], int] = {}
        self._random_ids: dict[tuple[int, int], int] = {}
        self._users: dict[int, JsonDict] = {}
        self._blocked: set[int] = set()
        self._open_events: set[str] = set()
        self._faults = RuleBook()
        self._delays = RuleBook()
        self._accepted = SlidingWindow()
        self._all = SlidingWindow()
        self._doc_ids = itertools.count(1000)
        self._handlers: dict[str, Callable[[JsonDict], Awaitable[Any]]] = {
            "groups.getById": self._m_groups_get_by_id,
            "groups.getLongPollServer": self._m_groups_get_long_poll_server,
            "messages.send": self._m_messages_send,
            "messages.edit": self._m_messages_edit,
            "messages.sendMessageEventAnswer": self._m_send_message_event_answer,
            "messages.getConversationsById": self._m_get_conversations_by_id,
            "messages.getByConversationMessageId": self._m_get_by_cmid,
            "users.get": self._m_users_get,
            "docs.getMessagesUploadServer": self._m_docs_upload_server,
            "docs.save": self._m_docs_save,
        }
        #: Files uploaded through the upload server: token -> filename/size/content.
        self.uploads: dict[str, JsonDict] = {}
        for name in _HARMLESS:
            self._handlers[name] = self._m_one
        super().__init__()

    def _setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/method/{method}", self._handle_method)
        app.router.add_get("/lp/{name}", self._handle_longpoll)
        app.router.add_post("/upload/doc", self._handle_upload)

    @property
    def base_url(self) -> str:
        """The method endpoint, ``http://127.0.0.1:PORT/method/``."""
        return f"{self.root_url}/method/"

    @property
    def longpoll_url(self) -> str:
        """The Bots Long Poll ``server`` handed out by ``groups.getLongPollServer``."""
        return f"{self.root_url}/lp/wh{self.group_id}"

    # -- request handling ----------------------------------------------------------------
    @staticmethod
    def _coerce(key: str, value: str) -> Any:
        if key in _INT_PARAMS:
            try:
                return int(value)
            except ValueError:
                return value
        if key in _JSON_PARAMS and value:
            try:
                return json.loads(value)
            except ValueError:
                return value
        if key in ("peer_ids", "user_ids") and isinstance(value, str):
            try:
                return [int(p) for p in value.split(",") if p.strip()]
            except ValueError:
                return value
        return value

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arrival = self._now()
        in_window = self._all.add(arrival)
        self.max_requests_per_s = max(self.max_requests_per_s, in_window)
        raw: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            form = await request.post()
            raw.update({k: v for k, v in form.items() if isinstance(v, str)})
        token = raw.pop("access_token", None)
        params = {k: self._coerce(k, v) for k, v in raw.items()}
        request_params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
        request_params += [{"key": k, "value": v} for k, v in raw.items()]

        delay = self._delays.pop(method)
        if delay is not None:
            await asyncio.sleep(delay["seconds"])
        fault = self._faults.pop(method)
        if fault is not None and fault.get("http_status"):
            status = int(fault["http_status"])
            self._record(method, params, time=arrival, ok=False, status=status, error="http")
            return web.Response(status=status, text=fault.get("body") or "Bad Gateway")
        try:
            if fault is not None:
                raise VkApiError(fault["code"], fault.get("message"))
            if self.token is not None and token != self.token:
                raise VkApiError(5)
            if not params.get("v"):
                raise VkApiError(8, f"{ERRORS[8]}: v (version) is required")
            if self.rate_limit_per_s and self._accepted.count(arrival) >= self.rate_limit_per_s:
                self.count_rate_errors += 1
                raise VkApiError(6)
            self._accepted.add(arrival)
            handler = self._handlers.get(method)
            if handler is None:
                raise VkApiError(3, f"{ERRORS[3]}: '{method}'")
            self._arrival = arrival
            result = await handler(params)
        except VkApiError as exc:
            self._record(method, params, time=arrival, ok=False, error=exc.message, code=exc.code)
            error = {"error_code": exc.code, "error_msg": exc.message}
            error["request_params"] = request_params  # type: ignore[assignment]
            return web.json_response({"error": error})
        self._record(method, params, time=arrival, ok=True, result=copy.deepcopy(result))
        return web.json_response({"response": result})

    async def _handle_longpoll(self, request: web.Request) -> web.Response:
        self.lp_requests += 1
        self._notify()  # lets tests wait for "the bot is listening" without sleeping
        query = request.query
        if query.get("act") != "a_check":
            return web.json_response({"failed": 2})
        if self._lp_failures:
            failed = self._lp_failures.popleft()
            if failed == 1:
                return web.json_response({"failed": 1, "ts": str(self._next_seq)})
            self._lp_key = f"key{next(self._lp_keys)}"
            self.lp_listening = 0
            return web.json_response({"failed": failed})
        if query.get("key") != self._lp_key:
            return web.json_response({"failed": 2})
        self.lp_listening += 1
        self._notify()
        try:
            ts = int(query.get("ts", ""))
        except ValueError:
            return web.json_response({"failed": 1, "ts": str(self._next_seq)})
        try:
            wait_s = min(90.0, max(0.0, float(query.get("wait", "25"))))
        except ValueError:
            wait_s = 25.0
        deadline = self._now() + wait_s
        while True:
            updates = [e for seq, e in zip(self._seq_of, self.events, strict=True) if seq >= ts]
            if updates or self._closing:
                return web.json_response({"ts": str(max(ts, self._next_seq)), "updates": updates})
            remaining = deadline - self._now()
            if remaining <= 0:
                return web.json_response({"ts": str(ts), "updates": []})
            await self._wait_change(remaining)

    # -- model helpers -------------------------------------------------------------------
    def _user(self, user_id: int) -> JsonDict:
        return self._users.setdefault(
            user_id,
            {
                "id": user_id,
                "first_name": f"User{user_id}",
                "last_name": "Test",
                "can_access_closed": True,
                "is_closed": False,
            },
        )

    def set_user(
        self, user_id: int, *, first_name: str | None = None, last_name: str | None = None
    ) -> JsonDict:
        """Set the profile ``users.get`` returns for ``user_id``."""
        user = self._user(user_id)
        if first_name is not None:
            user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        return user

    def _new_cmid(self, peer_id: int) -> int:
        cmid = self._cmids.get(peer_id, 0) + 1
        self._cmids[peer_id] = cmid
        return cmid

    def _store(self, message: JsonDict) -> JsonDict:
        self._messages[message["id"]] = message
        self._by_cmid[(message["peer_id"], message["conversation_message_id"])] = message["id"]
        return message

    def message(
        self, message_id: int | None = None, *, peer_id: int | None = None, cmid: int | None = None
    ) -> JsonDict | None:
        """A stored message (current state) by global id or by (peer_id, cmid)."""
        if message_id is None and peer_id is not None and cmid is not None:
            message_id = self._by_cmid.get((peer_id, cmid))
        return self._messages.get(message_id) if message_id is not None else None

    def last_bot_message(self, peer_id: int, *, with_keyboard: bool = False) -> JsonDict | None:
        """The newest message the group sent to ``peer_id`` (optionally with a keyboard)."""
        candidates = [
            m
            for m in self._messages.values()
            if m["peer_id"] == peer_id and m["out"] == 1 and (not with_keyboard or m.get("keyboard"))
        ]
        return max(candidates, key=lambda m: m["id"], default=None)

    def keyboard_of(self, peer_id: int) -> JsonDict | None:
        """The keyboard (decoded JSON) of the newest bot message that carried one."""
        last = self.last_bot_message(peer_id, with_keyboard=True)
        return last.get("keyboard") if last else None

    # -- API methods -----------------------------------------------------------------------
    async def _m_one(self, params: JsonDict) -> int:
        return 1

    def _group(self) -> JsonDict:
        return {
            "id": self.group_id,
            "name": self.group_name,
            "screen_name": f"club{self.group_id}",
            "is_closed": 0,
            "type": "group",
            "photo_50": "",
            "photo_100": "",
            "photo_200": "",
        }

    async def _m_groups_get_by_id(self, params: JsonDict) -> JsonDict:
        # v5.194+ shape: an object with "groups" (and "profiles"), not a bare list.
        return {"groups": [self._group()], "profiles": []}

    async def _m_groups_get_long_poll_server(self, params: JsonDict) -> JsonDict:
        if int(params.get("group_id") or 0) != self.group_id:
            raise VkApiError(15, f"{ERRORS[15]}: wrong group_id")
        return {"key": self._lp_key, "server": self.longpoll_url, "ts": str(self._next_seq)}

    def _peers(self, params: JsonDict) -> tuple[list[int], bool]:
        """Recipients and whether the batch (peer_ids) response shape is used."""
        if params.get("peer_ids") not in (None, "", []):
            peers = params["peer_ids"]
            if not isinstance(peers, list) or not peers:
                raise _invalid("peer_ids is invalid")
            if len(peers) > 100:
                raise _invalid("peer_ids is too long")
            return peers, True
        for key in ("peer_id", "user_id"):
            if params.get(key) not in (None, ""):
                return [int(params[key])], False
        if params.get("chat_id") not in (None, ""):
            return [CHAT_PEER_START + int(params["chat_id"])], False
        raise _invalid("you should specify peer_id, user_id, domain, chat_id or user_ids param")

    async def _m_messages_send(self, params: JsonDict) -> Any:
        peers, batch = self._peers(params)
        if "random_id" not in params:
            raise _invalid("random_id is a required parameter")
        text = str(params.get("message") or "")
        if not text.strip() and not any(
            params.get(k) for k in ("attachment", "sticker_id", "forward_messages", "forward")
        ):
            raise _invalid("message is empty or invalid")
        if len(text) > _MAX_TEXT:
            raise VkApiError(914)
        _validate_keyboard(params.get("keyboard"))
        random_id = int(params.get("random_id") or 0)
        results: list[JsonDict] = []
        for peer in peers:
            if peer in self._blocked:
                if not batch:
                    raise VkApiError(901)
                results.append({"peer_id": peer, "error": {"code": 901, "description": ERRORS[901]}})
                continue
            key = (peer, random_id)
            if random_id and key in self._random_ids:
                message = self._messages[self._random_ids[key]]
                results.append({"peer_id": peer, "message_id": message["id"], "duplicate": True})
                continue
            message = self._store(
                {
                    "id": next(self._message_ids),
                    "date": int(time.time()),
                    "peer_id": peer,
                    "from_id": -self.group_id,
                    "out": 1,
                    "text": text,
                    "conversation_message_id": self._new_cmid(peer),
                    "attachments": self._parse_attachment_param(params.get("attachment")),
                    "random_id": random_id,
                    "keyboard": params.get("keyboard") or None,
                }
            )
            if random_id:
                self._random_ids[key] = message["id"]
            results.append(
                {
                    "peer_id": peer,
                    "message_id": message["id"],
                    "conversation_message_id": message["conversation_message_id"],
                }
            )
        for r in results:
            if "message_id" in r:
                self._deliver(r["peer_id"], r["message_id"], params, r.pop("duplicate", False))
        if not batch:
            return results[0]["message_id"]
        return results

    def _deliver(self, peer: int, message_id: int, params: JsonDict, duplicate: bool) -> None:
        """Log one delivered message; a repeated random_id is noted but not delivered twice."""
        if duplicate:
            self.duplicates.append({"peer_id": peer, "message_id": message_id, "params": params})
            return
        self.delivered.append(
            {
                "peer_id": peer,
                "message_id": message_id,
                "params": {**params, "peer_id": peer},
                "time": self._arrival,
            }
        )

    @staticmethod
    def _parse_attachment_param(value: Any) -> list[JsonDict]:
        if not value:
            return []
        items = []
        for ref in str(value).split(","):
            ref = ref.strip()
            kind = "".join(ch for ch in ref if ch.isalpha() or ch == "_").rstrip("_")
            items.append({"type": kind.split("_")[0] if kind else "unknown", "ref": ref})
        return items

    async def _m_messages_edit(self, params: JsonDict) -> int:
        peer_id = params.get("peer_id")
        if not isinstance(peer_id, int):
            raise _invalid("peer_id is undefined")
        if params.get("message_id") not in (None, ""):
            message = self._messages.get(int(params["message_id"]))
            if message is not None and message["peer_id"] != peer_id:
                message = None
        elif params.get("conversation_message_id") not in (None, ""):
            message = self.message(peer_id=peer_id, cmid=int(params["conversation_message_id"]))
        else:
            raise _invalid("message_id or conversation_message_id is undefined")
        if message is None:
            raise _invalid("message not found")
        if message["out"] != 1:
            raise VkApiError(15, f"{ERRORS[15]}: can't edit this message")
        text = params.get("message")
        if text is not None and len(str(text)) > _MAX_TEXT:
            raise VkApiError(914)
        if "keyboard" in params:
            _validate_keyboard(params.get("keyboard"))
        if text is not None:
            message["text"] = str(text)
        if "keyboard" in params:
            message["keyboard"] = params.get("keyboard") or None
        if "attachment" in params:
            message["attachments"] = self._parse_attachment_param(params.get("attachment"))
        message["update_time"] = int(time.time())
        return 1

    async def _m_send_message_event_answer(self, params: JsonDict) -> int:
        for key in ("event_id", "user_id", "peer_id"):
            if params.get(key) in (None, ""):
                raise _invalid(f"{key} is undefined")
        self._open_events.discard(str(params["event_id"]))
        return 1

    async def _m_get_conversations_by_id(self, params: JsonDict) -> JsonDict:
        peers = params.get("peer_ids") or []
        if isinstance(peers, int):
            peers = [peers]
        items = []
        for peer in peers:
            kind = "chat" if peer >= CHAT_PEER_START else "user"
            local = peer - CHAT_PEER_START if kind == "chat" else peer
            can_write: JsonDict = {"allowed": peer not in self._blocked}
            if peer in self._blocked:
                can_write["reason"] = 901
            items.append(
                {
                    "peer": {"id": peer, "type": kind, "local_id": local},
                    "last_message_id": 0,
                    "in_read": 0,
                    "out_read": 0,
                    "can_write": can_write,
                }
            )
        return {"count": len(items), "items": items}

    async def _m_get_by_cmid(self, params: JsonDict) -> JsonDict:
        peer_id = int(params.get("peer_id") or 0)
        raw = str(params.get("conversation_message_ids") or "")
        items = []
        for part in raw.split(","):
            if part.strip().isdigit():
                found = self.message(peer_id=peer_id, cmid=int(part))
                if found is not None:
                    items.append(found)
        return {"count": len(items), "items": copy.deepcopy(items)}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload server: a multipart ``file`` in, an opaque ``file`` token out (as VK)."""
        form = await request.post()
        field = form.get("file")
        if not isinstance(field, web.FileField):
            return web.json_response({"error": "no file"})
        data = field.file.read()
        token = secrets.token_hex(8)
        self.uploads[token] = {"filename": field.filename, "size": len(data), "data": data}
        return web.json_response({"file": token})

    async def _m_docs_upload_server(self, params: JsonDict) -> JsonDict:
        if params.get("peer_id") in (None, ""):
            raise _invalid("peer_id is undefined")
        return {"upload_url": f"{self.root_url}/upload/doc"}

    async def _m_docs_save(self, params: JsonDict) -> JsonDict:
        upload = self.uploads.get(str(params.get("file") or ""))
        if upload is None:
            raise _invalid("file is invalid")
        title = str(params.get("title") or upload["filename"] or "file")
        ext = title.rsplit(".", 1)[-1].lower() if "." in title else ""
        doc = {
            "id": self._new_doc_id(),
            "owner_id": -self.group_id,
            "title": title,
            "size": upload["size"],
            "ext": ext,
            "date": int(time.time()),
            "type": _DOC_TYPES.get(ext, 8),
            "url": f"{self.root_url}/doc/{self.group_id}",
        }
        return {"type": "doc", "doc": doc}

    async def _m_users_get(self, params: JsonDict) -> list[JsonDict]:
        ids = params.get("user_ids")
        if ids in (None, "", []):
            ids = [params["user_id"]] if isinstance(params.get("user_id"), int) else []
        if isinstance(ids, int):
            ids = [ids]
        return [dict(self._user(int(uid))) for uid in ids]

    # -- injecting events ------------------------------------------------------------------
    def push_event(self, event_type: str, obj: JsonDict) -> JsonDict:
        """Queue a raw Bots Long Poll event; returns the full event dict."""
        event = {
            "group_id": self.group_id,
            "type": event_type,
            "event_id": secrets.token_hex(20),
            "v": API_VERSION,
            "object": obj,
        }
        self.events.append(event)
        self._seq_of.append(self._next_seq)
        self._next_seq += 1
        self._notify()
        return event

    def event_seq(self, event: JsonDict) -> int:
        """The long-poll position of ``event``: a client past it sends a ``ts`` above this."""
        index = next(i for i, e in enumerate(self.events) if e is event)
        return self._seq_of[index]

    def fail_longpoll(self, failed: int) -> None:
        """Make the next long-poll request answer ``{"failed": 1|2|3}``."""
        if failed not in (1, 2, 3):
            msg = "failed must be 1, 2 or 3"
            raise ValueError(msg)
        self._lp_failures.append(failed)

    @property
    def listening_again(self) -> bool:
        """Every injected long-poll failure was answered and the bot polls with the new
        key, so an event injected from now on is one it must receive."""
        return not self._lp_failures and self.lp_listening > 0

    @staticmethod
    def client_info(lang_id: int = 0) -> JsonDict:
        """``client_info`` of a modern client that supports every keyboard feature."""
        return {
            "button_actions": list(BUTTON_ACTIONS),
            "keyboard": True,
            "inline_keyboard": True,
            "carousel": True,
            "lang_id": lang_id,
        }

    def _user_message(
        self,
        user_id: int,
        text: str,
        *,
        attachments: list[JsonDict] | None = None,
        payload: str | None = None,
        reply_to_message_id: int | None = None,
        lang_id: int = 0,
    ) -> JsonDict:
        self._user(user_id)
        message: JsonDict = {
            "date": int(time.time()),
            "from_id": user_id,
            "id": next(self._message_ids),
            "out": 0,
            "version": 10_000_000 + len(self.events),
            "attachments": attachments or [],
            "conversation_message_id": self._new_cmid(user_id),
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "peer_id": user_id,
            "random_id": 0,
            "text": text,
        }
        if payload is not None:
            message["payload"] = payload
        if reply_to_message_id is not None:
            original = self._messages.get(reply_to_message_id)
            if original is not None:
                message["reply_message"] = {
                    k: original[k]
                    for k in (
                        "date",
                        "from_id",
                        "text",
                        "attachments",
                        "conversation_message_id",
                        "peer_id",
                        "id",
                    )
                }
        self._store(message)
        event = self.push_event(
            "message_new",
            {"message": copy.deepcopy(message), "client_info": self.client_info(lang_id)},
        )
        return event

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        payload: str | Mapping[str, Any] | None = None,
        reply_to_message_id: int | None = None,
        lang_id: int = 0,
    ) -> JsonDict:
        """The user writes ``text`` (``payload`` = a pressed text button's payload)."""
        if payload is not None and not isinstance(payload, str):
            payload = json.dumps(payload, ensure_ascii=False)
        return self._user_message(
            user_id,
            text,
            payload=payload,
            reply_to_message_id=reply_to_message_id,
            lang_id=lang_id,
        )

    def press_callback(
        self,
        user_id: int,
        payload: Mapping[str, Any] | str,
        conversation_message_id: int | None = None,
    ) -> JsonDict:
        """The user presses a callback button: queues a ``message_event``; returns it.

        ``conversation_message_id`` defaults to the newest bot message with a keyboard.
        """
        if isinstance(payload, str):
            with contextlib.suppress(ValueError):
                payload = json.loads(payload)
        if conversation_message_id is None:
            last = self.last_bot_message(user_id, with_keyboard=True) or self.last_bot_message(
                user_id
            )
            conversation_message_id = last["conversation_message_id"] if last else None
        if conversation_message_id is None or self.message(
            peer_id=user_id, cmid=conversation_message_id
        ) is None:
            # Unknown message: synthesise it so that a later messages.edit succeeds.
            cmid = conversation_message_id or self._new_cmid(user_id)
            self._cmids[user_id] = max(self._cmids.get(user_id, 0), cmid)
            self._store(
                {
                    "id": next(self._message_ids),
                    "date": int(time.time()),
                    "peer_id": user_id,
                    "from_id": -self.group_id,
                    "out": 1,
                    "text": "(message)",
                    "conversation_message_id": cmid,
                    "attachments": [],
                    "random_id": 0,
                    "keyboard": None,
                }
            )
            conversation_message_id = cmid
        event_id = secrets.token_hex(6)
        self._open_events.add(event_id)
        return self.push_event(
            "message_event",
            {
                "user_id": user_id,
                "peer_id": user_id,
                "event_id": event_id,
                "payload": payload,
                "conversation_message_id": conversation_message_id,
            },
        )

    def press_button_label(self, user_id: int, label: str) -> JsonDict:
        """Press the button labelled ``label`` on the newest keyboard sent to the user.

        Callback buttons become ``message_event``; text buttons become ``message_new``
        with the button's payload, as the VK client does.
        """
        last = self.last_bot_message(user_id, with_keyboard=True)
        keyboard = (last or {}).get("keyboard") or {}
        for row in keyboard.get("buttons", []):
            for button in row:
                action = button.get("action", {})
                if action.get("label") != label:
                    continue
                payload = action.get("payload")
                if action.get("type") == "callback":
                    assert last is not None
                    return self.press_callback(
                        user_id, payload or {}, last["conversation_message_id"]
                    )
                return self.send_text(user_id, label, payload=payload)
        msg = f"no button {label!r} on the last keyboard for {user_id}: {keyboard!r}"
        raise AssertionError(msg)

    def _new_doc_id(self) -> int:
        return next(self._doc_ids)

    def send_doc(self, user_id: int, title: str, ext: str, size: int, *, text: str = "") -> JsonDict:
        """The user sends a document attachment (``doc``) of ``size`` bytes."""
        doc_id = self._new_doc_id()
        ext = ext.lower().lstrip(".")
        doc = {
            "id": doc_id,
            "owner_id": user_id,
            "title": title,
            "size": size,
            "ext": ext,
            "date": int(time.time()),
            "type": _DOC_TYPES.get(ext, 8),
            "url": f"https://vk.com/doc{user_id}_{doc_id}?hash=fake&dl=fake",
            "access_key": secrets.token_hex(8),
        }
        return self._user_message(user_id, text, attachments=[{"type": "doc", "doc": doc}])

    def send_video(
        self, user_id: int, duration: int, *, title: str = "video.mp4", text: str = ""
    ) -> JsonDict:
        """The user sends a video attachment of ``duration`` seconds."""
        video_id = self._new_doc_id()
        video = {
            "id": video_id,
            "owner_id": user_id,
            "title": title,
            "duration": duration,
            "date": int(time.time()),
            "access_key": secrets.token_hex(8),
            "description": "",
            "views": 0,
            "comments": 0,
            "type": "video",
            "width": 1280,
            "height": 720,
            "can_add": 1,
            "image": [{"url": "https://sun9-0.userapi.com/fake.jpg", "width": 320, "height": 180}],
        }
        return self._user_message(user_id, text, attachments=[{"type": "video", "video": video}])

    def send_photo(self, user_id: int, *, text: str = "") -> JsonDict:
        """The user sends a photo attachment."""
        photo_id = self._new_doc_id()
        sizes = [
            {"type": t, "url": f"https://sun9-0.userapi.com/{t}.jpg", "width": w, "height": h}
            for t, w, h in (("s", 75, 50), ("m", 130, 87), ("x", 604, 403), ("y", 807, 538))
        ]
        photo = {
            "id": photo_id,
            "album_id": -3,
            "owner_id": user_id,
            "date": int(time.time()),
            "access_key": secrets.token_hex(8),
            "sizes": sizes,
            "text": "",
            "has_tags": False,
        }
        return self._user_message(user_id, text, attachments=[{"type": "photo", "photo": photo}])

    def send_audio_message(self, user_id: int, duration: int) -> JsonDict:
        """The user sends a voice message (``audio_message``)."""
        audio_id = self._new_doc_id()
        voice = {
            "id": audio_id,
            "owner_id": user_id,
            "duration": duration,
            "waveform": [0, 5, 10, 5, 0],
            "link_ogg": f"https://psv4.userapi.com/fake/{audio_id}.ogg",
            "link_mp3": f"https://psv4.userapi.com/fake/{audio_id}.mp3",
            "access_key": secrets.token_hex(8),
        }
        return self._user_message(
            user_id, "", attachments=[{"type": "audio_message", "audio_message": voice}]
        )

    def send_sticker(self, user_id: int, sticker_id: int = 9_001) -> JsonDict:
        """The user sends a sticker."""
        images = [
            {"url": f"https://vk.com/sticker/1-{sticker_id}-{s}", "width": s, "height": s}
            for s in (64, 128, 256)
        ]
        sticker = {
            "product_id": 1,
            "sticker_id": sticker_id,
            "images": images,
            "images_with_background": images,
            "is_allowed": True,
        }
        return self._user_message(
            user_id, "", attachments=[{"type": "sticker", "sticker": sticker}]
        )

    def send_link(self, user_id: int, url: str) -> JsonDict:
        """The user sends a link (text = url plus a ``link`` attachment, like VK does)."""
        link = {"url": url, "title": url, "caption": urlsplit(url).hostname or "", "description": ""}
        return self._user_message(user_id, url, attachments=[{"type": "link", "link": link}])

    # -- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        code: int = 6,
        *,
        times: int = 1,
        skip: int = 0,
        message: str | None = None,
        http_status: int | None = None,
        body: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail, after ``skip`` pass.

        ``code``: a VK error (6 rps, 9 flood, 10 internal, 901 no permission, ...);
        ``http_status``: answer with that HTTP status (e.g. 502) and a text body instead.
        """
        self._faults.add(
            method,
            times,
            skip=skip,
            code=code,
            message=message or ERRORS.get(code),
            http_status=http_status,
            body=body,
        )

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Delay the next ``times`` responses of ``method``."""
        self._delays.add(method, times, seconds=seconds)

    def block_user(self, peer_id: int) -> None:
        """messages.send to ``peer_id`` now fails with 901 (per-peer entry in batches)."""
        self._blocked.add(peer_id)

    def unblock_user(self, peer_id: int) -> None:
        """Undo :meth:`block_user`."""
        self._blocked.discard(peer_id)

    # -- assertion helpers -----------------------------------------------------------------
    def messages_to(self, peer_id: int) -> list[JsonDict]:
        """Params of each message delivered to ``peer_id`` (``peer_id`` set per recipient)."""
        return [d["params"] for d in self.delivered if d["peer_id"] == peer_id]

    def texts_to(self, peer_id: int) -> list[str]:
        """The ``message`` texts delivered to ``peer_id``."""
        return [str(p.get("message") or "") for p in self.messages_to(peer_id)]

    def edits_to(self, peer_id: int) -> list[JsonDict]:
        """Params of successful messages.edit calls in ``peer_id``."""
        return [
            c["params"]
            for c in self.sent
            if c["ok"] and c["method"] == "messages.edit" and c["params"].get("peer_id") == peer_id
        ]

    async def wait_for_messages(
        self, peer_id: int, count: int, timeout: float = 5.0
    ) -> list[JsonDict]:
        """Wait until at least ``count`` messages were delivered to ``peer_id``."""
        await self.wait_for(lambda: len(self.messages_to(peer_id)) >= count, timeout)
        return self.messages_to(peer_id)

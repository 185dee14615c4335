"""VK Bots Long Poll events (API 5.199, plain dicts) -> the core's `Incoming`.

Attachments are described, never downloaded. A VK video attachment carries its
duration but no size; a `link` attachment (a video on another site) becomes the
link as text, which is how a link answer arrives from every messenger.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from bot.messages import FileInfo, Incoming
from messengers.vk.keyboard import decode_payload, is_start_button

PLATFORM = "vk"
CHAT_PEER_START = 2_000_000_000
LANGUAGES = {0: "ru", 1: "uk", 2: "be", 3: "en", 4: "es", 6: "de", 12: "it", 16: "fr", 97: "kk"}
"""`client_info.lang_id` of the VK client -> a language code."""
UNSUPPORTED_ATTACHMENTS = {"wall": "wall", "market": "market", "poll": "poll", "gift": "gift",
                           "wall_reply": "wall", "story": "story", "graffiti": "sticker"}

Event = dict[str, Any]


def _ref(kind: str, obj: dict[str, Any]) -> str:
    """The attachment string messages.send accepts back (`doc123_456_accesskey`)."""
    ref = f"{kind}{obj.get('owner_id')}_{obj.get('id')}"
    return f"{ref}_{obj['access_key']}" if obj.get("access_key") else ref


def file_of(attachment: dict[str, Any]) -> FileInfo | None:
    kind = attachment.get("type")
    obj = attachment.get(kind) if isinstance(kind, str) else None
    if not isinstance(obj, dict):
        return None
    if kind == "doc":
        name = str(obj.get("title") or "document")
        ext = str(obj.get("ext") or "").lower()
        if ext and not name.lower().endswith("." + ext):
            name = f"{name}.{ext}"
        mime = mimetypes.guess_type(name)[0]
        return FileInfo("document", _ref("doc", obj), obj.get("size"), mime, None, name)
    if kind == "video":
        return FileInfo("video", _ref("video", obj), None, "video/mp4", obj.get("duration"), obj.get("title"))
    if kind == "photo":
        return FileInfo("photo", _ref("photo", obj), None, "image/jpeg")
    if kind == "audio_message":
        return FileInfo("voice", _ref("audio_message", obj), None, "audio/ogg", obj.get("duration"))
    if kind == "audio":
        duration, title = obj.get("duration"), obj.get("title")
        return FileInfo("audio", _ref("audio", obj), None, "audio/mpeg", duration, title)
    if kind == "sticker":
        return FileInfo("sticker", f"sticker{obj.get('sticker_id')}", None, "image/png")
    return None


def from_message(event: Event) -> Incoming | None:
    """A `message_new` in a private conversation; None for group chats and communities."""
    obj = event.get("object") or {}
    message = obj.get("message") or {}
    peer_id, from_id = int(message.get("peer_id") or 0), int(message.get("from_id") or 0)
    if peer_id >= CHAT_PEER_START or peer_id <= 0 or from_id <= 0:
        return None
    text: str | None = message.get("text") or None
    payload = None
    raw_payload = message.get("payload")
    if raw_payload:
        if is_start_button(raw_payload):
            text = "/start"
        else:
            payload = decode_payload(raw_payload)
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    file = next((f for f in map(file_of, attachments) if f is not None), None)
    unsupported = None
    if file is None:
        link = next((a["link"] for a in attachments if a.get("type") == "link" and a.get("link")), None)
        if link is not None and link.get("url"):
            text = str(link["url"])
        elif message.get("geo"):
            unsupported = "location"
        elif attachments:
            unsupported = UNSUPPORTED_ATTACHMENTS.get(str(attachments[0].get("type")), "other")
        elif text is None and payload is None:
            return None
    reply = message.get("reply_message") or {}
    lang = (obj.get("client_info") or {}).get("lang_id")
    return Incoming(
        platform=PLATFORM,
        user_ref=str(from_id),
        chat_ref=str(peer_id),
        text=text,
        payload=payload,
        file=file,
        message_ref=str(message.get("id") or message.get("conversation_message_id") or "") or None,
        update_ref=event.get("event_id") or f"m{message.get('id')}",
        reply_to_ref=str(reply["id"]) if reply.get("id") else None,
        language_code=LANGUAGES.get(lang) if isinstance(lang, int) else None,
        unsupported=unsupported,
    )


def from_callback(event: Event) -> Incoming | None:
    """A `message_event` (a callback button press)."""
    obj = event.get("object") or {}
    user_id, peer_id = int(obj.get("user_id") or 0), int(obj.get("peer_id") or 0)
    if user_id <= 0 or peer_id <= 0 or peer_id >= CHAT_PEER_START:
        return None
    payload = decode_payload(obj.get("payload"))
    if payload is None:
        return None
    return Incoming(
        platform=PLATFORM,
        user_ref=str(user_id),
        chat_ref=str(peer_id),
        payload=payload,
        message_ref=str(obj.get("conversation_message_id") or "") or None,
        update_ref=event.get("event_id") or f"e{obj.get('event_id')}",
    )


def incoming_of(event: Event) -> Incoming | None:
    kind = event.get("type")
    if kind == "message_new":
        return from_message(event)
    if kind == "message_event":
        return from_callback(event)
    return None


def user_key(event: Event) -> int:
    obj = event.get("object") or {}
    if event.get("type") == "message_new":
        return int((obj.get("message") or {}).get("from_id") or 0)
    return int(obj.get("user_id") or 0)


def client_supports_callbacks(event: Event) -> bool | None:
    """From `client_info`: can this person's app show inline callback buttons?"""
    info = (event.get("object") or {}).get("client_info")
    if not isinstance(info, dict):
        return None
    actions = info.get("button_actions") or []
    return bool(info.get("inline_keyboard")) and "callback" in actions

"""MAX updates (maxapi models) -> the core's `Incoming` (pure functions, no I/O).

MAX writes to a person in a dialog that has an id of its own, but also accepts the
user id as the address (`POST /messages?user_id=`); the adapter uses the user id as
the chat reference, so a coordinator named `max:USER_ID` in the settings can be
written to before they have written to the bot, as in Telegram and VK.
"""

from __future__ import annotations

from maxapi.enums.chat_type import ChatType
from maxapi.types.attachments import Audio, File, Image, Sticker, Video
from maxapi.types.message import Message
from maxapi.types.updates import UpdateUnion
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated
from maxapi.types.users import User

from bot.messages import FileInfo, Incoming

PLATFORM = "max"
UNSUPPORTED = ("location", "contact", "share")
"""Attachment kinds a person can send that carry no answer; named for the reply."""


def display_name(user: User | None) -> str | None:
    if user is None:
        return None
    full = " ".join(filter(None, (user.first_name, user.last_name)))
    return full or user.username


def file_of(message: Message) -> FileInfo | None:
    """The first file the message carries, described (never downloaded)."""
    for att in (message.body.attachments or []) if message.body else []:
        payload = getattr(att, "payload", None)
        token = getattr(payload, "token", None) or getattr(payload, "url", None) or ""
        if isinstance(att, File):
            return FileInfo("document", token, att.size, None, None, att.filename)
        if isinstance(att, Image):
            return FileInfo("photo", token, None, "image/jpeg")
        if isinstance(att, Video):
            return FileInfo("video", att.token or token, None, None, att.duration)
        if isinstance(att, Audio):
            return FileInfo("voice", token, None, None, None)
        if isinstance(att, Sticker):
            return FileInfo("sticker", token, None, None)
    return None


def _unsupported(message: Message) -> str | None:
    for att in (message.body.attachments or []) if message.body else []:
        kind = str(getattr(att, "type", ""))
        if kind in UNSUPPORTED:
            return kind
    return None


def from_message(update: MessageCreated) -> Incoming | None:
    """A message in a dialog with the bot; None for group chats, channels and bots."""
    message = update.message
    sender = message.sender
    if sender is None or sender.is_bot or message.recipient.chat_type != ChatType.DIALOG:
        return None
    body = message.body
    file = file_of(message)
    text = body.text if body is not None and body.text else None
    unsupported = _unsupported(message) if file is None and text is None else None
    if file is None and text is None and unsupported is None:
        return None  # nothing a person said (a service message)
    reply_to = None
    if message.link is not None and str(message.link.type) == "reply":
        reply_to = message.link.message.mid
    mid = body.mid if body is not None else str(update.timestamp)
    return Incoming(
        platform=PLATFORM,
        user_ref=str(sender.user_id),
        chat_ref=str(sender.user_id),
        text=text,
        file=file,
        message_ref=mid,
        update_ref=f"m/{mid}",
        reply_to_ref=reply_to,
        language_code=_language(update.user_locale),
        display_name=display_name(sender),
        unsupported=unsupported,
    )


def from_callback(update: MessageCallback) -> Incoming | None:
    """A button press: its payload, and the message it was on (for stale buttons)."""
    callback = update.callback
    if not callback.payload:
        return None
    message = update.message
    if message is not None and message.recipient.chat_type != ChatType.DIALOG:
        return None
    return Incoming(
        platform=PLATFORM,
        user_ref=str(callback.user.user_id),
        chat_ref=str(callback.user.user_id),
        payload=callback.payload,
        message_ref=message.body.mid if message is not None and message.body is not None else None,
        update_ref=f"c/{callback.callback_id}",
        language_code=_language(update.user_locale),
        display_name=display_name(callback.user),
    )


def from_start(update: BotStarted) -> Incoming:
    """The «Начать» button, or a link with `?start=PAYLOAD`: `/start PAYLOAD` to the core,
    as Telegram's deep links, so invitations and /link codes work the same way."""
    text = f"/start {update.payload}" if update.payload else "/start"
    return Incoming(
        platform=PLATFORM,
        user_ref=str(update.user.user_id),
        chat_ref=str(update.user.user_id),
        text=text,
        update_ref=f"s/{update.user.user_id}/{update.timestamp}",
        language_code=_language(update.user_locale),
        display_name=display_name(update.user),
    )


def incoming_of(update: UpdateUnion) -> Incoming | None:
    if isinstance(update, MessageCreated):
        return from_message(update)
    if isinstance(update, MessageCallback):
        return from_callback(update)
    if isinstance(update, BotStarted):
        return from_start(update)
    return None


def user_key(update: UpdateUnion) -> int:
    """Whose update this is: one person's updates are handled in order, others in parallel."""
    if isinstance(update, MessageCreated) and update.message.sender is not None:
        return update.message.sender.user_id
    if isinstance(update, MessageCallback):
        return update.callback.user.user_id
    if isinstance(update, BotStarted):
        return update.user.user_id
    return 0


def _language(locale: str | None) -> str | None:
    """MAX gives a locale like `ru-RU` (or `ru`); the core wants the language."""
    return locale.split("-")[0].split("_")[0].lower() if locale else None


UPDATE_TYPES = ["message_created", "message_callback", "bot_started"]

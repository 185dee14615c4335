"""Telegram updates -> the core's `Incoming` (pure functions, no I/O).

Files are described, never downloaded: the Bot API refuses downloads over 20 MB and
the scenarios only need the id, size, MIME type and duration to judge a submission.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, Update, User

from bot.messages import FileInfo, Incoming

PLATFORM = "telegram"
# update_ref (the core's dedupe key) is the update id plus the message or query id: a
# resent update keeps it, while Telegram's update ids alone may restart at a random
# number after a quiet week and collide with an old one.
UNSUPPORTED = ("location", "venue", "contact", "poll", "dice", "game", "story", "invoice")
"""Message kinds a person can send that carry no text answer; named for the reply."""


def _display_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.full_name or user.username


def file_of(message: Message) -> FileInfo | None:
    """The neutral description of the file in `message`, if it carries one."""
    if message.document is not None:
        d = message.document
        return FileInfo("document", d.file_id, d.file_size, d.mime_type, None, d.file_name)
    if message.video is not None:
        v = message.video
        return FileInfo("video", v.file_id, v.file_size, v.mime_type, v.duration, v.file_name)
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        return FileInfo("photo", largest.file_id, largest.file_size, "image/jpeg")
    if message.voice is not None:
        vo = message.voice
        return FileInfo("voice", vo.file_id, vo.file_size, vo.mime_type, vo.duration)
    if message.video_note is not None:
        n = message.video_note
        return FileInfo("video_note", n.file_id, n.file_size, "video/mp4", n.duration)
    if message.audio is not None:
        a = message.audio
        return FileInfo("audio", a.file_id, a.file_size, a.mime_type, a.duration, a.file_name)
    if message.animation is not None:
        an = message.animation
        return FileInfo("animation", an.file_id, an.file_size, an.mime_type, an.duration, an.file_name)
    if message.sticker is not None:
        s = message.sticker
        mime = "video/webm" if s.is_video else "application/x-tgsticker" if s.is_animated else "image/webp"
        return FileInfo("sticker", s.file_id, s.file_size, mime)
    return None


def from_message(update_id: int, message: Message) -> Incoming | None:
    """A private-chat message as `Incoming`; None for groups, channels and service messages.

    The bot talks to people one to one: answering every message of a group it was
    added to would be noise, so those are ignored.
    """
    if message.chat.type != "private" or message.from_user is None or message.from_user.is_bot:
        return None
    file = file_of(message)
    text = message.text if message.text is not None else message.caption
    unsupported = None
    if file is None and text is None:
        unsupported = next((kind for kind in UNSUPPORTED if getattr(message, kind, None)), None)
        if unsupported is None:
            return None  # a service message (pinned, chat photo changed...): nothing to answer
    user = message.from_user
    return Incoming(
        platform=PLATFORM,
        user_ref=str(user.id),
        chat_ref=str(message.chat.id),
        text=text,
        file=file,
        message_ref=str(message.message_id),
        update_ref=f"{update_id}/{message.chat.id}/{message.message_id}",
        reply_to_ref=str(message.reply_to_message.message_id) if message.reply_to_message else None,
        language_code=user.language_code,
        display_name=_display_name(user),
        unsupported=unsupported,
    )


def from_callback(update_id: int, query: CallbackQuery) -> Incoming | None:
    """A button press as `Incoming` (payload = callback_data); None for game buttons."""
    if query.data is None:
        return None
    user = query.from_user
    message = query.message
    if message is not None and message.chat.type != "private":
        return None
    return Incoming(
        platform=PLATFORM,
        user_ref=str(user.id),
        chat_ref=str(message.chat.id if message is not None else user.id),
        payload=query.data,
        message_ref=str(message.message_id) if message is not None else None,
        update_ref=f"{update_id}/q{query.id}",
        language_code=user.language_code,
        display_name=_display_name(user),
    )


def incoming_of(update: Update) -> Incoming | None:
    if update.message is not None:
        return from_message(update.update_id, update.message)
    if update.callback_query is not None:
        return from_callback(update.update_id, update.callback_query)
    return None


def user_key(update: Update) -> int:
    """Whose update this is: updates of one person are handled in order, others in parallel."""
    if update.message is not None and update.message.from_user is not None:
        return update.message.from_user.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return 0


ALLOWED_UPDATES = ["message", "callback_query"]

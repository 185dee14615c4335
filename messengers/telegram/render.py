"""The core's `Reply` -> Bot API calls: inline keyboards, message parts, files.

Texts are sent as plain text (no parse mode): names and answers people typed are
echoed back, and a stray `<` in them must never turn into a "can't parse entities".
"""

from __future__ import annotations

from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    WebAppInfo,
)

from bot.messages import Button, OutFile, Reply

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

CALLBACK_DATA_LIMIT = 64
CAPTION_LIMIT = 1024


class PayloadTooLong(ValueError):
    """A button payload over Telegram's 64-byte callback_data limit: a bug in a feature."""


def button(b: Button) -> InlineKeyboardButton:
    if b.url and b.web_app:
        return InlineKeyboardButton(text=b.label, web_app=WebAppInfo(url=b.url))
    if b.url:
        return InlineKeyboardButton(text=b.label, url=b.url)
    if len(b.payload.encode("utf-8")) > CALLBACK_DATA_LIMIT:
        raise PayloadTooLong(f"button payload over {CALLBACK_DATA_LIMIT} bytes: {b.payload!r}")
    return InlineKeyboardButton(text=b.label, callback_data=b.payload)


def inline_keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[button(b) for b in row] for row in rows if row])


def markup(reply: Reply) -> Markup | None:
    """Inline buttons when the reply has any; else its persistent keyboard as a reply
    keyboard (a tap sends the label as text, which the core maps back to the key)."""
    inline = inline_keyboard(reply.buttons)
    if inline is not None or reply.keyboard is None:
        return inline
    if not reply.keyboard:
        return ReplyKeyboardRemove(remove_keyboard=True)
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=b.label) for b in row] for row in reply.keyboard if row],
        resize_keyboard=True,
        is_persistent=True,
    )


def input_file(file: OutFile) -> str | BufferedInputFile:
    """A file id Telegram already has, or bytes we made, uploaded as multipart."""
    if file.file_id:
        return file.file_id
    return BufferedInputFile(file.data or b"", filename=file.name)


SEND_METHOD = {
    "photo": "send_photo",
    "video": "send_video",
    "voice": "send_voice",
    "audio": "send_audio",
    "animation": "send_animation",
    "video_note": "send_video_note",
    "sticker": "send_sticker",
}
"""aiogram `Bot` method per file kind; everything else goes as a document."""
NO_CAPTION = frozenset({"sticker", "video_note"})
"""sendSticker and sendVideoNote take no caption: the text goes as a message before them."""

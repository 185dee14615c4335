"""Telegram (aiogram 3): long polling or webhook in, Bot API out."""

from messengers.telegram.lean_import import import_aiogram

import_aiogram()  # before any module of this package imports aiogram

from messengers.telegram.adapter import TelegramAdapter  # noqa: E402

__all__ = ["TelegramAdapter"]

"""Telegram (aiogram 3): long polling or webhook in, Bot API out."""

from handlers.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]

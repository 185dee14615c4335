"""The local console: try the whole bot without Telegram or VK."""

from handlers.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]

"""The local console: try the whole bot without Telegram or VK."""

from messengers.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]

"""VK (vk_api): Bots Long Poll in a worker thread, messages.send out."""

from messengers.vk.adapter import VkAdapter

__all__ = ["VkAdapter"]

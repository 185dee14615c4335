"""Long lists of choices laid out as a grid, so they fit the messengers' keyboards.

VK shows at most 10 rows (40 buttons); one button per row would hide everything after
the tenth team or person. Telegram is fine either way, and short labels read well
side by side on a phone.
"""

from __future__ import annotations

from bot.messages import Button

MAX_CHOICES = 40
"""VK's limit for a keyboard; more than a screenful is unusable on a phone anyway."""


def grid(buttons: list[Button], per_row: int = 2) -> list[list[Button]]:
    kept = buttons[:MAX_CHOICES]
    return [kept[i:i + per_row] for i in range(0, len(kept), per_row)]

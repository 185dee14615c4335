"""Long listings split into messages a messenger accepts (Telegram: 4,096 characters)."""

from __future__ import annotations

LIMIT = 3500
"""Below Telegram's 4,096 with room for a header the adapter or a reply may add."""


def chunks(lines: list[str], limit: int = LIMIT) -> list[str]:
    """Join lines into as few messages as fit; a single overlong line is cut, never lost
    silently (it ends with …)."""
    out: list[str] = []
    current = ""
    for line in lines:
        if len(line) > limit:
            line = line[: limit - 1] + "…"
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not out:
        out.append(current)
    return out

"""Cutting a long reply into messages a messenger accepts (Telegram and VK: 4096 chars).

Why here and not in the core: the limit belongs to the messenger, and a text cut at a
paragraph or sentence reads like two messages a person would write, not like a crash.
"""

from __future__ import annotations

MESSAGE_LIMIT = 4096
_BOUNDARIES = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def utf16_len(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """The largest index i such that text[:i] is at most `limit` UTF-16 units long."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at the latest clean boundary that fits (paragraph, line, sentence, word).

    A boundary is only used when it keeps at least half the limit in the part, so a
    stray early newline does not produce a run of tiny messages.
    """
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        end = _fitting_prefix(rest, limit)
        cut = end
        for boundary in _BOUNDARIES:
            found = rest.rfind(boundary, 0, end)
            if found >= end // 2:
                cut = found + len(boundary.rstrip()) if boundary.strip() else found
                break
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest.strip() or not parts:
        parts.append(rest)
    return parts

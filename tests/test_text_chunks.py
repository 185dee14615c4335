"""Long listings are split below Telegram's message limit, nothing lost."""

from __future__ import annotations

from bot.text_chunks import chunks


def test_short_listing_is_one_message() -> None:
    assert chunks(["a", "b"]) == ["a\nb"]
    assert chunks([]) == [""]


def test_long_listing_is_split_on_line_boundaries() -> None:
    lines = [f"• Интерн номер {n}, Команда {n // 6}" for n in range(600)]
    parts = chunks(lines)
    assert len(parts) > 1 and all(len(p) <= 3500 for p in parts)
    assert "\n".join(parts).split("\n") == lines


def test_an_overlong_line_is_cut_with_a_mark() -> None:
    (part,) = chunks(["x" * 5000])
    assert len(part) == 3500 and part.endswith("…")

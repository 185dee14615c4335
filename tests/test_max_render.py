"""MAX's limits on what one message may carry, applied to the core's replies."""

from __future__ import annotations

import pytest

from bot.messages import Button, OutFile, Reply
from messengers.max import render


def test_a_long_text_is_cut_into_messages_under_4000_characters_with_the_keyboard_last() -> None:
    paragraph = "Слово " * 150 + "\n\n"
    reply = Reply(paragraph * 10, buttons=[[Button("Да", "y")]])
    parts = render.parts(reply)
    assert len(parts) == 3
    assert all(0 < len(p.text) < 4000 for p in parts)
    assert [len(p.rows) for p in parts] == [0, 0, 1]
    assert "".join(p.text for p in parts).replace("\n", "").replace(" ", "") == \
        reply.text.replace("\n", "").replace(" ", "")


def test_wide_rows_wrap_at_seven_and_more_than_thirty_rows_continue_on_the_next_message() -> None:
    wide = [[Button(str(i), f"p|{i}") for i in range(10)]]
    assert [len(row) for row in render.parts(Reply("x", buttons=wide))[0].rows] == [7, 3]
    many = [[Button(f"№{i}", f"p|{i}")] for i in range(45)]
    parts = render.parts(Reply("Список", buttons=many))
    assert [(p.text, len(p.rows)) for p in parts] == [("Список", 30), (render.MORE, 15)]
    assert parts[1].rows[0][0].label == "№30"  # nothing lost, nothing twice, in order


def test_the_menu_comes_as_inline_buttons_and_links_stay_links() -> None:
    menu = [[Button("👉 Что дальше", "menu|next")], [Button("Сайт", url="https://example.org")]]
    parts = render.parts(Reply("Меню", keyboard=menu))
    board = render.keyboard(parts[-1].rows)
    assert board is not None
    dumped = board.model_dump()
    assert dumped["type"] == "inline_keyboard"
    first, second = dumped["payload"]["buttons"]
    assert first[0]["type"] == "callback" and first[0]["payload"] == "menu|next"
    assert second[0]["type"] == "link" and second[0]["url"] == "https://example.org"


def test_a_file_rides_on_the_last_part_and_an_oversized_payload_is_refused() -> None:
    parts = render.parts(Reply("Отчёт", file=OutFile("a.xlsx", data=b"1")))
    assert parts[-1].with_file and render.upload_type(OutFile("a.png", kind="photo")).value == "image"
    with pytest.raises(render.PayloadTooLong):
        render.button(Button("x", "p" * 1025))

"""An intern the bot can no longer reach is brought to a human, once per episode."""

from __future__ import annotations

from bot.clock import FakeClock
from storage import persons
from tests.conftest import ConsoleChat
from tests.ticket_setup import deliver, set_up


async def lose(chat: ConsoleChat, user: str) -> None:
    """What Delivery does when the messenger says the bot was blocked."""
    async with chat.app.s.db.transaction() as conn:
        account = await persons.find_account(conn, "console", user)
        assert account is not None
        await persons.mark_unreachable(conn, account.id, chat.app.s.clock.now())


async def tick(chat: ConsoleChat) -> int:
    told = (await chat.app.s.scheduler.tick())["unreachable"]
    await deliver(chat)
    return told


async def test_the_tutor_hears_once_and_the_flag_clears_when_the_intern_is_back(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(clock.now().replace(hour=10))  # daytime in Moscow: nobody's quiet hours
    await set_up(chat)
    await lose(chat, "ivan")
    await lose(chat, "masha")  # team 3 has no tutor: the coordinators hear
    assert await tick(chat) == 2
    [told] = chat.new("tanya")
    assert "Иван Петров" in told.text and "бот заблокирован" in told.text
    assert "свяжитесь" in told.text and "e-mail:" in told.text
    assert any("masha" in r.text for r in chat.new("alice"))
    assert chat.new("petr") == []
    assert await tick(chat) == 0 and chat.new("tanya") == []  # once per episode

    queue = (await chat.say("/queue", "tanya"))[0].text
    assert "Иван Петров: не получает сообщений бота" in queue
    board = (await chat.say("/tickets", "alice"))[0].text  # the coordinators see everyone lost
    assert "Иван Петров: не получает сообщений бота" in board
    assert sum("не получает сообщений бота" in line for line in board.splitlines()) == 2

    await chat.say("/help", "ivan")  # he unblocked the bot and wrote again
    await tick(chat)
    assert "не получает" not in (await chat.say("/queue", "tanya"))[0].text

    clock.advance(days=2)
    await lose(chat, "ivan")  # blocked again: a new episode, told again
    assert await tick(chat) == 1
    assert len(chat.new("tanya")) == 1

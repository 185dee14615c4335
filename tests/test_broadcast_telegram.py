"""A broadcast over HTTP to the fake Telegram Bot API with the real aiogram client.

The Telegram adapter is being written in parallel (issue 3); until it lands, this test
sends through a minimal messenger built on the real aiogram `Bot`, so the outbox, the
403 "blocked" mapping to unreachable and the coordinator's report are checked against
the Bot API wire format rather than an in-process fake.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter

from bot.messages import DeliveryError, Reply
from tests.cohort import seed_intern
from tests.conftest import ConsoleChat
from tests.fakes.telegram_server import FakeTelegramServer


class AiogramMessenger:
    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        try:
            message = await self.bot.send_message(int(chat_ref), reply.text)
        except TelegramForbiddenError as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        except TelegramRetryAfter as exc:
            raise DeliveryError(str(exc), retry_after=exc.retry_after) from exc
        return str(message.message_id)


async def test_broadcast_over_the_fake_telegram_server(chat: ConsoleChat) -> None:
    app = chat.app
    for ref, name in (("1001", "Анна"), ("1002", "Борис"), ("1003", "Вера")):
        await seed_intern(app, ref, name=name, platform="telegram")
    await seed_intern(app, "ivan", name="Иван")  # on the console: not in this audience
    async with FakeTelegramServer() as server:
        server.block_user(1003)
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
        bot = Bot("123456:TEST", session=session)
        try:
            app.s.delivery.register(AiogramMessenger(bot))
            await chat.say("/broadcast", "alice")
            menu = (await chat.say("{{ name }}, встреча: {{ event_link }}", "alice"))[-1]
            bc = int(menu.buttons[0][0].payload.split("|")[1])
            await chat.press(f"bc|{bc}|a|platform:telegram")
            assert "Получателей: 3" in chat.last("alice").text
            await chat.press(f"bc|{bc}|now")
            await app.s.delivery.run_once()
            assert server.texts_to(1001) == ["Анна, встреча: https://zoom.example.org/j/1000000001"]
            assert server.texts_to(1002)[0].startswith("Борис, встреча: ")
            assert server.texts_to(1003) == []
            assert chat.all("ivan") == []
            assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
            await app.s.delivery.run_once()
            report = chat.last("alice").text
            assert "доставлено: 2" in report and "недоступны (заблокировали бота): 1" in report
        finally:
            await session.close()

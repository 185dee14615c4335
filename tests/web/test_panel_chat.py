"""Getting into the panel from the chat: /panel's Mini App button and the Telegram menu
button (https only), /web's one-time link, plain links on other messengers, no staff
role no link. The real aiogram client against the fake Bot API."""

from __future__ import annotations

import json
from typing import Any

from bot.clock import FakeClock
from bot.settings import Settings
from tests.conftest import ConsoleChat
from tests.e2e.telegram import COORDINATOR, telegram_chat

PUBLIC = "https://panel.example.org"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def test_staff_get_a_mini_app_button_and_menu_button_in_telegram(settings: Settings,
                                                                       clock: FakeClock) -> None:
    settings = settings.model_copy(update={"web_public_url": PUBLIC})
    async with telegram_chat(settings, clock) as chat:
        await chat.fake.wait_for(lambda: chat.fake.calls("setChatMenuButton"))
        call = chat.fake.calls("setChatMenuButton")[0]["params"]
        assert str(call["chat_id"]) == str(COORDINATOR)
        button = _json(call["menu_button"])
        assert button["type"] == "web_app" and button["web_app"]["url"] == f"{PUBLIC}/signin"
        assert button["text"] == "Панель"

        await chat.say(COORDINATOR, "/panel")
        rows = chat.fake.buttons(COORDINATOR)
        assert rows[0][0]["web_app"] == {"url": f"{PUBLIC}/signin"}

        texts = await chat.say(COORDINATOR, "/web")
        assert any(f"{PUBLIC}/login/" in t for t in texts)
        assert chat.fake.buttons(COORDINATOR)[0][0]["url"].startswith(f"{PUBLIC}/login/")

        answer = await chat.say(3999, "/web")  # no staff role
        assert not any("/login/" in t for t in answer)


async def test_elsewhere_panel_is_a_plain_one_time_link(chat: ConsoleChat) -> None:
    chat.app.s.settings = chat.app.s.settings.model_copy(update={"web_public_url": PUBLIC})
    replies = await chat.say("/panel", "alice")
    url = replies[-1].buttons[0][0].url
    assert url and url.startswith(f"{PUBLIC}/login/") and not replies[-1].buttons[0][0].web_app


async def test_without_a_public_address_the_commands_say_so(chat: ConsoleChat) -> None:
    replies = await chat.say("/web", "alice")
    assert "WEB_PUBLIC_URL" in replies[-1].text

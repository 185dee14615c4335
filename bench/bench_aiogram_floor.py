"""The floor: a bare aiogram Dispatcher that only echoes, fed the same updates as the engine.

Real aiogram objects end to end: each update is parsed from the JSON shape getUpdates
returns (`Update.model_validate`), fed with `dp.feed_update`, and the handler's
`sendMessage` is serialised by aiogram and its canned response parsed back, by a
`BaseSession` that never opens a socket. What is left out is only the network, so
the ratio engine / floor is what our core costs on top of aiogram's own handling.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Message, Update

from bench.bench_engine import INTERNS, SCRIPT
from bench.common import percentile

NAME = "aiogram floor"
TOKEN = "42:bench-token-not-real"


class CannedSession(BaseSession):
    """Answers every Bot API call with a canned success, as the real server would shape it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls += 1
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():  # as AiohttpSession does
            prepared = self.prepare_value(value, bot=bot, files={})
            if prepared:
                params[key] = prepared
        result = {
            "message_id": self.calls, "date": int(time.time()),
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
            "text": params.get("text", ""),
        }
        content = json.dumps({"ok": True, "result": result})
        response = self.check_response(bot=bot, method=method, status_code=200, content=content)
        return response.result

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("no files in the floor benchmark")


def echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def echo_button(query: CallbackQuery, bot: Bot) -> None:
        await bot.send_message(query.from_user.id, query.data or "")

    return dp


def raw_update(update_id: int, user: int, step: tuple[str, str]) -> dict[str, Any]:
    who = {"id": user, "is_bot": False, "first_name": "Мария", "language_code": "ru"}
    action, value = step
    if action == "say":
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id, "date": 1_780_000_000, "from": who,
                "chat": {"id": user, "type": "private"}, "text": value.format(email="m@example.ru"),
            },
        }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id), "from": who, "chat_instance": str(user),
            "data": f"f|application|3{value}",
        },
    }


async def run(interns: int = INTERNS) -> dict[str, object]:
    session = CannedSession()
    bot = Bot(TOKEN, session=session)
    dp = echo_dispatcher()
    latencies: list[float] = []

    async def intern(user: int) -> None:
        for n, step in enumerate(SCRIPT):
            raw = raw_update(user * 100 + n, user, step)
            started = time.perf_counter()
            await dp.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(intern(1000 + i) for i in range(interns)))
    elapsed = time.perf_counter() - started
    await bot.session.close()
    if session.calls != len(latencies):
        raise AssertionError(f"{len(latencies)} updates but {session.calls} replies")
    ms = [x * 1000 for x in latencies]
    return {
        "aiogram_floor_updates_per_s": round(len(ms) / elapsed, 1),
        "aiogram_floor_updates": len(ms),
        "aiogram_floor_saturated_p50_ms": round(percentile(ms, 50), 2),
        "aiogram_floor_saturated_p99_ms": round(percentile(ms, 99), 2),
    }

"""The fake Bot API itself: the e2e tests are only as good as its wire format and rules."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes._base import ensure_loopback_url
from tests.fakes.telegram_server import FakeTelegramServer

TOKEN = "42:SECRET"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(rate_limit_per_s=3) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, fake: FakeTelegramServer, method: str, **params: Any) -> Any:
    body = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    async with http.post(f"{fake.base_url}/bot{TOKEN}/{method}", data=body) as resp:
        data = await resp.json()
        assert (resp.status == 200) == data["ok"]
        return data


async def test_long_poll_wakes_on_a_new_update_and_offset_confirms(
    fake: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    poll = asyncio.create_task(call(http, fake, "getUpdates", timeout=10))
    await fake.wait_for(lambda: fake.polls_started == 1)
    update_id = fake.send_text(7, "/start")
    got = await asyncio.wait_for(poll, 2)
    [update] = got["result"]
    assert update["update_id"] == update_id and update["message"]["text"] == "/start"
    assert update["message"]["entities"][0]["type"] == "bot_command"
    assert len(fake.pending_updates()) == 1  # not confirmed yet
    again = await call(http, fake, "getUpdates", offset=update_id + 1, timeout=0)
    assert again["result"] == [] and fake.pending_updates() == []


async def test_validation_rules_of_the_real_api(
    fake: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    long_data = {"inline_keyboard": [[{"text": "x", "callback_data": "p" * 65}]]}
    bad = await call(http, fake, "sendMessage", chat_id=7, text="hi", reply_markup=long_data)
    assert bad["error_code"] == 400 and "BUTTON_DATA_INVALID" in bad["description"]
    html = await call(http, fake, "sendMessage", chat_id=7, text="<b>bold", parse_mode="HTML")
    assert "can't parse entities" in html["description"]
    empty = await call(http, fake, "sendMessage", chat_id=7, text="  ")
    assert "text is empty" in empty["description"]
    too_long = await call(http, fake, "sendMessage", chat_id=7, text="я" * 4097)
    assert "too long" in too_long["description"]
    stale = await call(http, fake, "answerCallbackQuery", callback_query_id="nope")
    assert "query is too old" in stale["description"]
    ok = await call(http, fake, "sendMessage", chat_id=7, text="<b>hi</b> &amp;", parse_mode="HTML")
    assert ok["result"]["text"] == "hi &" and fake.texts_to(7) == ["<b>hi</b> &amp;"]


async def test_injected_faults_rate_limit_and_blocking(
    fake: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=5, skip=1)
    assert (await call(http, fake, "sendMessage", chat_id=7, text="1"))["ok"]
    flood = await call(http, fake, "sendMessage", chat_id=7, text="2")
    assert flood["error_code"] == 429 and flood["parameters"] == {"retry_after": 5}
    fake.fail_next("getMe", status=502, body="<html>bad gateway</html>")
    async with http.get(f"{fake.base_url}/bot{TOKEN}/getMe") as resp:
        assert resp.status == 502 and "bad gateway" in await resp.text()
    for text in ("3", "4"):  # 3 per second allowed, "1" already counted
        assert (await call(http, fake, "sendMessage", chat_id=8, text=text))["ok"]
    limited = await call(http, fake, "sendMessage", chat_id=9, text="5")
    assert limited["error_code"] == 429 and limited["parameters"]["retry_after"] >= 1
    assert fake.count_429 == 2
    fake.block_user(10)
    blocked = await call(http, fake, "sendMessage", chat_id=10, text="hi")
    assert blocked["error_code"] == 403 and "blocked" in blocked["description"]


async def test_webhook_delivery_carries_the_secret_header(fake: FakeTelegramServer) -> None:
    received: list[tuple[str | None, int]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         (await request.json())["update_id"]))
        return web.json_response({"method": "sendMessage", "chat_id": 7, "text": "pong"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            await call(http, fake, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3")
            conflict = await call(http, fake, "getUpdates")
            assert conflict["error_code"] == 409
        update_id = fake.send_text(7, "ping")
        await fake.wait_for(lambda: fake.texts_to(7) == ["pong"])
        assert received == [("s3", update_id)]
        assert fake.pending_updates() == []
    finally:
        await runner.cleanup()


def test_fakes_refuse_non_loopback_urls() -> None:
    ensure_loopback_url("http://127.0.0.1:8080/x")
    ensure_loopback_url("http://localhost/x")
    with pytest.raises(ValueError):
        ensure_loopback_url("https://api.telegram.org/bot1/getMe")

"""The fake VK API itself, driven by the real vk_api client (blocking, so in a thread)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from vk_api.exceptions import ApiError

from tests.fakes.vk_server import FakeVkServer, make_vk_session, route_vk_session

TOKEN = "vk1.a.fake"


@pytest.fixture
async def fake() -> AsyncIterator[FakeVkServer]:
    async with FakeVkServer(group_id=5, token=TOKEN) as server:
        yield server


async def api(fake: FakeVkServer, method: str, token: str = TOKEN, **params: Any) -> Any:
    session = make_vk_session(token, fake.base_url)
    session.error_handlers.pop(6, None)
    return await asyncio.to_thread(session.method, method, params)


async def api_error(fake: FakeVkServer, method: str, **params: Any) -> int:
    with pytest.raises(ApiError) as caught:
        await api(fake, method, **params)
    return int(caught.value.code)


async def test_send_rules_of_the_real_api(fake: FakeVkServer) -> None:
    assert await api_error(fake, "messages.send", peer_id=1, message="hi") == 100  # no random_id
    assert await api_error(fake, "messages.send", peer_id=1, random_id=1, message="я" * 4097) == 914
    six = {"inline": True, "buttons": [[{"action": {"type": "callback", "label": str(i)}} for i in range(6)]]}
    assert await api_error(fake, "messages.send", peer_id=1, random_id=2, message="x",
                           keyboard=json.dumps(six)) == 911
    with pytest.raises(ApiError) as wrong_token:
        await api(fake, "messages.send", token="other", peer_id=1, random_id=3, message="x")
    assert wrong_token.value.code == 5
    first = await api(fake, "messages.send", peer_id=1, random_id=4, message="hi")
    again = await api(fake, "messages.send", peer_id=1, random_id=4, message="hi")
    assert first == again and len(fake.delivered) == 1 and len(fake.duplicates) == 1


async def test_rate_limit_answers_error_6() -> None:
    async with FakeVkServer(group_id=5, token=TOKEN, rate_limit_per_s=3) as fake:
        codes = []
        for i in range(4):  # vk_api's RPS_DELAY is 0 here: four calls well inside a second
            try:
                await api(fake, "messages.send", peer_id=1, random_id=i + 1, message="x")
                codes.append(0)
            except ApiError as exc:
                codes.append(exc.code)
        assert codes == [0, 0, 0, 6] and fake.count_rate_errors == 1


async def test_long_poll_server_and_events(fake: FakeVkServer) -> None:
    server = await api(fake, "groups.getLongPollServer", group_id=5)
    assert server["server"].startswith("http://127.0.0.1:")
    http = requests.Session()
    route_vk_session(http)

    def check(ts: str, key: str | None = None) -> dict[str, Any]:
        params = {"act": "a_check", "key": key or server["key"], "ts": ts, "wait": 0}
        return http.get(server["server"], params=params, timeout=5).json()

    assert (await asyncio.to_thread(check, server["ts"]))["updates"] == []
    event = fake.send_text(9, "привет")
    answer = await asyncio.to_thread(check, server["ts"])
    assert [e["event_id"] for e in answer["updates"]] == [event["event_id"]]
    assert answer["updates"][0]["object"]["message"]["text"] == "привет"
    assert (await asyncio.to_thread(check, answer["ts"]))["updates"] == []
    assert (await asyncio.to_thread(check, answer["ts"], "stale"))["failed"] == 2
    fake.fail_longpoll(3)
    assert (await asyncio.to_thread(check, answer["ts"]))["failed"] == 3


def test_routing_never_leaves_loopback() -> None:
    http = requests.Session()
    route_vk_session(http)
    with pytest.raises(requests.ConnectionError, match="non-loopback"):
        http.get("https://example.org/", timeout=1)

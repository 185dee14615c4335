"""/link: one person across Telegram, VK and MAX, over the fakes in one app."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from storage import applications, linking, persons
from storage.db import fetchone
from tests.conftest import APPLICATION
from tests.e2e import max as mxe
from tests.e2e import telegram as tge
from tests.e2e import vk as vke
from tests.e2e.max import MaxChat
from tests.e2e.telegram import TelegramChat
from tests.e2e.vk import MemoryTs, VkChat
from tests.fakes.max_server import FakeMaxServer
from tests.fakes.telegram_server import FakeTelegramServer
from tests.fakes.vk_server import FakeVkServer

TG_USER, VK_USER, MAX_USER = 2002, 3003, 4004


@asynccontextmanager
async def both(settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[TelegramChat, VkChat]]:
    from messengers.telegram import TelegramAdapter

    async with FakeTelegramServer() as tgf, FakeVkServer(group_id=vke.GROUP_ID, token=vke.TOKEN) as vkf:
        config = tge.telegram_settings(settings, tgf)
        config = vke.vk_settings(config, vkf).model_copy(update={
            "coordinators": [("telegram", str(tge.COORDINATOR))], "telegram_bot_username": "intern_bot",
        })
        app = await App(config, clock=clock).start(background=False)
        tg = TelegramAdapter(app.core, token=tge.TOKEN, api_url=tgf.base_url, poll_timeout=5)
        ts = MemoryTs(vkf)
        vk = vke.make_adapter(app.core, vkf, ts)
        app.s.delivery.register(tg)
        app.s.delivery.register(vk)
        tasks = [asyncio.create_task(tg.run()), asyncio.create_task(vk.run())]
        await vkf.wait_for(lambda: vkf.lp_requests > 0)
        try:
            yield TelegramChat(tgf, app, tg), VkChat(vkf, app, vk, ts)
        finally:
            await tg.stop()
            await vk.stop()
            await asyncio.gather(*tasks)
            await app.stop()
            await tg.close()


def code_in(texts: list[str]) -> str:
    match = re.search(r"/link ([A-Z2-9]{8})", "\n".join(texts))
    assert match, texts
    return match.group(1)


async def apply_in_telegram(tg: TelegramChat) -> None:
    await tg.say(TG_USER, "/start")
    for answer in APPLICATION:
        await tg.say(TG_USER, answer)
    await tg.press(TG_USER, "Москва (МСК)")
    for _ in range(2):  # consent, submit
        await tg.press(TG_USER, tg.labels(TG_USER)[0])
    await tg.press(tge.COORDINATOR, "✅ Одобрить")


async def test_linking_vk_to_telegram_keeps_progress_and_roles(settings: Settings, clock: FakeClock) -> None:
    async with both(settings, clock) as (tg, vk):
        await apply_in_telegram(tg)
        started = await vk.say(VK_USER, "/start")  # a fresh VK person, now in the application form
        assert "Вопрос 1 из 7" in started[-1]
        code_msg = await tg.say(TG_USER, "/link")
        code = code_in(code_msg)
        assert "10 минут" in code_msg[0]
        done = await vk.say(VK_USER, f"/link {code.lower()}")
        assert "связан с Telegram" in done[-1]
        assert "связан с VK" in tg.fake.texts_to(TG_USER)[-1]
        again = await vk.say(VK_USER, "/start")
        assert "одобрена" in again[0]  # the Telegram person's approved application (then "what's next")
        async with vk.app.s.db.read() as conn:
            tg_acc = await persons.find_account(conn, "telegram", str(TG_USER))
            vk_acc = await persons.find_account(conn, "vk", str(VK_USER))
            assert tg_acc is not None and vk_acc is not None and tg_acc.person_id == vk_acc.person_id
            assert "intern" in await persons.roles_of(conn, vk_acc.person_id)
            app = await applications.get(conn, 1)
            assert app is not None and app.person_id == vk_acc.person_id
            ghosts = await fetchone(conn, "SELECT COUNT(*) AS n FROM persons WHERE deleted_at IS NOT NULL")
            assert ghosts is not None and ghosts["n"] == 1
        # A used code never works twice.
        reused = await vk.say(VK_USER, f"/link {code}")
        assert "не подошёл" in reused[-1]


async def test_telegram_deep_link_expiry_and_same_person(settings: Settings, clock: FakeClock) -> None:
    async with both(settings, clock) as (tg, vk):
        asked = await vk.say(VK_USER, "/link")
        code = code_in(asked)
        assert f"https://t.me/intern_bot?start=link-{code}" in asked[-1]
        clock.advance(timedelta(minutes=11))
        expired = await tg.say(TG_USER, f"/start link-{code}")
        assert "устарел" in expired[-1]
        assert "не подошёл" in (await tg.say(TG_USER, "/link NOPE2345"))[-1]
        code = code_in(await vk.say(VK_USER, "/link"))
        linked = await tg.say(TG_USER, f"/start link-{code}")
        assert "связан с VK" in linked[-1]
        own = code_in(await tg.say(TG_USER, "/link"))
        assert "уже связаны" in (await vk.say(VK_USER, f"/link {own}"))[-1]


async def test_merge_moves_rows_of_tables_it_does_not_know(settings: Settings, clock: FakeClock) -> None:
    app = await App(settings, clock=clock).start(background=False)
    try:
        async with app.s.db.transaction() as conn:
            await conn.execute("CREATE TABLE notes (person_id INTEGER NOT NULL, body TEXT)")
            now = clock.now()
            a, _ = await persons.ensure_account(conn, now, platform="telegram", user_ref="1", chat_ref="1",
                                                display_name=None, language_code=None, locale="ru")
            b, _ = await persons.ensure_account(conn, now, platform="vk", user_ref="2", chat_ref="2",
                                                display_name=None, language_code=None, locale="ru")
            await conn.execute("UPDATE persons SET email = 'x@example.org' WHERE id = ?", (b.person_id,))
            for body in ("one", "two"):
                await conn.execute("INSERT INTO notes VALUES (?, ?)", (b.person_id, body))
            keep, drop = await linking.merge(conn, a.person_id, b.person_id, now)
            assert (keep, drop) == (b.person_id, a.person_id)  # more history wins
            moved = await fetchone(conn, "SELECT COUNT(*) AS n FROM notes WHERE person_id = ?", (keep,))
            assert moved is not None and moved["n"] == 2
            accounts = await persons.accounts_of(conn, keep)
            assert {acc.platform for acc in accounts} == {"telegram", "vk"}
            assert (await persons.get_person(conn, keep)).email == "x@example.org"
    finally:
        await app.stop()


@asynccontextmanager
async def telegram_and_max(
    settings: Settings, clock: FakeClock
) -> AsyncIterator[tuple[TelegramChat, MaxChat]]:
    from messengers.telegram import TelegramAdapter

    async with FakeTelegramServer() as tgf, FakeMaxServer(token=mxe.TOKEN) as mxf:
        config = mxe.max_settings(tge.telegram_settings(settings, tgf), mxf).model_copy(update={
            "coordinators": [("telegram", str(tge.COORDINATOR))],
        })
        app = await App(config, clock=clock).start(background=False)
        tg = TelegramAdapter(app.core, token=tge.TOKEN, api_url=tgf.base_url, poll_timeout=5)
        mx = mxe.make_adapter(app, mxf)
        app.s.delivery.register(tg)
        app.s.delivery.register(mx)
        tasks = [asyncio.create_task(tg.run()), asyncio.create_task(mx.run())]
        await mxf.wait_for(lambda: mxf.polls > 0)
        try:
            yield TelegramChat(tgf, app, tg), MaxChat(mxf, app, mx)
        finally:
            await tg.stop()
            await mx.stop()
            await asyncio.gather(*tasks)
            await app.stop()
            await tg.close()
            await mx.close()


async def test_linking_max_to_telegram_by_a_start_link_and_by_the_command(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_and_max(settings, clock) as (tg, mx):
        await apply_in_telegram(tg)
        started = await mx.start(MAX_USER)  # a fresh MAX person, now in the application form
        assert "Вопрос 1 из 7" in started[-1]
        code = code_in(await tg.say(TG_USER, "/link"))
        done = await mx.start(MAX_USER, f"link-{code}")  # max.ru/<bot>?start=link-CODE
        assert "связан с Telegram" in done[-1]
        assert "связан с MAX" in tg.fake.texts_to(TG_USER)[-1]
        again = await mx.say(MAX_USER, "/start")
        assert "одобрена" in again[0]
        async with mx.app.s.db.read() as conn:
            tg_acc = await persons.find_account(conn, "telegram", str(TG_USER))
            mx_acc = await persons.find_account(conn, "max", str(MAX_USER))
            assert tg_acc is not None and mx_acc is not None and tg_acc.person_id == mx_acc.person_id
            assert "intern" in await persons.roles_of(conn, mx_acc.person_id)
        # and the other way round, typed: a second MAX person links to a new Telegram one
        code = code_in(await mx.say(MAX_USER + 1, "/link"))
        assert "связан с MAX" in (await tg.say(TG_USER + 1, f"/link {code}"))[-1]

"""Broadcasts end to end over HTTP: the coordinator works in Telegram (or VK) through the
real adapters and the fake servers; recipients on that messenger get their own texts, a
blocked one shows as unreachable in the report."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.settings import Settings
from storage import teams
from tests.cohort import seed_intern
from tests.e2e.telegram import COORDINATOR as TG_COORDINATOR
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import COORDINATOR as VK_COORDINATOR
from tests.e2e.vk import vk_chat

BODY = "{{ name }} ({{ team }}), встреча: {{ event_link }}"


async def test_broadcast_to_a_team_over_telegram(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        app = tg.app
        ids = {ref: await seed_intern(app, ref, name=name, platform="telegram")
               for ref, name in (("3001", "Анна"), ("3002", "Борис"), ("3003", "Вера"), ("3004", "Глеб"))}
        async with app.s.db.transaction() as conn:
            team = await teams.create(conn, "Команда A", clock.now())
            for ref in ("3001", "3002", "3003"):
                await teams.put_member(conn, team, ids[ref], clock.now())
        tg.fake.block_user(3003)

        assert "текст рассылки" in (await tg.say(TG_COORDINATOR, "/broadcast"))[-1]
        assert "Кому отправить" in (await tg.say(TG_COORDINATOR, BODY))[-1]
        await tg.press(TG_COORDINATOR, "👥 Команде…")
        preview = (await tg.press(TG_COORDINATOR, "Команда A"))[-1]
        assert "Получателей: 3" in preview and "Анна (Команда A), встреча: https://zoom" in preview
        queued = await tg.press(TG_COORDINATOR, "📤 Отправить сейчас (3)")
        assert "3 сообщений" in queued[-1]
        await app.s.delivery.run_once()
        assert tg.fake.texts_to(3001) == ["Анна (Команда A), встреча: https://zoom.example.org/j/1000000001"]
        assert tg.fake.texts_to(3002)[0].startswith("Борис (Команда A)")
        assert tg.fake.texts_to(3003) == [] and tg.fake.texts_to(3004) == []
        assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
        await app.s.delivery.run_once()
        [report] = [t for t in tg.fake.texts_to(TG_COORDINATOR) if "Отчёт о рассылке" in t]
        assert "доставлено: 2" in report and "недоступны (заблокировали бота): 1" in report


async def test_broadcast_to_those_who_missed_a_stage_over_vk(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        app = vk.app
        for ref, name in (("4001", "Дина"), ("4002", "Егор")):
            await seed_intern(app, ref, name=name, platform="vk")
        vk.fake.block_user(4002)
        await vk.say(VK_COORDINATOR, "/broadcast")
        await vk.say(VK_COORDINATOR, "{{ name }}, ждём видеоролик до {{ next_deadline }}")
        await vk.press(VK_COORDINATOR, "⏳ Кто не сдал…")
        preview = (await vk.press(VK_COORDINATOR, "Видеоролик мероприятия"))[-1]
        assert "Получателей: 2" in preview
        await vk.press(VK_COORDINATOR, "📤 Отправить сейчас (2)")
        await app.s.delivery.run_once()
        (text,) = vk.fake.texts_to(4001)
        assert text.startswith("Дина, ждём видеоролик до ")
        assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
        await app.s.delivery.run_once()
        [report] = [t for t in vk.fake.texts_to(VK_COORDINATOR) if "Отчёт о рассылке" in t]
        assert "доставлено: 1" in report and "недоступны (заблокировали бота): 1" in report


async def test_progress_chart_and_export_arrive_as_files_in_telegram(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock) as tg:
        await seed_intern(tg.app, "3001", name="Анна", platform="telegram")
        await tg.say(TG_COORDINATOR, "/progress")
        await tg.say(TG_COORDINATOR, "/export")
        methods = [c["method"] for c in tg.fake.sends_to(TG_COORDINATOR)]
        assert methods[-3:] == ["sendMessage", "sendPhoto", "sendDocument"]
        assert "Прогресс: все интерны — 1 чел." in tg.fake.texts_to(TG_COORDINATOR)[-3]

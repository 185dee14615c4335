"""Broadcasts end to end over HTTP: the coordinator works in Telegram (or VK) through the
real adapters and the fake servers; recipients on that messenger get their own texts, a
blocked one shows as unreachable in the report."""

from __future__ import annotations

import pytest

from bot import delivery
from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from storage import persons, stages, teams
from tests.cohort import seed_intern
from tests.e2e.max import COORDINATOR as MAX_COORDINATOR
from tests.e2e.max import max_chat
from tests.e2e.telegram import COORDINATOR as TG_COORDINATOR
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import COORDINATOR as VK_COORDINATOR
from tests.e2e.vk import TOKEN as VK_TOKEN
from tests.e2e.vk import MemoryTs, make_adapter, vk_chat
from tests.fakes.vk_server import FakeVkServer

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
        assert "получат 3 человека" in preview and "Анна (Команда A), встреча: https://zoom" in preview
        queued = await tg.press(TG_COORDINATOR, "📤 Отправить сейчас (3)")
        assert "3 сообщения" in queued[-1]
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
        assert "получат 2 человека" in preview
        await vk.press(VK_COORDINATOR, "📤 Отправить сейчас (2)")
        await app.s.delivery.run_once()
        (text,) = vk.fake.texts_to(4001)
        assert text.startswith("Дина, ждём видеоролик до ")
        assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
        await app.s.delivery.run_once()
        [report] = [t for t in vk.fake.texts_to(VK_COORDINATOR) if "Отчёт о рассылке" in t]
        assert "доставлено: 1" in report and "недоступны (заблокировали бота): 1" in report


async def test_broadcast_by_platform_over_max_with_the_report_and_the_export_as_a_file(
    settings: Settings, clock: FakeClock
) -> None:
    """The coordinator works in MAX: a broadcast to everyone on MAX, the delivery report,
    and the export workbook uploaded to MAX, then attached, under its own name."""
    async with max_chat(settings, clock) as mx:
        app = mx.app
        for ref, name in (("5001", "Жанна"), ("5002", "Захар")):
            await seed_intern(app, ref, name=name, platform="max")
        mx.fake.block_user(5002)
        await mx.start(MAX_COORDINATOR)
        await mx.say(MAX_COORDINATOR, "/broadcast")
        await mx.say(MAX_COORDINATOR, "{{ name }}, завтра итоговая встреча")
        await mx.press(MAX_COORDINATOR, "📱 Мессенджер…")
        preview = (await mx.press(MAX_COORDINATOR, "MAX"))[-1]
        assert "получат 2 человека" in preview
        await mx.press(MAX_COORDINATOR, "📤 Отправить сейчас (2)")
        await app.s.delivery.run_once()
        assert mx.fake.texts_to(5001) == ["Жанна, завтра итоговая встреча"]
        assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
        await app.s.delivery.run_once()
        [report] = [t for t in mx.fake.texts_to(MAX_COORDINATOR) if "Отчёт о рассылке" in t]
        assert "доставлено: 1" in report and "недоступны (заблокировали бота): 1" in report

        await mx.say(MAX_COORDINATOR, "/export")
        while await app.s.delivery.run_once():
            pass
        upload = mx.fake.uploads[-1]
        assert upload["name"].startswith("internship-") and upload["name"].endswith(".xlsx")
        assert upload["bytes"][:2] == b"PK"  # a real workbook, named as such (not .docx)
        files = [a for a in mx.fake.attachments_to(MAX_COORDINATOR) if a["type"] == "file"]
        assert files and files[-1]["payload"]["token"] == upload["token"]


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


BLOCKED_TG, FAILING_TG, BLOCKED_VK = 3003, 3004, 4002


async def _tutor_on_telegram(app: App, ref: str, name: str) -> int:
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, now, platform="telegram", user_ref=ref, chat_ref=ref, display_name=name,
            language_code="ru", locale="ru")
        await persons.update_person(conn, account.person_id, full_name=name)
        await persons.grant_role(conn, account.person_id, "tutor", now)
    return account.person_id


@pytest.mark.parametrize(
    ("buttons", "expected"),
    [
        (["👥 Всем интернам"], {3001, 3002, 3003, 3004, 4001, 4002}),
        (["🧑‍🏫 Тьюторам"], {3100}),
        (["📍 Кто на этапе…", "Домашнее задание команды"], {3001, 3003}),
        (["👥 Команде…", "Команда A"], {3001, 3002}),
        (["⏳ Кто не сдал…", "Видеоролик мероприятия"], {3003, 3004, 4002}),
        (["📝 Кто не ответил на анкету"], {3002, 3003, 3004, 4002}),
        (["📱 Мессенджер…", "ВКонтакте"], {4001, 4002}),
    ],
    ids=["everyone", "tutors", "stage", "team", "not-submitted", "no-survey", "one-messenger"],
)
async def test_each_audience_over_both_fake_servers_with_the_delivery_report(
    settings: Settings, clock: FakeClock, buttons: list[str], expected: set[int]
) -> None:
    """The coordinator composes in Telegram; interns are on Telegram and VK at once. Each
    recipient gets their own text once; the report counts delivered, failed (a chat the
    server keeps refusing with 500, until the outbox gives up) and unreachable (blocked)."""
    async with telegram_chat(settings, clock) as tg, FakeVkServer(group_id=77, token=VK_TOKEN) as vk:
        app = tg.app
        vk_adapter = make_adapter(app.core, vk, MemoryTs(vk))
        app.s.delivery.register(vk_adapter)
        try:
            people = {3001: "Анна", 3002: "Борис", 3003: "Вера", 3004: "Глеб"}
            ids = {ref: await seed_intern(app, str(ref), name=n, platform="telegram")
                   for ref, n in people.items()}
            for ref, n in {4001: "Дина", 4002: "Егор"}.items():
                ids[ref] = await seed_intern(app, str(ref), name=n, platform="vk")
            ids[3100] = await _tutor_on_telegram(app, "3100", "Тимур")
            now = clock.now()
            async with app.s.db.transaction() as conn:
                team = await teams.create(conn, "Команда A", now, ids[3100])
                for ref in (3001, 3002):
                    await teams.put_member(conn, team, ids[ref], now)
                for ref in (3001, 3003):
                    await stages.set_status(conn, ids[ref], "homework", "open", now)
                for ref in (3001, 3002, 4001):
                    await stages.set_status(conn, ids[ref], "video", "submitted", now)
                for ref in (3001, 4001):
                    await stages.set_status(conn, ids[ref], "reflection", "submitted", now)
            tg.fake.block_user(BLOCKED_TG)
            tg.fake.fail_chat(FAILING_TG, 500)
            vk.block_user(BLOCKED_VK)

            await tg.say(TG_COORDINATOR, "/broadcast")
            await tg.say(TG_COORDINATOR, "{{ name }}, {{ team }}")
            for label in buttons:
                preview = (await tg.press(TG_COORDINATOR, label))[-1]
            assert f" {len(expected)} человек" in preview and "Сообщение получ" in preview
            queued = await tg.press(TG_COORDINATOR, f"📤 Отправить сейчас ({len(expected)})")
            assert f"отправляется: {len(expected)} сообщени" in queued[-1]
            for _ in range(delivery.MAX_ATTEMPTS):  # the failing chat is retried until given up
                await app.s.delivery.run_once()
                clock.advance(seconds=delivery.MAX_BACKOFF_S)

            def tries(chat: int) -> int:
                return len([c for c in tg.fake.sent if c["params"].get("chat_id") == chat])

            assert tries(FAILING_TG) == (delivery.MAX_ATTEMPTS if FAILING_TG in expected else 0)
            assert tries(BLOCKED_TG) == (1 if BLOCKED_TG in expected else 0)  # never retried
            names = {**people, 4001: "Дина", 4002: "Егор", 3100: "Тимур"}
            reached = expected - {BLOCKED_TG, FAILING_TG, BLOCKED_VK}
            for ref in names:
                got = (vk.texts_to(ref) if ref > 4000 else tg.fake.texts_to(ref))
                got = [t for t in got if t.startswith(names[ref] + ", ")]
                team_name = "Команда A" if ref in (3001, 3002) else "—"
                assert got == ([f"{names[ref]}, {team_name}"] if ref in reached else []), ref
            assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
            await app.s.delivery.run_once()
            [report] = [t for t in tg.fake.texts_to(TG_COORDINATOR) if "Отчёт о рассылке" in t]
            assert f"({len(expected)} получател" in report
            assert f"доставлено: {len(reached)}" in report
            assert f"не удалось отправить: {len(expected & {FAILING_TG})}" in report
            unreachable = len(expected & {BLOCKED_TG, BLOCKED_VK})
            assert f"недоступны (заблокировали бота): {unreachable}" in report
            assert (await app.s.scheduler.tick())["broadcast_reports"] == 0
        finally:
            await vk_adapter.close()

"""The coordinator's screens over the real clients and the fake Telegram, VK and MAX servers:
Cancel on the confirmations, the broadcast preview's warnings, a template mistake in
plain words, /schedule in one line per reminder, and a new tutor given a team in a tap."""

from __future__ import annotations

import re

from bot.clock import FakeClock
from bot.settings import Settings
from storage import broadcasts, openings, outbox, persons, teams
from tests.cohort import seed_intern
from tests.e2e.max import COORDINATOR as MAX_COORDINATOR
from tests.e2e.max import max_chat
from tests.e2e.telegram import COORDINATOR as TG_COORDINATOR
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import COORDINATOR as VK_COORDINATOR
from tests.e2e.vk import vk_chat


async def test_telegram_preview_warns_then_cancel_sends_nothing(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        app = tg.app
        ids = {ref: await seed_intern(app, ref, name=name, platform="telegram")
               for ref, name in (("3001", "Анна"), ("3002", "Борис"), ("3003", "Вера"))}
        async with app.s.db.transaction() as conn:
            team = await teams.create(conn, "Команда A", clock.now())
            await teams.put_member(conn, team, ids["3001"], clock.now())
        await tg.say(TG_COORDINATOR, "/pause")
        await tg.say(TG_COORDINATOR, "/broadcast")
        await tg.say(TG_COORDINATOR, "{{ name }}, ваша команда: {{ team }}")
        preview = (await tg.press(TG_COORDINATOR, "👥 Всем интернам"))[-1]
        assert "Анна, ваша команда: Команда A" in preview
        assert "• {{ team }} — нет команды: 2" in preview and "Борис, ваша команда: —" in preview
        assert "⏸ Отправка сейчас приостановлена" in preview
        assert "Отмена" in tg.labels(TG_COORDINATOR)
        cancelled = await tg.press(TG_COORDINATOR, "Отмена")
        assert cancelled == ["Рассылка отменена — никому ничего не отправлено."]
        async with app.s.db.read() as conn:
            assert (await broadcasts.recent(conn))[0].status == "cancelled"
            assert await outbox.status_counts(conn, "bc:") == {}
        await tg.say(TG_COORDINATOR, "/resume")
        await app.s.delivery.run_once()
        assert all(tg.fake.texts_to(int(ref)) == [] for ref in ids)


async def test_telegram_openstage_cancel_and_a_new_tutor_given_a_team(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock) as tg:
        app = tg.app
        intern = await seed_intern(app, "3001", name="Анна", platform="telegram")
        async with app.s.db.transaction() as conn:
            team = await teams.create(conn, "Команда A", clock.now())
            await teams.put_member(conn, team, intern, clock.now())

        await tg.say(TG_COORDINATOR, "/openstage")
        confirm = (await tg.press(TG_COORDINATOR, "Проблематизация и погружение"))[-1]
        assert "ещё впереди" in confirm and "Отмена" in tg.labels(TG_COORDINATOR)
        [said] = await tg.press(TG_COORDINATOR, "Отмена")
        assert "не открываю — интернам ничего не отправлено" in said
        async with app.s.db.read() as conn:
            assert await openings.opened(conn) == {}

        invite = (await tg.say(TG_COORDINATOR, "/invite tutor"))[-1]
        code = re.search(r"/start (inv-[A-Z0-9]+)", invite)
        assert code is not None
        await tg.say(2001, f"/start {code.group(1)}", first_name="Тимур")
        await app.s.delivery.run_once()
        assert any("Назначьте тьютору команду" in t for t in tg.fake.texts_to(TG_COORDINATOR))
        choice = (await tg.press(TG_COORDINATOR, "👥 Назначить команду"))[-1]
        assert "Тимур" in choice
        done = (await tg.press(TG_COORDINATOR, "Команда A — не назначен"))[-1]
        assert "Тьютор команды «Команда A»: Тимур" in done
        async with app.s.db.read() as conn:
            account = await persons.find_account(conn, "telegram", "2001")
            found = await teams.get(conn, team)
        assert account is not None and found is not None and found.tutor_id == account.person_id
        await app.s.delivery.run_once()
        assert any("Вы тьютор команды «Команда A»" in t for t in tg.fake.texts_to(2001))


async def test_vk_template_mistake_in_plain_words_and_schedule_in_one_line(
    settings: Settings, clock: FakeClock
) -> None:
    async with vk_chat(settings, clock) as vk:
        app = vk.app
        for ref, zone in (("4001", "Europe/Moscow"), ("4002", "Asia/Vladivostok")):
            pid = await seed_intern(app, ref, platform="vk")
            async with app.s.db.transaction() as conn:
                await persons.update_person(conn, pid, timezone=zone)
        await vk.say(VK_COORDINATOR, "/broadcast")
        explained, kept = await vk.say(VK_COORDINATOR, "Добрый день, {{ tutr }}!")
        assert "Неизвестная подстановка {{ tutr }} — может быть, {{ tutor }}?" in explained
        assert "expected" not in explained and kept == "Добрый день, {{ tutr }}!"
        assert "Кому отправить" in (await vk.say(VK_COORDINATOR, "Добрый день, {{ name }}!"))[-1]
        [cancelled] = await vk.press(VK_COORDINATOR, "Отмена")
        assert "никому ничего не отправлено" in cancelled

        await app.s.scheduler.tick()
        [shown] = await vk.say(VK_COORDINATOR, "/schedule")
        assert "• за 48 ч до срока «Проблематизация и погружение»: 9 дек 01:00–08:00, 2 человека" in shown
        lines = [int(n) for n in re.findall(r", (\d+) человека?$", shown, re.M)]
        total = re.search(r"Всего запланировано напоминаний: (\d+)\. В списке — (\d+), позже — ещё (\d+)",
                          shown)
        assert total is not None
        assert sum(lines) == int(total.group(2)) and int(total.group(2)) + int(total.group(3)) == int(
            total.group(1))


async def test_vk_move_and_forget_cancelled(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        app = vk.app
        await seed_intern(app, "4001", name="Дина", platform="vk")
        await vk.say(VK_COORDINATOR, "/move")
        asked = await vk.press(VK_COORDINATOR, "Отмена")
        assert "ничего не переносим" in asked[-1]
        confirm = (await vk.say(4001, "/forget"))[-1]
        assert "Удалить ваши данные" in confirm
        kept = await vk.press(4001, "Отмена")
        assert "ничего не удаляю" in kept[-1]
        await app.s.delivery.run_once()
        assert not [t for t in vk.fake.texts_to(VK_COORDINATOR) if "просит удалить" in t]


async def test_max_openstage_cancel(settings: Settings, clock: FakeClock) -> None:
    async with max_chat(settings, clock) as mx:
        await seed_intern(mx.app, "5001", platform="max")
        await mx.say(MAX_COORDINATOR, "/openstage")
        confirm = (await mx.press(MAX_COORDINATOR, "Видеоролик мероприятия"))[-1]
        assert "Открыть этап" in confirm
        said = await mx.press(MAX_COORDINATOR, "Отмена")
        assert "не открываю" in said[-1]
        async with mx.app.s.db.read() as conn:
            assert await openings.opened(conn) == {}

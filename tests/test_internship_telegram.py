"""The cohort over Telegram: real aiogram against the fake Bot API, on the fake clock.

Four interns in two teams, two tutors and the coordinator, through every stage: the
problematisation answers, both teams' homework, the presentation rules, a video, the
survey and the final confirmation, until one intern has met every criterion. Files and
videos travel by Telegram file id from the intern to the tutor; the calendar file is
uploaded.
"""

from __future__ import annotations

from typing import Any

from bot.clock import FakeClock
from bot.settings import Settings
from storage import persons, teams
from storage.completion import completion
from tests.e2e.telegram import COORDINATOR, TelegramChat, telegram_chat
from tests.internship_cohort import BEFORE_START

INTERNS = {
    2001: ("Антонова Анна Сергеевна", "A"),
    2002: ("Борисов Борис Иванович", "A"),
    2003: ("Глебов Глеб Петрович", "B"),
    2004: ("Данилова Дина Ильинична", "B"),
}
TUTORS = {"A": 3001, "B": 3002}
EVERYONE = [*INTERNS, *TUTORS.values(), COORDINATOR]


async def press_data(tg: TelegramChat, user: int, data: str) -> list[str]:
    """Press the button with this callback data on the user's newest message with buttons."""
    before = len(tg.fake.texts_to(user))
    query = tg.fake.press_button(user, data)
    update = next(u for u in tg.fake.updates if u.get("callback_query", {}).get("id") == query)
    await tg.handled(update["update_id"])
    return tg.fake.texts_to(user)[before:]


async def pushed(tg: TelegramChat, user: int, update_id: int) -> list[str]:
    before = len(tg.fake.texts_to(user))
    await tg.handled(update_id)
    return tg.fake.texts_to(user)[before:]


class Inbox:
    """What each person received since the last look."""

    def __init__(self, tg: TelegramChat) -> None:
        self.tg = tg
        self.seen = {u: len(tg.fake.messages_to(u)) for u in EVERYONE}

    def new(self) -> dict[int, list[dict[str, Any]]]:
        got = {}
        for user in EVERYONE:
            messages = self.tg.fake.messages_to(user)
            got[user] = messages[self.seen[user]:]
            self.seen[user] = len(messages)
        return got


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text", message.get("caption", "")))


async def tick(tg: TelegramChat, clock: FakeClock) -> None:
    """One scheduler tick, then deliver: a chat gets at most a message a second (Telegram's
    per-chat limit), so the clock steps a second at a time until the outbox is drained."""
    await tg.app.s.scheduler.tick()
    for _ in range(10):
        await tg.app.s.delivery.run_once()
        clock.advance(seconds=1)


async def enrol(tg: TelegramChat, clock: FakeClock) -> dict[int, int]:
    for user, (name, _) in INTERNS.items():
        await tg.say(user, "/start", first_name=name.split()[1])
        for answer in (name, f"u{user}@example.ru", "Детский сад № 7", "Воспитатель", "Пермь"):
            await tg.say(user, answer)
        await tg.press(user, "Москва (МСК)")
        await tg.press(user, tg.labels(user)[0])  # consent
        await tg.press(user, tg.labels(user)[0])  # send
    # the first card comes at once, the others wait for the digest: the list decides on all
    await tg.say(COORDINATOR, "/applications")
    await tg.press(COORDINATOR, "☑ Выбрать все на странице")
    await tg.press(COORDINATOR, "✅ Одобрить выбранные (4)")
    await tg.press(COORDINATOR, "✅ Да, одобрить (4)")
    for tutor in TUTORS.values():
        await tg.say(tutor, "/help")
    ids: dict[int, int] = {}
    async with tg.app.s.db.transaction() as conn:
        for user in [*INTERNS, *TUTORS.values()]:
            account = await persons.find_account(conn, "telegram", str(user))
            assert account is not None
            ids[user] = account.person_id
        for team, tutor in TUTORS.items():
            await persons.grant_role(conn, ids[tutor], "tutor", clock.now())
            team_id = await teams.create(conn, f"Команда {team}", clock.now(), ids[tutor])
            for user, (_, its_team) in INTERNS.items():
                if its_team == team:
                    await teams.put_member(conn, team_id, ids[user], clock.now())
    return ids


async def test_cohort_over_telegram(settings: Settings, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    async with telegram_chat(settings, clock) as tg:
        fake, programme = tg.fake, tg.app.s.programme
        ids = await enrol(tg, clock)
        approved = fake.texts_to(2001)[-2]
        assert "одобрена" in approved and "👉 Что дальше" in tg.labels(2001)
        inbox = Inbox(tg)

        # menu, events and the calendar file (uploaded bytes)
        await tg.say(2001, "/menu")
        nxt = await tg.press(2001, "👉 Что дальше")
        assert "08.12.2026, 17:00 (Москва (МСК))" in nxt[0]
        await tg.press(2001, "📅 Встречи")
        await press_data(tg, 2001, "ev|ics|problematisation")
        ics = fake.messages_to(2001)[-1]["document"]
        assert ics["upload"] and ics["filename"] == "problematisation.ics" and ics["size"] > 200
        await press_data(tg, 2001, "ev|skip|presentation")
        got = inbox.new()
        assert "не сможет" in text_of(got[TUTORS["A"]][0]) and got[TUTORS["B"]] == []

        # stages open by date: every intern gets both announcements, once
        clock.set(programme.moment("start+7d 19:00"))
        await tick(tg, clock)
        await tick(tg, clock)
        got = inbox.new()
        for user in INTERNS:
            texts = [text_of(m) for m in got[user]]
            assert len(texts) == 2 and "Проблематизация" in texts[0] and "Домашнее задание" in texts[1]
        assert got[COORDINATOR] == [] and got[TUTORS["A"]] == []

        # problematisation: one question at a time, the answers go to the team's tutor only
        await press_data(tg, 2001, "go|problematisation")
        for answer in ("Мало живого общения", "Не умею вести вебинары", "Научиться новому"):
            await tg.say(2001, answer)
        done = await tg.press(2001, "✅ Отправить")
        assert "тьютору вашей команды" in done[0]
        got = inbox.new()
        assert "Не умею вести вебинары" in text_of(got[TUTORS["A"]][0])
        assert got[TUTORS["B"]] == [] and got[COORDINATOR] == [] and got[2002] == []
        for user in (2002, 2003, 2004):  # the others answer too: nobody is overdue later
            await press_data(tg, user, "go|problematisation")
            for answer in ("Нет времени", "Мало опыта", "Освоить платформу"):
                await tg.say(user, answer)
            await tg.press(user, "✅ Отправить")
        got = inbox.new()
        assert len(got[TUTORS["A"]]) == 1 and len(got[TUTORS["B"]]) == 2

        # team homework with a document; the tutor gets the file by its Telegram file id
        await press_data(tg, 2002, "go|homework")
        await tg.say(2002, "Цели и задачи мероприятия для родителей")
        update_id = fake.send_document(2002, "plan.docx", "application/msword", 30_000)
        file_id = fake.updates[-1]["message"]["document"]["file_id"]
        assert "Добавлено: 2" in (await pushed(tg, 2002, update_id))[0]
        await tg.press(2002, "✅ Отправить тьютору (2)")
        got = inbox.new()
        tutor_a = got[TUTORS["A"]]
        assert tutor_a[0]["document"] == file_id
        assert "plan.docx" in text_of(tutor_a[-1]) and "Борисов Борис Иванович" in text_of(tutor_a[-1])
        assert "ждёт проверки" in text_of(got[2001][0]) and got[2003] == [] and got[TUTORS["B"]] == []

        # the other team's tutor may not review it; the own tutor returns it, then accepts v2
        sub = tutor_a[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split("|")[1]
        await tg.say(TUTORS["B"], "/help")
        fake.press_button(TUTORS["B"], f"rev|{sub}|ok", fake.last_bot_message(TUTORS["A"])["message_id"])
        await tg.handled(fake.updates[-1]["update_id"])
        assert "тьютор её команды" in fake.texts_to(TUTORS["B"])[-1]
        await tg.press(TUTORS["A"], "↩️ Вернуть с комментарием")
        await tg.say(TUTORS["A"], "Опишите формы работы")
        got = inbox.new()
        for user in (2001, 2002):
            assert "Опишите формы работы" in text_of(got[user][0])
        await tg.press(2001, "📤 Отправить снова")
        await tg.say(2001, "Формы: онлайн-викторина")
        await tg.press(2001, "✅ Отправить тьютору (1)")
        await tg.press(TUTORS["A"], "✅ Принять")
        got = inbox.new()
        assert all("принял" in text_of(got[u][-1]) for u in (2001, 2002))

        # team B hands in a link; its own tutor accepts it
        await press_data(tg, 2004, "go|homework")
        await tg.say(2004, "https://disk.yandex.ru/d/team-b")
        await tg.press(2004, "✅ Отправить тьютору (1)")
        got = inbox.new()
        assert "https://disk.yandex.ru/d/team-b" in text_of(got[TUTORS["B"]][-1])
        assert "ждёт проверки" in text_of(got[2003][0]) and got[TUTORS["A"]] == []
        await tg.press(TUTORS["B"], "✅ Принять")
        got = inbox.new()
        assert all("принял" in text_of(got[u][-1]) for u in (2003, 2004))

        # before meeting 2 every intern gets the presentation rules, questions and link
        clock.set(programme.moment("start+12d 10:00"))
        await tick(tg, clock)
        got = inbox.new()
        for user in INTERNS:
            rules = text_of(got[user][0])
            assert "3 минут" in rules and "Какую педагогическую проблему" in rules
            assert "https://zoom.example.org/j/1000000002" in rules
        assert got[COORDINATOR] == [] and got[TUTORS["A"]] == [] and got[TUTORS["B"]] == []

        # video: Telegram reports the duration; the tutor gets the video by file id
        clock.set(programme.moment("start+14d 19:00"))
        await tick(tg, clock)
        inbox.new()
        await press_data(tg, 2003, "go|video")
        sticker = await pushed(tg, 2003, fake.send_sticker(2003))
        assert "стикер" in sticker[0]
        update_id = fake.send_video(2003, duration=13 * 60, size=80 << 20)
        video_id = fake.updates[-1]["message"]["video"]["file_id"]
        assert "отправлена тьютору" in (await pushed(tg, 2003, update_id))[0]
        got = inbox.new()
        tutor_b = got[TUTORS["B"]]
        assert tutor_b[0]["video"] == video_id and "13 мин" in text_of(tutor_b[-1])
        await tg.press(TUTORS["B"], "✅ Принять")
        assert "принял" in text_of(inbox.new()[2003][0])

        # reflection with buttons, then the final stage's one-tap confirmation
        clock.set(programme.moment("start+27d 10:00"))
        await tick(tg, clock)
        await press_data(tg, 2003, "go|reflection")
        await tg.say(2003, "Коллеги просили повторить")
        await tg.press(2003, "5")
        await tg.press(2003, "Частично")
        await tg.say(2003, "Мало времени")
        await tg.press(2003, "4")
        await tg.say(2003, "Радость")
        await tg.press(2003, "5")
        summary = await tg.press(2003, "Возможно")
        assert "Проверьте" in summary[-1]
        await tg.press(2003, "✅ Отправить")
        clock.set(programme.moment("start+29d 19:00"))
        await tick(tg, clock)
        final = fake.messages_to(2003)[-1]
        urls = [b.get("url") for row in final["reply_markup"]["inline_keyboard"] for b in row]
        assert "https://example.org/materials/slides" in urls
        await press_data(tg, 2003, "go|final")
        done = await tg.press(2003, "✅ Всё верно")
        assert "u2003@example.ru" in done[0]
        async with tg.app.s.db.read() as conn:
            state = await completion(conn, programme, ids[2003])
        assert state.complete and state.missing == []

        for call in fake.calls():
            assert call["ok"], call

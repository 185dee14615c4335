"""The cohort over MAX: real maxapi against the fake MAX Bot API, on the fake clock.

The same walk as over Telegram (tests/test_internship_telegram.py): four interns in two
teams, two tutors and the coordinator, through every stage, until one intern has met
every criterion. Files and videos travel by MAX token from the intern to the tutor; the
calendar file is uploaded, then attached.
"""

from __future__ import annotations

from typing import Any

from bot.clock import FakeClock
from bot.settings import Settings
from storage import persons, teams
from storage.completion import completion
from tests.e2e.max import COORDINATOR, MaxChat, max_chat
from tests.internship_cohort import BEFORE_START

INTERNS = {
    2001: ("Антонова Анна Сергеевна", "A"),
    2002: ("Борисов Борис Иванович", "A"),
    2003: ("Глебов Глеб Петрович", "B"),
    2004: ("Данилова Дина Ильинична", "B"),
}
TUTORS = {"A": 3001, "B": 3002}
EVERYONE = [*INTERNS, *TUTORS.values(), COORDINATOR]


def text_of(message: dict[str, Any]) -> str:
    return str(message["body"].get("text") or "")


def files_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in message["body"].get("attachments") or [] if a["type"] != "inline_keyboard"]


class Inbox:
    """What each person received since the last look."""

    def __init__(self, mx: MaxChat) -> None:
        self.mx = mx
        self.seen = {u: len(mx.fake.messages_to(u)) for u in EVERYONE}

    def new(self) -> dict[int, list[dict[str, Any]]]:
        got = {}
        for user in EVERYONE:
            messages = self.mx.fake.messages_to(user)
            got[user] = messages[self.seen[user]:]
            self.seen[user] = len(messages)
        return got


async def tick(mx: MaxChat, clock: FakeClock) -> None:
    """One scheduler tick, then deliver everything due (MAX has no per-chat spacing)."""
    await mx.app.s.scheduler.tick()
    while await mx.app.s.delivery.run_once():
        pass


async def enrol(mx: MaxChat, clock: FakeClock) -> dict[int, int]:
    for user, (name, _) in INTERNS.items():
        await mx.start(user, name=" ".join(name.split()[1::-1]))
        for answer in (name, f"u{user}@example.ru", "Детский сад № 7", "Воспитатель", "Пермь"):
            await mx.say(user, answer)
        await mx.press(user, "Москва (МСК)")
        await mx.press(user, mx.labels(user)[0])  # consent
        await mx.press(user, mx.labels(user)[0])  # send
    # the first card comes at once, the others wait for the digest: the list decides on all
    await mx.say(COORDINATOR, "/applications")
    await mx.press(COORDINATOR, "☑ Выбрать все на странице")
    await mx.press(COORDINATOR, "✅ Одобрить выбранные (4)")
    await mx.press(COORDINATOR, "✅ Да, одобрить (4)")
    for tutor in TUTORS.values():
        await mx.start(tutor)
    ids: dict[int, int] = {}
    async with mx.app.s.db.transaction() as conn:
        for user in [*INTERNS, *TUTORS.values()]:
            account = await persons.find_account(conn, "max", str(user))
            assert account is not None
            ids[user] = account.person_id
        for team, tutor in TUTORS.items():
            await persons.grant_role(conn, ids[tutor], "tutor", clock.now())
            team_id = await teams.create(conn, f"Команда {team}", clock.now(), ids[tutor])
            for user, (_, its_team) in INTERNS.items():
                if its_team == team:
                    await teams.put_member(conn, team_id, ids[user], clock.now())
    return ids


async def test_cohort_over_max(settings: Settings, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    async with max_chat(settings, clock) as mx:
        fake, programme = mx.fake, mx.app.s.programme
        ids = await enrol(mx, clock)
        assert any("одобрена" in t for t in fake.texts_to(2001)) and "👉 Что дальше" in mx.labels(2001)
        inbox = Inbox(mx)

        # menu, events and the calendar file (our bytes uploaded, then attached by token)
        await mx.say(2001, "/menu")
        nxt = await mx.press(2001, "👉 Что дальше")
        assert "08.12.2026, 17:00 (Москва (МСК))" in nxt[0]
        await mx.press(2001, "📅 Встречи")
        await mx.press_data(2001, "ev|ics|problematisation")
        ics = files_of(fake.messages_to(2001)[-1])
        upload = fake.uploads[-1]
        assert upload["name"] == "problematisation.ics" and upload["size"] > 200
        assert ics and ics[0]["payload"]["token"] == upload["token"]
        await mx.press_data(2001, "ev|skip|presentation")
        got = inbox.new()
        assert "не сможет" in text_of(got[TUTORS["A"]][0]) and got[TUTORS["B"]] == []

        # stages open by date: every intern gets both announcements, once
        clock.set(programme.moment("start+7d 19:00"))
        await tick(mx, clock)
        await tick(mx, clock)
        got = inbox.new()
        for user in INTERNS:
            texts = [text_of(m) for m in got[user]]
            assert len(texts) == 2 and "Проблематизация" in texts[0] and "Домашнее задание" in texts[1]
        assert got[COORDINATOR] == [] and got[TUTORS["A"]] == []

        # problematisation: one question at a time, the answers go to the team's tutor only
        await mx.press_data(2001, "go|problematisation")
        for answer in ("Мало живого общения", "Не умею вести вебинары", "Научиться новому"):
            await mx.say(2001, answer)
        done = await mx.press(2001, "✅ Отправить")
        assert "тьютору вашей команды" in done[0]
        got = inbox.new()
        assert "Не умею вести вебинары" in text_of(got[TUTORS["A"]][0])
        assert got[TUTORS["B"]] == [] and got[COORDINATOR] == [] and got[2002] == []
        for user in (2002, 2003, 2004):
            await mx.press_data(user, "go|problematisation")
            for answer in ("Нет времени", "Мало опыта", "Освоить платформу"):
                await mx.say(user, answer)
            await mx.press(user, "✅ Отправить")
        got = inbox.new()
        assert len(got[TUTORS["A"]]) == 1 and len(got[TUTORS["B"]]) == 2

        # team homework with a document; the tutor gets the file by its MAX token
        await mx.press_data(2002, "go|homework")
        await mx.say(2002, "Цели и задачи мероприятия для родителей")
        seq = fake.send_file(2002, "file", name="plan.docx", size=30_000)
        token = fake.updates[-1]["message"]["body"]["attachments"][0]["payload"]["token"]
        assert "Добавлено: 2" in (await mx.pushed(2002, seq))[0]
        await mx.press(2002, "✅ Отправить тьютору (2)")
        got = inbox.new()
        tutor_a = got[TUTORS["A"]]
        assert files_of(tutor_a[0])[0]["payload"]["token"] == token
        assert "plan.docx" in text_of(tutor_a[-1]) and "Борисов Борис Иванович" in text_of(tutor_a[-1])
        assert "ждёт проверки" in text_of(got[2001][0]) and got[2003] == [] and got[TUTORS["B"]] == []

        # the other team's tutor may not review it; the own tutor returns it, then accepts v2
        sub = mx.fake.buttons(TUTORS["A"])[0][0]["payload"].split("|")[1]
        await mx.say(TUTORS["B"], "/help")
        card = fake.last_bot_message(TUTORS["A"], with_keyboard=True)
        assert card is not None
        await mx.press_data(TUTORS["B"], f"rev|{sub}|ok", card["body"]["mid"])
        assert "тьютор её команды" in fake.texts_to(TUTORS["B"])[-1]
        await mx.press(TUTORS["A"], "↩️ Вернуть с комментарием")
        await mx.say(TUTORS["A"], "Опишите формы работы")
        got = inbox.new()
        for user in (2001, 2002):
            assert "Опишите формы работы" in text_of(got[user][0])
        await mx.press(2001, "📤 Отправить снова")
        await mx.say(2001, "Формы: онлайн-викторина")
        await mx.press(2001, "✅ Отправить тьютору (1)")
        await mx.press(TUTORS["A"], "✅ Принять")
        got = inbox.new()
        assert all("принял" in text_of(got[u][-1]) for u in (2001, 2002))

        # team B hands in a link; its own tutor accepts it
        await mx.press_data(2004, "go|homework")
        await mx.say(2004, "https://disk.yandex.ru/d/team-b")
        await mx.press(2004, "✅ Отправить тьютору (1)")
        got = inbox.new()
        assert "https://disk.yandex.ru/d/team-b" in text_of(got[TUTORS["B"]][-1])
        assert "ждёт проверки" in text_of(got[2003][0]) and got[TUTORS["A"]] == []
        await mx.press(TUTORS["B"], "✅ Принять")
        got = inbox.new()
        assert all("принял" in text_of(got[u][-1]) for u in (2003, 2004))

        # before meeting 2 every intern gets the presentation rules, questions and link
        clock.set(programme.moment("start+12d 10:00"))
        await tick(mx, clock)
        got = inbox.new()
        for user in INTERNS:
            rules = text_of(got[user][0])
            assert "3 минут" in rules and "Какую педагогическую проблему" in rules
            assert "https://zoom.example.org/j/1000000002" in rules
        assert got[COORDINATOR] == [] and got[TUTORS["A"]] == [] and got[TUTORS["B"]] == []

        # video: MAX reports the duration; the tutor gets the video by its token
        clock.set(programme.moment("start+14d 19:00"))
        await tick(mx, clock)
        inbox.new()
        await mx.press_data(2003, "go|video")
        sticker = await mx.pushed(2003, fake.send_sticker(2003))
        assert "стикер" in sticker[0]
        seq = fake.send_file(2003, "video", duration=13 * 60, size=80 << 20)
        video = fake.updates[-1]["message"]["body"]["attachments"][0]["payload"]["token"]
        assert "отправлена тьютору" in (await mx.pushed(2003, seq))[0]
        got = inbox.new()
        tutor_b = got[TUTORS["B"]]
        assert files_of(tutor_b[0])[0]["payload"]["token"] == video and "13 мин" in text_of(tutor_b[-1])
        await mx.press(TUTORS["B"], "✅ Принять")
        assert "принял" in text_of(inbox.new()[2003][0])

        # reflection with buttons, then the final stage's one-tap confirmation
        clock.set(programme.moment("start+27d 10:00"))
        await tick(mx, clock)
        await mx.press_data(2003, "go|reflection")
        await mx.say(2003, "Коллеги просили повторить")
        await mx.press(2003, "5")
        await mx.press(2003, "Частично")
        await mx.say(2003, "Мало времени")
        await mx.press(2003, "4")
        await mx.say(2003, "Радость")
        await mx.press(2003, "5")
        summary = await mx.press(2003, "Возможно")
        assert "Проверьте" in summary[-1]
        await mx.press(2003, "✅ Отправить")
        clock.set(programme.moment("start+29d 19:00"))
        await tick(mx, clock)
        final = fake.messages_to(2003)[-1]
        urls = [b.get("url") for row in fake.buttons(2003, final["body"]["mid"]) for b in row]
        assert "https://example.org/materials/slides" in urls
        await mx.press_data(2003, "go|final")
        done = await mx.press(2003, "✅ Всё верно")
        assert "u2003@example.ru" in done[0]
        async with mx.app.s.db.read() as conn:
            state = await completion(conn, programme, ids[2003])
        assert state.complete and state.missing == []

        for call in fake.calls():
            assert call["ok"], call
        pressed = [u["callback"]["callback_id"] for u in fake.updates if "callback" in u]
        assert all(fake.answered(cid) for cid in pressed)

"""Learning paths over Telegram: real aiogram against the fake Bot API, on the fake clock.

Four interns take the entry diagnostic with buttons (three levels, one skips it), each
gets their own route's announcements; a video accepted by the tutor joins the bank with
its author's consent and is browsed by another intern, the file travelling by its
Telegram file id; a file from another messenger is announced, not sent.
"""

from __future__ import annotations

from bot.clock import FakeClock
from bot.settings import Settings
from storage import bank
from tests.e2e.telegram import telegram_chat
from tests.test_internship_telegram import INTERNS, TUTORS, Inbox, enrol, press_data, pushed, text_of, tick

ANSWER = {2001: "Да", 2002: "Нет", 2003: "Скорее да, чем нет"}
"""2001 «авторская разработка», 2002 «по шаблону», 2003 «модификация»; 2004 skips it."""


async def test_routes_and_bank_over_telegram(settings: Settings, clock: FakeClock) -> None:
    from tests.internship_cohort import BEFORE_START

    clock.set(BEFORE_START)
    async with telegram_chat(settings, clock) as tg:
        fake, programme = tg.fake, tg.app.s.programme
        ids = await enrol(tg, clock)
        for user in INTERNS:
            assert "📋 Пройти диагностику" in tg.labels(user)
        for user, answer in ANSWER.items():
            first = await tg.press(user, "📋 Пройти диагностику")
            assert "Вопрос 1 из 9" in first[0]
            assert tg.labels(user)[:4] == ["Да", "Скорее да, чем нет", "Скорее нет, чем да", "Нет"]
            for _ in range(9):
                await tg.press(user, answer)
            done = await tg.press(user, "✅ Отправить")
            assert "Ваш уровень" in done[0]
        inbox = Inbox(tg)

        clock.set(programme.moment("start+14d 19:00"))
        await tick(tg, clock)
        await tick(tg, clock)
        new = inbox.new()
        got = {u: "\n".join(text_of(m) for m in new[u]) for u in INTERNS}
        assert "как занятие своего онлайн-курса" in got[2001] and "Авторский онлайн-курс" in got[2001]
        assert "на готовых ресурсах" in got[2002] and "Авторский онлайн-курс" not in got[2002]
        assert "собственным интерактивным ресурсом" in got[2003]
        assert "запишите видео на 10–15 минут" in got[2004] and "Авторский онлайн-курс" not in got[2004]

        # 2002's 7-minute video fits the template level's 5–15 and goes straight to the tutor
        await press_data(tg, 2002, "go|video")
        update_id = fake.send_video(2002, duration=7 * 60, size=40 << 20)
        file_id = fake.updates[-1]["message"]["video"]["file_id"]
        assert any("тьютор" in t.lower() for t in await pushed(tg, 2002, update_id))
        await tick(tg, clock)
        card = next(m for m in reversed(fake.messages_to(TUTORS["A"])) if "reply_markup" in m)
        accept = next(b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row
                      if b.get("callback_data", "").endswith("|ok"))
        await press_data(tg, TUTORS["A"], accept)
        await tick(tg, clock)
        asked = await tg.press(2002, "✅ Да, можно")
        assert "теперь в банке решений" in asked[0]

        # another intern browses it; the video comes by its Telegram file id
        listing = await tg.say(2004, "/bank")
        assert "1 работа" in listing[0]
        before = len(fake.messages_to(2004))
        await tg.press(2004, "1")
        sent = fake.messages_to(2004)[before:]
        assert "Видеоролик мероприятия" in text_of(sent[0])
        assert any(m.get("video") == file_id or m.get("document") == file_id for m in sent[1:])

        # a file handed in on another messenger is named, with where it opens
        now = clock.now()
        async with tg.app.s.db.transaction() as conn:
            entry = await bank.create(
                conn, submission_id=9999, programme_id=programme.id, cohort="x 2026-01-01", topic="Тема",
                stage_id="video", title="Работа из VK", level="modify",
                items=[{"kind": "file", "kind_of": "document", "file_id": "vk-doc", "name": "plan.pdf",
                        "platform": "vk"}],
                submitter_id=ids[2003], team_name=None, authors=[ids[2003]], now=now)
            assert entry is not None
            await bank.answer(conn, entry, ids[2003], True, now)
        before = len(fake.messages_to(2004))
        await press_data(tg, 2004, f"bk|o|{entry}|-|-|-|0")
        shown = fake.messages_to(2004)[before:]
        assert len(shown) == 1 and "другом мессенджере (vk)" in text_of(shown[0])

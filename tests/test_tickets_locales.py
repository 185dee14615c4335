"""Both languages carry every ticket text, and each person reads their own."""

from __future__ import annotations

from bot.i18n import Texts
from storage import persons, teams
from tests.conftest import ConsoleChat
from tests.ticket_setup import payloads, press, set_up


def test_ru_and_en_have_the_same_ticket_keys() -> None:
    texts = Texts()
    ru = {k for k in texts.keys("ru") if k.startswith("tickets.")}
    en = {k for k in texts.keys("en") if k.startswith("tickets.")}
    assert ru == en and len(ru) > 50


async def test_an_english_intern_and_a_russian_tutor(chat: ConsoleChat) -> None:
    cast = await set_up(chat)
    chat.adapter.language = "en"
    await chat.say("/help", "john")
    chat.adapter.language = None
    s = chat.app.s
    async with s.db.transaction() as conn:
        john = await persons.find_account(conn, "console", "john")
        assert john is not None
        await persons.grant_role(conn, john.person_id, "intern", s.clock.now())
        await teams.put_member(conn, cast.teams["t1"], john.person_id, s.clock.now())
    prompt = await press(chat, "john", "ask")
    assert "Write your question" in prompt[0].text
    sent = await chat.say("Where is the template?", "john")
    assert "Question #1 has been sent to your tutor" in sent[0].text
    card = chat.new("tanya")[0]
    assert "Новый вопрос #1" in card.text and "Where is the template?" in card.text
    await press(chat, "tanya", "tk|1|r")
    await chat.say("В материалах.", "tanya")
    answer = chat.new("john")[0]
    assert "Your tutor's answer to your question #1" in answer.text
    assert [b.label for row in answer.buttons for b in row] == ["👍 That helped", "❓ Ask again"]
    assert payloads(answer) == ["askok|1", "ask|1"]

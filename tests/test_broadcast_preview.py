"""The broadcast preview tells a coordinator what the other recipients would meet: empty
placeholders (counted, with an example), a pause, quiet hours with the morning in the
coordinator's time; a template mistake is explained in their words, the text kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from storage import outbox, persons, teams
from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat


async def _draft(chat: ConsoleChat, body: str) -> int:
    await chat.say("/broadcast", "alice")
    menu = (await chat.say(body, "alice"))[-1]
    assert "Кому отправить" in menu.text, menu.text
    return int(menu.buttons[0][0].payload.split("|")[1])


async def test_preview_counts_empty_placeholders_and_shows_one_such_recipient(chat: ConsoleChat) -> None:
    app = chat.app
    ids = {u: await seed_intern(app, u) for u in ("ann", "bob", "cat", "dan")}
    tom = await make_tutor(app, "tom")
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        led = await teams.create(conn, "Ласточки", now, tom)
        loose = await teams.create(conn, "Стрижи", now)
        await teams.put_member(conn, led, ids["ann"], now)
        await teams.put_member(conn, loose, ids["bob"], now)
    bc = await _draft(chat, "{{ name }}, ваш тьютор — {{ tutor }}, команда «{{ team }}»")
    await chat.press(f"bc|{bc}|a|all")
    preview = chat.last("alice").text
    assert "Интерн ann, ваш тьютор — tom, команда «Ласточки»" in preview  # the first recipient
    assert "• {{ tutor }} — нет тьютора: 3" in preview  # bob (team without a tutor), cat, dan
    assert "• {{ team }} — нет команды: 2" in preview
    assert "Интерн bob, ваш тьютор — —, команда «Стрижи»" in preview  # the example
    assert "{{ name }}" not in preview.split("пустой")[1]  # a name is never empty
    assert "приостановлена" not in preview and "ночь" not in preview


async def test_preview_without_empty_values_says_nothing_of_them(chat: ConsoleChat) -> None:
    await seed_intern(chat.app, "ann")
    bc = await _draft(chat, "{{ name }}: {{ event_link }}")
    await chat.press(f"bc|{bc}|a|all")
    assert "пустой" not in chat.last("alice").text


async def test_preview_warns_of_the_pause_and_of_recipients_asleep(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    app = chat.app
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))  # 20:00 Moscow, 03:00 Vladivostok, 02:00 Yakutsk
    await seed_intern(app, "msk")
    for user, zone in (("vla", "Asia/Vladivostok"), ("yak", "Asia/Yakutsk")):
        pid = await seed_intern(app, user)
        async with app.s.db.transaction() as conn:
            await persons.update_person(conn, pid, timezone=zone)
    await chat.say("/pause", "alice")
    bc = await _draft(chat, "Завтра встреча")
    await chat.press(f"bc|{bc}|a|all")
    preview = chat.last("alice").text
    assert "⏸ Отправка сейчас приостановлена (/pause)" in preview
    # mornings: 08:00 Yakutsk = 02:00 MSK, 08:00 Vladivostok = 01:00 MSK (the coordinator's zone)
    assert "у 2 получателей из 3" in preview and "2 дек 01:00–02:00 по вашему времени" in preview
    # a coordinator in Vladivostok reads the same mornings in their own time
    async with app.s.db.transaction() as conn:
        alice = await persons.find_account(conn, "console", "alice")
        assert alice is not None
        await persons.update_person(conn, alice.person_id, timezone="Asia/Vladivostok")
    await chat.press(f"bc|{bc}|a|all")
    assert "2 дек 08:00–09:00 по вашему времени" in chat.last("alice").text
    await chat.press(f"bc|{bc}|now")
    assert "приостановлена" in chat.last("alice").text  # said again when it is sent
    await chat.say("/resume", "alice")
    async with app.s.db.read() as conn:
        assert (await outbox.status_counts(conn, f"bc:{bc}:")).get("pending") == 3


async def test_a_later_sending_counts_those_asleep_at_that_time(chat: ConsoleChat, clock: FakeClock) -> None:
    app = chat.app
    clock.set(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))  # 09:00 Moscow: nobody asleep now
    await seed_intern(app, "msk")
    vla = await seed_intern(app, "vla")
    async with app.s.db.transaction() as conn:
        await persons.update_person(conn, vla, timezone="Asia/Vladivostok")
    bc = await _draft(chat, "Текст")
    await chat.press(f"bc|{bc}|a|all")
    assert "ночь" not in chat.last("alice").text
    await chat.press(f"bc|{bc}|at")
    [confirm] = await chat.say("01.12 20:00", "alice")  # 03:00 in Vladivostok
    assert "В это время ночь" in confirm.text and "у 1 получателя из 2" in confirm.text
    assert "2 дек 01:00 по вашему времени" in confirm.text
    assert f"bc|{bc}|x" in [b.payload for row in confirm.buttons for b in row]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("Привет, {{ name", "незакрытая скобка {{ … — строка 1: «{{ name»"),
        ("Строка\nПривет, {{ name }", "незакрытая скобка {{ … — строка 2"),
        ("Привет, {{ tutr }}", "Неизвестная подстановка {{ tutr }} — может быть, {{ tutor }}?"),
        ("{{ xyz }} и {{ abc }}", "Неизвестные подстановки: {{ abc }}, {{ xyz }}. Есть: name, team, tutor"),
        ("{{ name | shout }}", "после черты «|» стоит «shout» — такого преобразования нет"),
        ("{% send %}", "команда {% send %}, которой я не знаю"),
        ("{% if team %}Команда", "Условие {% if … %} не закрыто: добавьте в конце {% endif %}"),
        ("Привет, {{ }}", "пустые скобки {{ }}"),
        ("{{ name name }}", "подстановка написана неправильно: «{{ name name }}»"),
        ("{{ name.__class__ }}", "без точек, скобок и вычислений"),
        ("{{ 1 / 0 }}", "без точек, скобок и вычислений"),
    ],
)
async def test_a_template_mistake_is_explained_in_the_coordinators_words(
    chat: ConsoleChat, body: str, said: str
) -> None:
    await seed_intern(chat.app, "ann")
    await chat.say("/broadcast", "alice")
    explained, kept = await chat.say(body, "alice")
    assert said in explained.text
    for jinja_words in ("unexpected", "expected token", "Encountered", "No filter", "Jinja", "(line "):
        assert jinja_words not in explained.text
    assert kept.text == body  # their text back, to copy and fix
    assert [b.payload for row in explained.buttons for b in row] == ["bc|0|x"]
    # still in the dialogue: the corrected text goes on to the audience
    assert "Кому отправить" in (await chat.say("Привет, {{ name }}", "alice"))[-1].text
    assert chat.all("ann") == []

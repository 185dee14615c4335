"""Teams through the console: automatic formation, tutors, moving, who is told what."""

from __future__ import annotations

from collections import Counter

from storage import cohort, teams
from tests.cohort import make_tutor, seed_cohort
from tests.conftest import ConsoleChat


async def test_auto_formation_tutor_and_move(chat: ConsoleChat) -> None:
    app = chat.app
    interns = await seed_cohort(app, 8)
    tutor = await make_tutor(app, "tom")
    listing = await chat.say("/teams", "alice")
    assert "Без команды остаются 8 одобренных интернов" in listing[-1].text
    await chat.press("tm|auto")
    proposal = chat.last("alice")
    assert "2 команд" in proposal.text and "Команда 1:" in proposal.text and "Команда 2:" in proposal.text
    confirm = proposal.buttons[0][0].payload
    await chat.press(confirm)
    assert "созданы 2 команды" in chat.last("alice").text
    async with app.s.db.read() as conn:
        formed = await teams.all_teams(conn)
        lineups = [await teams.members(conn, t.id) for t in formed]
        answers = await cohort.answers(conn, interns)
    assert sorted(len(m) for m in lineups) == [4, 4]
    for members in lineups:  # four cities, two of each: every team has each city once
        assert Counter(answers[p]["region"] for p in members) == Counter(
            {"Казань": 1, "Пермь": 1, "Омск": 1, "Тула": 1})
    await app.s.delivery.run_once()
    told = chat.all("i1")[-1].text
    assert "Ваша команда" in told and "Тьютор: его назначат" in told
    # pressing "create" again forms nothing twice
    await chat.press(confirm)
    assert "формировать некого" in chat.last("alice").text

    team1, team2 = formed
    await chat.press(f"tm|tutor|{team1.id}")
    assert [b.label for row in chat.last("alice").buttons for b in row] == ["tom"]
    await chat.press(f"tm|tutor|{team1.id}|{tutor}")
    await app.s.delivery.run_once()
    assert "Вы тьютор команды «Команда 1»" in chat.last("tom").text
    member = lineups[0][0]
    member_user = f"i{interns.index(member) + 1}"
    assert "Тьютор: tom" in chat.last(member_user).text

    await chat.press(f"tm|mv|{member}|{team2.id}")
    assert "теперь в команде «Команда 2»" in chat.last("alice").text
    await app.s.delivery.run_once()
    moved = chat.last(member_user).text
    assert "Ваша команда — «Команда 2»" in moved
    async with app.s.db.read() as conn:
        assert (await teams.team_of(conn, member)).id == team2.id  # type: ignore[union-attr]

    # moved back: the line-up is the same as before, and it is still announced
    before = len(chat.all(member_user))
    app.s.clock.advance(minutes=1)  # another update (the console has no update ids)
    await chat.press(f"tm|mv|{member}|{team1.id}")
    await app.s.delivery.run_once()
    assert len(chat.all(member_user)) == before + 1
    assert "Ваша команда — «Команда 1»" in chat.last(member_user).text
    await chat.press(f"tm|tutor|{team1.id}|{tutor}")  # the same tutor again: nothing to announce
    assert "уже ведёт" in chat.last("alice").text
    await app.s.delivery.run_once()
    assert len(chat.all(member_user)) == before + 1

    # a tutor sees only their own team and cannot use the coordinator's buttons
    own = await chat.say("/teams", "tom")
    assert "Команда 1" in own[-1].text and "Команда 2" not in own[-1].text
    assert (await chat.say("/myteam", "tom"))[-1].text == own[-1].text
    assert own[-1].buttons == []
    await chat.press(confirm)
    assert "только координаторам" in chat.last("tom").text


async def test_confirmation_of_a_stale_proposal_shows_the_new_one(chat: ConsoleChat) -> None:
    await seed_cohort(chat.app, 6)
    await chat.say("/teams", "alice")
    await chat.press("tm|auto")
    confirm = chat.last("alice").buttons[0][0].payload
    await seed_cohort(chat.app, 1, prefix="late")
    await chat.press(confirm)
    reply = chat.last("alice")
    assert "изменился" in reply.text and "Команда 2:" in reply.text
    async with chat.app.s.db.read() as conn:
        assert await teams.all_teams(conn) == []
    await chat.press(reply.buttons[0][0].payload)
    async with chat.app.s.db.read() as conn:
        sizes = [len(await teams.members(conn, t.id)) for t in await teams.all_teams(conn)]
    assert sorted(sizes) == [3, 4]


async def test_teams_refused_for_interns(chat: ConsoleChat) -> None:
    await seed_cohort(chat.app, 1)
    assert "пока не в команде" in (await chat.say("/myteam", "i1"))[-1].text
    for command in ("/teams", "/newteam X"):
        assert "доступна только" in (await chat.say(command, "i1"))[-1].text
    await chat.press("tm|auto|ok")
    assert "только координаторам" in chat.last("i1").text
    async with chat.app.s.db.read() as conn:
        assert await teams.all_teams(conn) == []


async def test_team_by_hand(chat: ConsoleChat) -> None:
    (pid,) = await seed_cohort(chat.app, 1)
    await chat.say("/newteam Северяне", "alice")
    assert "«Северяне» создана" in chat.last("alice").text
    await chat.press("tm|from|0")
    assert chat.last("alice").buttons[0][0].payload == f"tm|mv|{pid}"
    await chat.press(f"tm|mv|{pid}")
    await chat.press(chat.last("alice").buttons[0][0].payload)
    await chat.app.s.delivery.run_once()
    assert "Ваша команда — «Северяне»" in chat.last("i1").text
    mine = (await chat.say("/myteam", "i1"))[-1].text
    assert "Ваша команда — «Северяне»" in mine and "Пока в команде только вы" in mine and "—." not in mine

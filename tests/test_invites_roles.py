"""Invitations to tutor/coordinator roles and revoking roles, through the console."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import FakeClock
from bot.settings import Settings
from storage import persons
from tests.conftest import ConsoleChat, make_chat


def _code(text: str) -> str:
    found = re.search(r"/start (inv-[A-Z0-9]+)", text)
    assert found, text
    return found.group(1)


async def _roles(chat: ConsoleChat, user: str) -> set[str]:
    async with chat.app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", user)
        assert account is not None
        return await persons.roles_of(conn, account.person_id)


async def test_invite_code_works_once_and_tells_the_inviter(chat: ConsoleChat) -> None:
    replies = await chat.say("/invite", "alice")
    assert [b.payload for b in replies[-1].buttons[0]] == ["inv|tutor", "inv|coordinator"]
    await chat.say("1")  # tutor
    text = chat.last("alice").text
    assert "t.me" not in text  # no bot username configured: the code only
    code = _code(text)
    welcome = await chat.say(f"/start {code}", "tom")
    assert "тьютор" in welcome[-1].text
    assert await _roles(chat, "tom") == {"tutor"}
    assert any("Приглашение принято: tom" in r.text for r in chat.new("alice"))
    again = await chat.say(f"/start {code}", "eve")
    assert "уже использован" in again[-1].text
    assert await _roles(chat, "eve") == set()
    wrong = await chat.say("/start inv-NOSUCHCODE", "eve")
    assert "нет" in wrong[-1].text


async def test_invite_expires_and_telegram_link_when_username_known(
    settings: Settings, clock: FakeClock
) -> None:
    settings.telegram_bot_username = "intern_bot"
    app, chat = await make_chat(settings, clock)
    try:
        text = (await chat.say("/invite coordinator", "alice"))[-1].text
        assert re.search(r"https://t\.me/intern_bot\?start=inv-[A-Z0-9]{10}", text)
        code = _code(text)
        clock.advance(timedelta(days=8))
        late = await chat.say(f"/start {code}", "carol")
        assert "истёк" in late[-1].text
        assert await _roles(chat, "carol") == set()
    finally:
        await app.stop()


async def test_revoke_tutor_with_confirmation(chat: ConsoleChat) -> None:
    await chat.say("/invite tutor", "alice")
    await chat.say(f"/start {_code(chat.last('alice').text)}", "tom")
    await chat.say("/invite coordinator", "alice")
    listing = await chat.say("/roles", "alice")
    assert "1 неиспользованное приглашение." in listing[-1].text
    assert "tom" in listing[-1].text.lower() or "#" in listing[-1].text
    buttons = [b.payload for row in listing[-1].buttons for b in row]
    payloads = [p for p in buttons if p.startswith("rv|")]
    assert len(payloads) == 1 and payloads[0].endswith("|tutor")
    assert len([p for p in buttons if p.startswith("inv|x|")]) == 1  # the unused invitation
    await chat.press(payloads[0])
    assert "Снять роль" in chat.last("alice").text
    await chat.press(payloads[0] + "|yes")
    assert "больше не" in chat.last("alice").text
    assert await _roles(chat, "tom") == set()
    await chat.app.s.delivery.run_once()
    assert "снял с вас роль" in chat.last("tom").text
    # the settings coordinator cannot be revoked by another coordinator, nor by herself
    refused = await chat.say("/roles", "tom")
    assert "только координаторам" in refused[-1].text


async def test_invite_and_roles_refused_for_interns_and_tutors(chat: ConsoleChat) -> None:
    for command in ("/invite", "/invite tutor", "/roles"):
        reply = await chat.say(command, "mallory")
        assert "только координаторам" in reply[-1].text
    await chat.press("inv|coordinator")
    assert "только координаторам" in chat.last("mallory").text
    assert await _roles(chat, "mallory") == set()


async def test_an_unused_invitation_can_be_withdrawn(chat: ConsoleChat) -> None:
    code = _code((await chat.say("/invite coordinator", "alice"))[-1].text)
    listing = (await chat.say("/roles", "alice"))[-1]
    [withdraw] = [b for row in listing.buttons for b in row if b.payload.startswith("inv|x|")]
    assert withdraw.payload == f"inv|x|{code[4:]}" and "Координатор, до 08.09 12:00" in withdraw.label
    await chat.press("inv|x|" + code[4:])  # a tutor or an intern would be refused (test_role_matrix)
    assert "отозвано" in chat.last("alice").text
    late = await chat.say(f"/start {code}", "mallory")
    assert "уже использован или истёк" in late[-1].text
    assert await _roles(chat, "mallory") == set()
    chat.as_user("alice")
    await chat.press("inv|x|" + code[4:])
    assert "уже использовано, отозвано или истекло" in chat.last("alice").text
    assert "неиспользованн" not in (await chat.say("/roles", "alice"))[-1].text

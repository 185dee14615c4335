"""The Telegram adapter over HTTP against the fake Bot API: mapping, sending, errors, stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.messages import Button, DeliveryError, OutFile, Reply
from bot.settings import Settings
from messengers.telegram import TelegramAdapter
from storage import persons
from storage.db import fetchall
from tests.e2e.recorder import Recorder
from tests.e2e.telegram import TOKEN, telegram_chat
from tests.fakes.telegram_server import FakeTelegramServer

USER = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as server:
        yield server


@pytest.fixture
async def polling(fake: FakeTelegramServer) -> AsyncIterator[tuple[TelegramAdapter, Recorder]]:
    core = Recorder()
    adapter = TelegramAdapter(core, token=TOKEN, api_url=fake.base_url, poll_timeout=5)  # type: ignore[arg-type]
    task = asyncio.create_task(adapter.run())
    try:
        yield adapter, core
    finally:
        await adapter.stop()
        await task
        await adapter.close()


async def _handled(fake: FakeTelegramServer, update_id: int) -> None:
    await fake.wait_for(lambda: all(u["update_id"] != update_id for u in fake.pending_updates()))


async def test_messages_files_and_presses_become_incoming(
    fake: FakeTelegramServer, polling: tuple[TelegramAdapter, Recorder]
) -> None:
    _, core = polling
    fake.set_user(USER, first_name="Мария", username="maria")
    ids = [
        fake.send_text(USER, "/start link-ABC", language_code="en", first_name="Мария"),
        fake.send_document(USER, "plan.pdf", "application/pdf", 2_000_000, caption="мой план"),
        fake.send_video(USER, duration=700, size=300_000_000),
        fake.send_photo(USER, size=150_000),
        fake.send_voice(USER, duration=12),
        fake.send_sticker(USER),
        fake.push_update({"message": {
            "message_id": 77, "date": 0, "from": fake.set_user(USER),
            "chat": {"id": USER, "type": "private"}, "location": {"latitude": 55.7, "longitude": 37.6},
        }}),
        fake.push_update({"message": {  # a group the bot was added to: ignored
            "message_id": 5, "date": 0, "from": fake.set_user(USER),
            "chat": {"id": -100, "type": "group", "title": "g"}, "text": "hi all",
        }}),
    ]
    await _handled(fake, ids[-1])
    fake.send_text(USER, "Привет")
    fake.press_button(USER, "app|1|ok")
    await fake.wait_for(lambda: len(core.seen) == 9)
    start, doc, video, photo, voice, sticker, location, text, press = core.seen
    assert (start.text, start.platform, start.user_ref, start.chat_ref) == (
        "/start link-ABC", "telegram", str(USER), str(USER))
    assert start.language_code == "en" and start.display_name == "Мария"
    assert start.update_ref == f"{ids[0]}/{USER}/{start.message_ref}" and start.message_ref
    assert doc.file is not None and doc.text == "мой план"
    assert (doc.file.kind, doc.file.size, doc.file.mime, doc.file.name) == (
        "document", 2_000_000, "application/pdf", "plan.pdf")
    assert doc.file.file_id.startswith("FAKE-document")
    assert video.file is not None
    assert (video.file.kind, video.file.duration, video.file.size, video.file.mime) == (
        "video", 700, 300_000_000, "video/mp4")
    assert photo.file is not None and (photo.file.kind, photo.file.size) == ("photo", 150_000)
    assert voice.file is not None and (voice.file.kind, voice.file.duration) == ("voice", 12)
    assert sticker.file is not None and sticker.file.kind == "sticker"
    assert location.unsupported == "location" and location.text is None
    assert text.text == "Привет"
    assert press.payload == "app|1|ok" and press.text is None and press.message_ref
    # The press was answered, and nobody downloaded a file.
    assert len(fake.calls("answerCallbackQuery")) == 1
    assert fake.calls("getFile") == []


async def test_long_text_is_split_cleanly_with_buttons_on_the_last_part(fake: FakeTelegramServer) -> None:
    adapter = TelegramAdapter(Recorder(), token=TOKEN, api_url=fake.base_url)  # type: ignore[arg-type]
    paragraph = "Слово " * 500  # ~3000 chars
    text = "\n\n".join([paragraph.strip()] * 3)
    reply = Reply(text, buttons=[[Button("Да", "yes"), Button("Сайт", url="https://example.org")]])
    # The second part fails twice: each retry resumes there and never repeats part one.
    fake.fail_next("sendMessage", status=502, skip=1, times=2)
    for _ in range(2):
        with pytest.raises(DeliveryError) as failed:
            await adapter.send(str(USER), reply, idem=7)
        assert not failed.value.permanent
    ref = await adapter.send(str(USER), reply, idem=7)
    parts = fake.messages_to(USER)
    assert [p["text"] for p in parts] == [paragraph.strip()] * 3
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert [p.get("reply_markup") is not None for p in parts] == [False, False, True]
    assert ref == str(fake.last_bot_message(USER)["message_id"])  # type: ignore[index]
    await adapter.close()


async def test_files_and_reply_to(fake: FakeTelegramServer) -> None:
    adapter = TelegramAdapter(Recorder(), token=TOKEN, api_url=fake.base_url)  # type: ignore[arg-type]
    await adapter.send(str(USER), Reply("Отчёт", file=OutFile("report.csv", data=b"a;b\n1;2\n")))
    doc = fake.calls("sendDocument")[-1]["params"]
    assert doc["caption"] == "Отчёт" and doc["document"]["filename"] == "report.csv"
    assert doc["document"]["size"] == 8
    first = fake.last_bot_message(USER)
    await adapter.send(str(USER), Reply("Ответ", reply_to_ref=str(first["message_id"])))  # type: ignore[index]
    assert fake.last_bot_message(USER)["reply_to_message"]["message_id"] == first["message_id"]  # type: ignore[index]
    await adapter.close()


async def test_reply_keyboard_stays_until_taken_away(fake: FakeTelegramServer) -> None:
    adapter = TelegramAdapter(Recorder(), token=TOKEN, api_url=fake.base_url)  # type: ignore[arg-type]
    menu = [[Button("👉 Что дальше", "menu|next")], [Button("📊 Мой прогресс", "menu|progress")]]
    await adapter.send(str(USER), Reply("Меню внизу", keyboard=menu))
    assert fake.reply_keys(USER) == ["👉 Что дальше", "📊 Мой прогресс"]
    await adapter.send(str(USER), Reply("Выберите", [[Button("Да", "yes")]], keyboard=menu))
    assert fake.calls("sendMessage")[-1]["params"]["reply_markup"]["inline_keyboard"]  # inline wins
    await adapter.send(str(USER), Reply("Просто текст"))
    assert fake.reply_keys(USER) == ["👉 Что дальше", "📊 Мой прогресс"]
    await adapter.send(str(USER), Reply("Меню убрано", keyboard=[]))
    assert fake.reply_keyboard(USER) is None
    await adapter.close()


async def test_error_mapping(fake: FakeTelegramServer) -> None:
    adapter = TelegramAdapter(Recorder(), token=TOKEN, api_url=fake.base_url)  # type: ignore[arg-type]
    cases = [
        (dict(status=429, retry_after=7), False, 7.0),
        (dict(status=502, body="<html>Bad Gateway</html>"), False, None),
        (dict(status=500), False, None),
        (dict(status=403), True, None),
        (dict(status=403, description="Forbidden: user is deactivated"), True, None),
        (dict(status=400, description="Bad Request: chat not found"), True, None),
    ]
    for fault, permanent, retry_after in cases:
        fake.fail_next("sendMessage", **fault)  # type: ignore[arg-type]
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(str(USER), Reply("hi"))
        assert (caught.value.permanent, caught.value.retry_after) == (permanent, retry_after), fault
    with pytest.raises(DeliveryError) as too_long:
        await adapter.send(str(USER), Reply("hi", buttons=[[Button("x", "p" * 65)]]))
    assert not too_long.value.permanent
    assert fake.messages_to(USER) == []
    await adapter.close()


async def test_blocked_user_is_unreachable_and_not_retried(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        await tg.say(5005, "/start")
        tg.fake.block_user(5005)
        await tg.say(5005, "Иванова Мария Петровна")
        async with tg.app.s.db.read() as conn:
            account = await persons.find_account_by_chat(conn, "telegram", "5005")
            rows = await fetchall(conn, "SELECT status FROM outbox WHERE chat_ref = '5005' ORDER BY id")
        assert account is not None and account.unreachable
        assert rows[-1]["status"] == "unreachable"
        clock.advance(timedelta(hours=1))
        assert await tg.app.s.delivery.run_once() == 0  # nothing retried


async def test_flood_and_server_errors_are_retried_once_each(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        tg.fake.fail_next("sendMessage", status=429, retry_after=30, times=2)
        assert await tg.say(6006, "/start") == []
        clock.advance(timedelta(seconds=31))
        await tg.app.s.delivery.run_once()
        tg.fake.fail_next("sendMessage", status=503)
        clock.advance(timedelta(seconds=31))
        await tg.app.s.delivery.run_once()
        clock.advance(timedelta(minutes=5))
        await tg.app.s.delivery.run_once()
        texts = tg.fake.texts_to(6006)
        assert any("Цифровая педагогическая интернатура" in t for t in texts)
        assert len(texts) == len(set(texts))  # nothing twice
        async with tg.app.s.db.read() as conn:
            rows = await fetchall(conn, "SELECT status FROM outbox WHERE chat_ref = '6006'")
        assert {r["status"] for r in rows} == {"sent"}


async def test_stop_interrupts_the_long_poll_and_confirms_the_offset(fake: FakeTelegramServer) -> None:
    core = Recorder()
    adapter = TelegramAdapter(core, token=TOKEN, api_url=fake.base_url, poll_timeout=25)  # type: ignore[arg-type]
    task = asyncio.create_task(adapter.run())
    update_id = fake.send_text(USER, "hello")
    await fake.wait_for(lambda: core.seen)
    await fake.wait_for(lambda: fake.polls_started >= 2)  # now waiting in a long poll
    loop = asyncio.get_running_loop()
    started = loop.time()
    await adapter.stop()
    await asyncio.wait_for(task, 5)
    assert loop.time() - started < 3
    assert fake.pending_updates() == []
    assert fake.calls("getUpdates")[-1]["params"]["offset"] == update_id + 1
    await adapter.close()


async def test_a_hung_bot_api_is_a_temporary_network_error(fake: FakeTelegramServer) -> None:
    adapter = TelegramAdapter(Recorder(), token=TOKEN, api_url=fake.base_url)  # type: ignore[arg-type]
    adapter.bot.session.timeout = 0.3
    fake.delay_next("sendMessage", 1.0)
    with pytest.raises(DeliveryError) as hung:
        await adapter.send(str(USER), Reply("hi"))
    assert not hung.value.permanent
    with pytest.raises(DeliveryError) as wrong:
        await adapter.send("alice", Reply("hi"))
    assert wrong.value.permanent
    await adapter.close()


async def test_a_resent_update_is_answered_once(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        update = tg.fake.build_text_update(7007, "/start")
        tg.fake.push_update(update)
        tg.fake.push_update(dict(update))  # Telegram resends what was never confirmed
        await tg.handled(update["update_id"])
        texts = tg.fake.texts_to(7007)
        assert len(texts) == 2 and "Вопрос 1 из 7" in texts[-1]  # welcome + question, once


async def test_every_file_kind_goes_by_its_own_method_with_the_text(fake: FakeTelegramServer) -> None:
    """A file Telegram already has (an intern's voice, video, photo...) is re-sent by its id."""
    adapter = TelegramAdapter(Recorder(), token=TOKEN, api_url=fake.base_url)  # type: ignore[arg-type]
    kinds = {"photo": "sendPhoto", "video": "sendVideo", "voice": "sendVoice", "audio": "sendAudio",
             "animation": "sendAnimation", "video_note": "sendVideoNote", "sticker": "sendSticker",
             "document": "sendDocument"}
    for kind, method in kinds.items():
        before = len(fake.texts_to(USER))
        file = OutFile(f"{kind}.bin", file_id=f"FILE-{kind}", kind=kind)  # type: ignore[arg-type]
        buttons = [[Button("Ответить", "t|1")]]
        await adapter.send(str(USER), Reply(f"Вопрос от Марии ({kind})", buttons=buttons, file=file))
        [call] = [c for c in fake.calls(method) if c["params"].get(kind) == f"FILE-{kind}"]
        assert call["ok"], call
        shown = fake.texts_to(USER)[before:]
        assert any(f"Вопрос от Марии ({kind})" in t for t in shown), (kind, shown)  # never lost
        assert call["params"].get("reply_markup") is not None  # the buttons stay with the file
    await adapter.close()

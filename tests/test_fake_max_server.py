"""The fake MAX Bot API, driven by the real ``maxapi`` client: e2e tests are only as good
as the fake's wire format and rules."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.enums.api_path import ApiPath
from maxapi.enums.http_method import HTTPMethod
from maxapi.enums.update import UpdateType
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError
from maxapi.methods.types.getted_updates import process_update_request, process_update_webhook
from maxapi.methods.types.sended_message import SendedMessage
from maxapi.types import BotCommand
from maxapi.types.attachments import CallbackButton, InputMediaBuffer, LinkButton
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder

from tests.fakes._base import LOOPBACK_HOST
from tests.fakes.max_server import DIALOG_OFFSET, FakeMaxServer

TOKEN = "max-test-token"
USER = 4242
PDF = b"%PDF-1.4\n%fake document\n" + b"0" * 200
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


def make_bot(fake: FakeMaxServer, token: str = TOKEN) -> Bot:
    """A real maxapi Bot pointed at the fake, with every built-in wait shrunk."""
    bot = Bot(
        token=token,
        auto_requests=False,  # no GET /chats/{id} per update
        auto_check_subscriptions=False,
        after_upload_retry_delay=0,
        default_connection=DefaultConnectionProperties(timeout=10, retry_backoff_factor=0.01),
    )
    bot.set_api_url(fake.base_url)
    # ``Bot(after_input_media_delay=0)`` becomes 2.0 (``or 2.0``): set the attribute instead.
    bot.after_input_media_delay = 0
    return bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeMaxServer]:
    async with FakeMaxServer(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeMaxServer) -> AsyncIterator[Bot]:
    client = make_bot(fake)
    try:
        yield client
    finally:
        await client.close_session()


def keyboard(*rows: list[Any]) -> Any:
    builder = InlineKeyboardBuilder()
    for row in rows:
        builder.row(*row)
    return builder.as_markup()


async def test_three_update_kinds_parse_into_maxapi_models(fake: FakeMaxServer, bot: Bot) -> None:
    fake.bot_started(USER, "invite-XYZ", name="Пётр Петров")
    fake.send_text(USER, "Привет")
    fake.send_file(USER, "file", size=1234, name="cv.pdf", text="резюме")
    fake.send_file(USER, "image")
    sent = await bot.send_message(
        user_id=USER, text="Выберите", attachments=[keyboard([CallbackButton(text="Да", payload="yes")])]
    )
    assert sent is not None
    callback_id = fake.press_button(USER, "yes")

    raw = await bot.get_updates(timeout=0)
    assert [u["update_type"] for u in raw["updates"]] == [
        "bot_started",
        "message_created",
        "message_created",
        "message_created",
        "message_callback",
    ]
    assert raw["marker"] == fake.event_seq
    started, text, doc, image, callback = await process_update_request(raw, bot)

    assert isinstance(started, BotStarted)
    assert started.payload == "invite-XYZ" and started.user.user_id == USER
    assert started.user.first_name == "Пётр" and started.user.last_name == "Петров"
    assert started.chat_id == fake.chat_of(USER) == USER + DIALOG_OFFSET
    assert started.user_locale == "ru"

    assert isinstance(text, MessageCreated)
    assert text.message.body is not None and text.message.body.text == "Привет"
    assert text.message.sender is not None and text.message.sender.user_id == USER
    assert text.message.recipient.chat_id == fake.chat_of(USER)
    assert text.message.recipient.chat_type == "dialog"
    assert text.message.body.mid.startswith("mid.")
    assert text.get_ids() == (fake.chat_of(USER), USER)

    assert isinstance(doc, MessageCreated) and doc.message.body is not None
    assert doc.message.body.text == "резюме"
    [file_att] = doc.message.body.attachments or []
    assert file_att.type == "file" and file_att.filename == "cv.pdf" and file_att.size == 1234
    assert isinstance(image, MessageCreated) and image.message.body is not None
    assert [a.type for a in image.message.body.attachments or []] == ["image"]

    assert isinstance(callback, MessageCallback)
    assert callback.callback.callback_id == callback_id and callback.callback.payload == "yes"
    assert callback.callback.user.user_id == USER
    assert callback.message is not None and callback.message.body is not None
    assert callback.message.body.mid == sent.message.body.mid  # type: ignore[union-attr]
    # The file a user sent can be downloaded through maxapi from the fake's CDN.
    url = file_att.payload.url  # type: ignore[union-attr]
    assert len(await bot.download_bytes(url)) == 1234


async def test_long_poll_wakes_on_push_and_marker_confirms(fake: FakeMaxServer, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.polls == 1)
    seq = fake.send_text(USER, "/start")
    raw = await asyncio.wait_for(poll, 2)
    assert [u["message"]["body"]["text"] for u in raw["updates"]] == ["/start"]
    assert raw["marker"] == seq
    assert len(fake.pending_updates()) == 1  # delivered but not confirmed yet
    again = await bot.get_updates(marker=raw["marker"], timeout=0)
    assert again == {"updates": [], "marker": seq}
    assert fake.pending_updates() == [] and fake.confirmed_marker == seq
    # A poll without the marker does not see confirmed updates again.
    assert (await bot.get_updates(timeout=0))["updates"] == []


async def test_types_filter_and_stop_wakes_a_long_poll() -> None:
    async with FakeMaxServer() as server:
        client = make_bot(server)
        try:
            server.send_text(USER, "текст")
            started = server.bot_started(USER)
            raw = await client.get_updates(timeout=0, types=[UpdateType.BOT_STARTED])
            assert [u["update_type"] for u in raw["updates"]] == ["bot_started"]
            assert raw["marker"] == started
            poll = asyncio.create_task(client.get_updates(marker=started, timeout=30))
            await server.wait_for(lambda: server.polls == 2)
            await server.stop()
            assert (await asyncio.wait_for(poll, 3))["updates"] == []
        finally:
            await client.close_session()


async def test_send_with_keyboard_press_by_label_and_answer(fake: FakeMaxServer, bot: Bot) -> None:
    markup = keyboard(
        [CallbackButton(text="Записаться", payload="enroll:1"), CallbackButton(text="Нет", payload="no")],
        [LinkButton(text="Сайт", url="https://example.org")],
    )
    sent = await bot.send_message(chat_id=fake.chat_of(USER), text="Курс", attachments=[markup])
    assert sent is not None and sent.message.body is not None
    assert sent.message.sender is not None and sent.message.sender.is_bot
    assert sent.message.recipient.user_id == USER

    [message] = fake.messages_to(USER)
    assert message["body"]["text"] == "Курс" and fake.texts_to(USER) == ["Курс"]
    assert fake.labels(USER) == ["Записаться", "Нет", "Сайт"]
    rows = fake.buttons(USER)
    assert rows[0][0] == {
        "type": "callback",
        "text": "Записаться",
        "payload": "enroll:1",
        "intent": "default",
    }
    assert rows[1][0]["type"] == "link" and rows[1][0]["url"] == "https://example.org"

    callback_id = fake.press_button_label(USER, "Записаться")
    with pytest.raises(AssertionError):
        fake.press_button_label(USER, "Сайт")  # a link button makes no callback
    first = await bot.get_updates(timeout=0)
    [event] = await process_update_request(first, bot)
    assert isinstance(event, MessageCallback) and event.callback.payload == "enroll:1"
    assert not fake.answered(callback_id)
    result = await bot.send_callback(callback_id=callback_id, notification="Готово")
    assert result.success and fake.answered(callback_id)
    assert fake.callback_answers[-1]["notification"] == "Готово"

    # A reply of the user links the bot's message.
    mid = sent.message.body.mid
    fake.send_text(USER, "Спасибо", reply_to_mid=mid)
    [reply] = await process_update_request(await bot.get_updates(marker=first["marker"], timeout=0), bot)
    assert isinstance(reply, MessageCreated) and reply.message.link is not None
    assert reply.message.link.type == "reply" and reply.message.link.message.mid == mid

    # Edit and delete work on the stored message.
    assert (await bot.edit_message(message_id=mid, text="Курс (изменено)")).success  # type: ignore[union-attr]
    assert fake.texts_to(USER) == ["Курс (изменено)"]
    assert (await bot.delete_message(message_id=mid)).success
    assert fake.is_deleted(mid) and fake.last_bot_message(USER) is None


async def test_document_and_image_upload_flow(fake: FakeMaxServer, bot: Bot) -> None:
    doc = InputMediaBuffer(buffer=PDF, filename="report", type=UploadType.FILE)
    sent = await bot.send_message(user_id=USER, text="Отчёт", attachments=[doc])
    assert sent is not None
    assert [c["params"]["type"] for c in fake.calls("getUploadUrl")] == ["file"]
    [upload] = fake.uploads
    assert upload["type"] == "file" and upload["bytes"] == PDF and upload["size"] == len(PDF)
    # maxapi sniffs the content and appends the extension to the file name itself.
    assert upload["name"] == "report.pdf"
    assert upload["url"] == f"{fake.base_url}/upload/1"
    [att] = fake.attachments_to(USER)
    assert att["type"] == "file" and att["payload"]["token"] == upload["token"]
    assert att["filename"] == "report.pdf" and att["size"] == len(PDF)
    [send] = fake.calls("sendMessage")
    assert send["body"]["attachments"] == [{"type": "file", "payload": {"token": upload["token"]}}]

    await bot.send_message(
        user_id=USER, attachments=[InputMediaBuffer(buffer=PNG, filename="pic", type="image")]
    )
    image = fake.attachments_to(USER)[-1]
    assert image["type"] == "image" and image["payload"]["token"] == fake.uploads[-1]["token"]


async def test_attachment_not_ready_is_retried_by_maxapi(fake: FakeMaxServer, bot: Bot) -> None:
    fake.fail_next("sendMessage", 400, code="attachment.not.ready")
    doc = InputMediaBuffer(buffer=b"plain text body", filename="notes.txt", type=UploadType.FILE)
    await bot.send_message(user_id=USER, attachments=[doc])
    assert [c["status"] for c in fake.calls("sendMessage")] == [400, 200]
    assert len(fake.messages_to(USER)) == 1


async def test_validation_rules_of_the_platform(fake: FakeMaxServer, bot: Bot) -> None:
    # maxapi itself refuses len(text) >= 4000 before sending anything ...
    with pytest.raises(ValueError, match="4000"):
        await bot.send_message(user_id=USER, text="x" * 4000)
    # ... so the server-side limit is checked through maxapi's raw request path.
    with pytest.raises(MaxApiError) as too_long:
        await bot.request(
            HTTPMethod.POST,
            ApiPath.MESSAGES,
            SendedMessage,
            params={"user_id": USER},
            json={"text": "x" * 4001},
        )
    assert too_long.value.code == 400 and too_long.value.raw["code"] == "text.too.long"  # type: ignore[index]
    raw_ok = await bot.request(
        HTTPMethod.POST, ApiPath.MESSAGES, SendedMessage, params={"user_id": USER}, json={"text": "y" * 4000}
    )
    assert isinstance(raw_ok, SendedMessage)

    many_rows = keyboard(*[[CallbackButton(text=f"r{i}", payload=f"p{i}")] for i in range(31)])
    with pytest.raises(MaxApiError) as rows_err:
        await bot.send_message(user_id=USER, text="rows", attachments=[many_rows])
    assert rows_err.value.code == 400
    wide_row = keyboard([CallbackButton(text=f"b{i}", payload=f"p{i}") for i in range(8)])
    with pytest.raises(MaxApiError) as wide_err:
        await bot.send_message(user_id=USER, text="wide", attachments=[wide_row])
    assert wide_err.value.code == 400
    ok_grid = keyboard(*[[CallbackButton(text=f"{r}{c}", payload="p") for c in range(7)] for r in range(30)])
    await bot.send_message(user_id=USER, text="grid", attachments=[ok_grid])

    with pytest.raises(MaxApiError) as empty:
        await bot.send_message(user_id=USER)
    assert empty.value.code == 400
    # A dialog chat id is not the user id: mixing them up is a 404.
    with pytest.raises(MaxApiError) as wrong_chat:
        await bot.send_message(chat_id=USER, text="hi")
    assert wrong_chat.value.code == 404
    assert fake.texts_to(USER) == ["y" * 4000, "grid"]


async def test_blocked_user_gets_403(fake: FakeMaxServer, bot: Bot) -> None:
    fake.block_user(USER)
    with pytest.raises(MaxApiError) as blocked:
        await bot.send_message(user_id=USER, text="hi")
    assert blocked.value.code == 403 and blocked.value.raw["code"] == "chat.denied"  # type: ignore[index]
    with pytest.raises(MaxApiError):
        await bot.send_message(chat_id=fake.chat_of(USER), text="hi")
    fake.unblock_user(USER)
    await bot.send_message(user_id=USER, text="hi")
    assert fake.texts_to(USER) == ["hi"]


async def test_injected_faults_and_retries(fake: FakeMaxServer, bot: Bot) -> None:
    fake.fail_next("sendMessage", 429)
    with pytest.raises(MaxApiError) as limited:
        await bot.send_message(user_id=USER, text="a")
    assert limited.value.code == 429 and limited.value.raw["code"] == "too.many.requests"  # type: ignore[index]
    assert fake.rate_limited == 1
    # 502/503/504 are retried by maxapi's transport: one failure is invisible to the caller.
    fake.fail_next("getMe", 503)
    me = await bot.get_me()
    assert me.user_id == fake.bot_user_id and me.is_bot
    assert [c["status"] for c in fake.calls("getMe")] == [503, 200]
    # skip= lets the first call through.
    fake.fail_next("sendMessage", 500, skip=1)
    await bot.send_message(user_id=USER, text="first")
    with pytest.raises(MaxApiError) as failed:
        await bot.send_message(user_id=USER, text="second")
    assert failed.value.code == 500
    assert fake.texts_to(USER) == ["first"]


async def test_rate_limit_over_30_rps() -> None:
    async with FakeMaxServer(rate_limit=30) as limited:
        client = make_bot(limited)
        try:
            results = await asyncio.gather(
                *(client.send_message(user_id=USER, text=f"m{i}") for i in range(40)),
                return_exceptions=True,
            )
        finally:
            await client.close_session()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors and all(isinstance(e, MaxApiError) and e.code == 429 for e in errors)
    assert limited.rate_limited == len(errors) == 40 - len(limited.messages_to(USER))
    assert limited.peak_rps == 30


async def test_wrong_token_and_token_in_query(fake: FakeMaxServer) -> None:
    wrong = make_bot(fake, token="not-the-token")
    try:
        with pytest.raises(InvalidToken):
            await wrong.get_me()
    finally:
        await wrong.close_session()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.base_url}/me", params={"access_token": TOKEN}) as resp:
            assert resp.status == 401
            assert (await resp.json())["code"] == "verify.token"
        async with http.get(f"{fake.base_url}/me") as resp:
            assert resp.status == 401
    assert fake.tokens_in_query == 1


async def test_commands_are_recorded(fake: FakeMaxServer, bot: Bot) -> None:
    result = await bot.set_commands(BotCommand(name="start", description="Начать"), BotCommand(name="help"))
    assert [c.name for c in result.commands or []] == ["start", "help"]
    assert [c["name"] for c in fake.commands] == ["start", "help"]
    [call] = fake.calls("setCommands")
    assert call["http"] == "PATCH /me/commands"
    assert call["body"]["commands"] == [{"name": "start", "description": "Начать"}, {"name": "help"}]
    me = await bot.get_me()
    assert [c.name for c in me.commands or []] == ["start", "help"]


async def test_webhook_subscription_delivers_pushes(fake: FakeMaxServer, bot: Bot) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Max-Bot-Api-Secret")))
        fake.poke()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/max-hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK_HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://{LOOPBACK_HOST}:{port}/max-hook"
    try:
        with pytest.warns(UserWarning, match="HTTPS"):
            assert (await bot.subscribe_webhook(url, secret="s3cret-key")).success
        subs = await bot.get_subscriptions()
        assert [s.url for s in subs.subscriptions] == [url]
        with pytest.raises(MaxApiError) as conflict:
            await bot.get_updates(timeout=0)
        assert conflict.value.code == 409

        seq = fake.send_text(USER, "через вебхук")
        await fake.wait_for(lambda: received and not fake.pending_updates())
        [(update, secret)] = received
        assert secret == "s3cret-key"
        event = await process_update_webhook(update, bot)
        assert isinstance(event, MessageCreated) and event.message.body is not None
        assert event.message.body.text == "через вебхук"
        assert [(d["seq"], d["status"]) for d in fake.webhook_deliveries] == [(seq, 200)]

        await bot.unsubscribe_webhook(url)
        assert fake.subscription is None
        fake.send_text(USER, "снова long polling")
        raw = await bot.get_updates(timeout=0)
        assert [u["message"]["body"]["text"] for u in raw["updates"]] == ["снова long polling"]
        assert json.dumps(raw, ensure_ascii=False)  # plain JSON all the way
    finally:
        await runner.cleanup()

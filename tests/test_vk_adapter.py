"""The VK adapter over HTTP against the fake VK API: mapping, keyboards, errors, batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.messages import Button, DeliveryError, OutFile, Reply
from bot.settings import Settings
from messengers.vk import VkAdapter
from storage import persons
from tests.e2e.recorder import Recorder
from tests.e2e.vk import GROUP_ID, TOKEN, MemoryTs, make_adapter, vk_chat
from tests.fakes.vk_server import FakeVkServer

PEER = 3003


@pytest.fixture
async def fake() -> AsyncIterator[FakeVkServer]:
    async with FakeVkServer(group_id=GROUP_ID, token=TOKEN) as server:
        yield server


@pytest.fixture
async def adapter(fake: FakeVkServer) -> AsyncIterator[VkAdapter]:
    vk = make_adapter(Recorder(), fake, MemoryTs(fake))
    yield vk
    await vk.close()


async def listening(fake: FakeVkServer, core: Recorder, ts: MemoryTs, **kw: Any
                    ) -> tuple[VkAdapter, asyncio.Task[None]]:
    vk = make_adapter(core, fake, ts, **kw)
    before = fake.lp_requests
    task = asyncio.create_task(vk.run())
    await fake.wait_for(lambda: fake.lp_requests > before)
    return vk, task


async def test_events_become_incoming(fake: FakeVkServer) -> None:
    core, ts = Recorder(), MemoryTs(fake)
    vk, task = await listening(fake, core, ts, group_id=None)  # the group id is looked up
    fake.send_text(PEER, "Привет", lang_id=3)
    fake.send_doc(PEER, "План урока", "pdf", 2_000_000, text="мой план")
    fake.send_video(PEER, duration=700)
    fake.send_photo(PEER)
    fake.send_audio_message(PEER, duration=12)
    fake.send_sticker(PEER)
    fake.send_link(PEER, "https://disk.example.org/v/1")
    fake.send_text(PEER, "Москва", payload={"p": "f|application|6|tz|1"})
    geo = fake.send_text(PEER, "")
    geo["object"]["message"]["geo"] = {"type": "point", "coordinates": {"latitude": 1, "longitude": 2}}
    chat_message = fake.send_text(2_000_000_001, "всем привет")
    chat_message["object"]["message"]["from_id"] = PEER
    fake.press_callback(PEER, {"p": "app|1|ok"})
    await fake.wait_for(lambda: len(core.seen) == 10)
    text, doc, video, photo, voice, sticker, link, button, location, press = core.seen
    assert (text.platform, text.user_ref, text.chat_ref, text.text, text.language_code) == (
        "vk", str(PEER), str(PEER), "Привет", "en")
    assert text.update_ref and text.message_ref
    assert doc.file is not None and doc.text == "мой план"
    assert (doc.file.kind, doc.file.size, doc.file.mime, doc.file.name) == (
        "document", 2_000_000, "application/pdf", "План урока.pdf")
    assert doc.file.file_id.startswith(f"doc{PEER}_")
    assert video.file is not None and (video.file.kind, video.file.duration) == ("video", 700)
    assert photo.file is not None and photo.file.kind == "photo"
    assert voice.file is not None and (voice.file.kind, voice.file.duration) == ("voice", 12)
    assert sticker.file is not None and sticker.file.kind == "sticker"
    assert link.file is None and link.text == "https://disk.example.org/v/1"
    assert button.payload == "f|application|6|tz|1"
    assert location.unsupported == "location"
    assert press.payload == "app|1|ok" and press.message_ref
    assert [c["params"]["event_id"] for c in fake.calls("messages.sendMessageEventAnswer")] == [
        e["object"]["event_id"] for e in fake.events if e["type"] == "message_event"]
    await vk.stop()
    await task
    assert vk.group_id == GROUP_ID


async def test_keyboards_inline_regular_and_text(fake: FakeVkServer, adapter: VkAdapter) -> None:
    await adapter.send(str(PEER), Reply("Выберите", [[Button("Да", "yes"), Button("Сайт", url="https://e.org")]]))
    board = fake.keyboard_of(PEER)
    assert board is not None and board["inline"] is True
    assert [b["action"]["type"] for b in board["buttons"][0]] == ["callback", "open_link"]
    many = [[Button(f"Вариант {i} " + "с длинным-длинным названием", f"f|x|{i}")] for i in range(8)]
    await adapter.send(str(PEER), Reply("Какой?", many))
    board = fake.keyboard_of(PEER)
    assert board is not None and board["inline"] is False and len(board["buttons"]) == 8
    assert all(len(b["action"]["label"]) <= 40 for row in board["buttons"] for b in row)
    await adapter.send(str(PEER), Reply("Готово"))  # the regular keyboard is taken away
    assert fake.messages_to(PEER)[-1]["keyboard"] == {"buttons": [], "one_time": True}
    # A client without callback buttons gets text buttons, whose press is a message.
    adapter._callbacks_ok[PEER] = False
    await adapter.send(str(PEER), Reply("Ещё?", [[Button("Да", "yes")]]))
    board = fake.keyboard_of(PEER)
    assert board is not None and board["buttons"][0][0]["action"]["type"] == "text"


async def test_persistent_menu_returns_after_a_one_off_keyboard(
    fake: FakeVkServer, adapter: VkAdapter
) -> None:
    menu = [[Button("👉 Что дальше", "menu|next"), Button("⏰ Мои сроки", "menu|deadlines")]]
    await adapter.send(str(PEER), Reply("Меню внизу", keyboard=menu))
    shown = fake.keyboard_of(PEER)
    assert shown is not None and shown["inline"] is False and shown["one_time"] is False
    assert [b["action"]["type"] for b in shown["buttons"][0]] == ["callback", "callback"]
    await adapter.send(str(PEER), Reply("Спасибо"))  # a plain message leaves the menu alone
    assert "keyboard" not in fake.messages_to(PEER)[-1]
    many = [[Button(f"Вариант {i} " + "с длинным-длинным названием", f"f|x|{i}")] for i in range(8)]
    await adapter.send(str(PEER), Reply("Какой?", many))  # replaces the menu for one choice
    await adapter.send(str(PEER), Reply("Готово"))
    assert fake.messages_to(PEER)[-1]["keyboard"] == shown  # the menu is back, not an empty field
    await adapter.send(str(PEER), Reply("Меню больше не нужно", keyboard=[]))
    assert fake.messages_to(PEER)[-1]["keyboard"] == {"buttons": [], "one_time": True}


async def test_long_text_split_file_upload_and_idempotent_resend(
    fake: FakeVkServer, adapter: VkAdapter
) -> None:
    paragraph = ("Слово " * 500).strip()
    reply = Reply("\n\n".join([paragraph] * 3), [[Button("Да", "yes")]])
    fake.fail_next("messages.send", 10, skip=1)
    with pytest.raises(DeliveryError) as failed:
        await adapter.send(str(PEER), reply, idem=11)
    assert not failed.value.permanent
    await adapter.send(str(PEER), reply, idem=11)
    assert fake.texts_to(PEER) == [paragraph] * 3  # part one was not delivered twice
    assert len(fake.duplicates) == 1
    assert [("keyboard" in m and m["keyboard"] is not None) for m in fake.messages_to(PEER)] == [
        False, False, True]
    await adapter.send(str(PEER), Reply("Ваш отчёт", file=OutFile("report.csv", data=b"a;b\n")))
    sent = fake.messages_to(PEER)[-1]
    assert sent["attachment"].startswith(f"doc-{GROUP_ID}_") and sent["message"] == "Ваш отчёт"
    [upload] = fake.uploads.values()
    assert upload["size"] == 4


async def test_error_mapping(fake: FakeVkServer, adapter: VkAdapter) -> None:
    cases = [
        ({"code": 901}, True, None),
        ({"code": 902}, True, None),
        ({"code": 6}, False, 1.0),
        ({"code": 9}, False, 60.0),
        ({"code": 10}, False, None),
        ({"code": 1, "http_status": 502}, False, None),
    ]
    for fault, permanent, retry_after in cases:
        fake.fail_next("messages.send", **fault)
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(str(PEER), Reply("hi"))
        assert (caught.value.permanent, caught.value.retry_after) == (permanent, retry_after), fault
    with pytest.raises(DeliveryError) as too_long:
        await adapter.send(str(PEER), Reply("hi", [[Button("x", "p" * 65)]]))
    assert not too_long.value.permanent
    assert fake.delivered == []


async def test_send_batch_with_peer_ids(fake: FakeVkServer, adapter: VkAdapter) -> None:
    assert (adapter.max_batch, adapter.rate_per_s) == (100, 20.0)
    fake.block_user(12)
    notice = Reply("Завтра вебинар", [[Button("Ок", "ok")]])
    result = await adapter.send_batch(["11", "12", "13"], notice, idem=5)
    assert isinstance(result["11"], str) and isinstance(result["13"], str)
    assert isinstance(result["12"], DeliveryError) and result["12"].permanent
    [call] = fake.calls("messages.send")
    assert call["params"]["peer_ids"] == [11, 12, 13]
    again = await adapter.send_batch(["11", "13"], notice, idem=5)
    assert again == {"11": result["11"], "13": result["13"]}
    assert [d["peer_id"] for d in fake.delivered] == [11, 13]  # the resend was dropped by random_id
    fake.fail_next("messages.send", 10)
    failed = await adapter.send_batch(["14", "15"], Reply("x"), idem=6)
    assert all(isinstance(v, DeliveryError) and not v.permanent for v in failed.values())
    with pytest.raises(ValueError):
        await adapter.send_batch([str(i) for i in range(101)], Reply("x"))


async def test_long_poll_recovers_and_resumes_after_restart(fake: FakeVkServer) -> None:
    core, ts = Recorder(), MemoryTs(fake)
    vk, task = await listening(fake, core, ts)
    fake.fail_longpoll(2)  # key expired: a new key, same ts
    fake.send_text(PEER, "один")
    await fake.wait_for(lambda: len(core.seen) == 1)
    fake.fail_longpoll(3)  # history lost: a new key and ts
    await fake.wait_for(lambda: fake.listening_again)  # events before the new ts are lost, as on VK
    fake.send_text(PEER, "два")
    await fake.wait_for(lambda: len(core.seen) == 2)
    await vk.stop()
    await task
    fake.send_text(PEER, "пока бот был выключен")
    vk2, task2 = await listening(fake, core, ts)
    await fake.wait_for(lambda: len(core.seen) == 3)
    assert [i.text for i in core.seen] == ["один", "два", "пока бот был выключен"]
    await vk2.stop()
    await task2


async def test_throttle_keeps_a_community_under_its_rate() -> None:
    async with FakeVkServer(group_id=GROUP_ID, token=TOKEN, rate_limit_per_s=20) as fake:
        vk = make_adapter(Recorder(), fake, MemoryTs(fake))
        await asyncio.gather(*(vk.send(str(100 + i), Reply("hi")) for i in range(25)))
        assert fake.count_rate_errors == 0 and len(fake.delivered) == 25
        assert fake.max_requests_per_s <= 20


async def test_blocked_user_is_unreachable(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        vk.fake.block_user(5005)
        assert await vk.say(5005, "/start") == []
        async with vk.app.s.db.read() as conn:
            account = await persons.find_account_by_chat(conn, "vk", "5005")
        assert account is not None and account.unreachable
        clock.advance(timedelta(hours=1))
        assert await vk.app.s.delivery.run_once() == 0


async def test_timeouts_and_outbox_retries_over_the_app(settings: Settings, clock: FakeClock) -> None:
    async with FakeVkServer(group_id=GROUP_ID, token=TOKEN) as fake:
        slow = make_adapter(Recorder(), fake, MemoryTs(fake), timeout=(1.0, 0.3))
        fake.delay_next("messages.send", 0.6)
        with pytest.raises(DeliveryError) as hung:
            await slow.send(str(PEER), Reply("hi"))
        assert not hung.value.permanent and "network" in str(hung.value)
    async with vk_chat(settings, clock) as vk:
        vk.fake.fail_next("messages.send", 10, times=2)
        assert await vk.say(6006, "/start") == []
        for _ in range(3):
            clock.advance(timedelta(minutes=5))
            await vk.app.s.delivery.run_once()
        texts = vk.fake.texts_to(6006)
        assert any("Цифровая педагогическая интернатура" in t for t in texts)
        assert len(texts) == len(set(texts)) and vk.fake.duplicates == []
        async with vk.app.s.db.read() as conn:
            account = await persons.find_account(conn, "vk", "6006")
        assert account is not None and account.display_name == "User6006 Test"


async def test_telegram_style_refs_are_refused_permanently(adapter: VkAdapter) -> None:
    with pytest.raises(DeliveryError) as caught:
        await adapter.send("alice", Reply("hi"))
    assert caught.value.permanent


async def test_rejected_token_ends_the_adapter_and_vk_down_at_start_is_waited_for(fake: FakeVkServer) -> None:
    wrong = VkAdapter(Recorder(), token="vk1.wrong", api_url=fake.base_url)  # type: ignore[arg-type]
    await asyncio.wait_for(wrong.run(), 5)  # error 5 from groups.getById: returns, logged
    assert fake.calls("groups.getById")[-1]["code"] == 5
    core = Recorder()
    flaky = make_adapter(core, fake, MemoryTs(fake), group_id=None)
    fake.fail_next("groups.getById", http_status=502)
    task = asyncio.create_task(flaky.run())
    await fake.wait_for(lambda: fake.lp_requests > 0, 10)  # retried after 1 s, then listening
    fake.send_text(PEER, "hi")
    await fake.wait_for(lambda: core.seen)
    await flaky.stop()
    await task

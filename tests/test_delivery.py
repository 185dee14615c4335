"""Delivery within the messengers' limits: pacing, per-chat spacing, 429, errors, batches, restarts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.context import notify
from bot.delivery import WINDOW_S, Limits, Pace
from bot.messages import DeliveryError, Reply
from bot.settings import Settings
from storage import outbox, persons
from tests.conftest import ConsoleChat
from tests.fake_messenger import FakeMessenger


async def people(app: App, platform: str, count: int) -> list[int]:
    now = app.clock.now()
    found = []
    async with app.s.db.transaction() as conn:
        for n in range(count):
            account, _ = await persons.ensure_account(
                conn, now, platform=platform, user_ref=f"u{n}", chat_ref=f"c{n}",
                display_name=None, language_code="ru", locale="ru",
            )
            found.append(account.person_id)
    return found


async def announce(app: App, who: list[int], text: str, key: str, **extra: object) -> None:
    async with app.s.db.transaction() as conn:
        for person in who:
            await notify(conn, app.s, person, f"{key}:{person}", lambda lang: Reply(text),
                         now=app.clock.now(), kind="broadcast", **extra)  # type: ignore[arg-type]


async def drain(app: App) -> None:
    while await app.s.delivery.run_once():
        pass


async def status(app: App, key: str) -> outbox.Status:
    async with app.s.db.read() as conn:
        found = await outbox.status_of(conn, key)
    assert found is not None
    return found


async def test_a_call_starts_a_full_window_after_the_call_30_back_ended() -> None:
    """However long each call takes, no 31 calls can arrive at the server within one second."""
    now = [0.0]
    spans: list[tuple[float, float]] = []

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    pace = Pace(Limits(30), FakeClock(), monotonic=lambda: now[0], sleep=fake_sleep)
    for n in range(95):
        async with pace.call():
            start = now[0]
            now[0] += 0.02 if n % 7 else 0.2  # network latency, sometimes slow
        spans.append((start, now[0]))
    for i in range(len(spans) - 30):
        assert spans[i + 30][0] - spans[i][1] >= WINDOW_S - 1e-9, "31 calls could meet in one second"
    assert spans[-1][1] < 4 * (WINDOW_S + 0.2), "no slower than the rate needs"


async def test_background_messages_to_one_chat_are_spaced_a_second_apart(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    [ann, bob] = await people(app, "telegram", 2)
    await announce(app, [ann, bob], "первое", "one")
    await announce(app, [ann], "второе", "two")
    assert await app.s.delivery.run_once() == 2
    assert tg.texts_to("c0") == ["первое"] and tg.texts_to("c1") == ["первое"]
    assert await app.s.delivery.run_once() == 0  # ann's second waits for her chat's second
    clock.advance(seconds=1)
    await drain(app)
    assert tg.texts_to("c0") == ["первое", "второе"]


async def test_429_holds_the_messenger_for_retry_after(chat: ConsoleChat, clock: FakeClock) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    who = await people(app, "telegram", 3)
    await announce(app, who, "новость", "news")
    tg.failures.append(DeliveryError("Too Many Requests: retry after 5", retry_after=5))
    assert await app.s.delivery.run_once() == 1
    assert tg.accepted == {}
    clock.advance(seconds=4)
    assert await app.s.delivery.run_once() == 0, "held: nothing is tried before retry_after"
    clock.advance(seconds=1)
    await drain(app)
    assert len(tg.accepted) == 3 and len(tg.calls) == 4
    first = await status(app, f"news:{who[0]}")
    assert (first.status, first.attempts) == ("sent", 2)


async def test_5xx_and_timeouts_are_retried_with_backoff(chat: ConsoleChat, clock: FakeClock) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    [ann] = await people(app, "telegram", 1)
    await announce(app, [ann], "новость", "news")
    tg.failures.extend([DeliveryError("502 Bad Gateway"), TimeoutError(), DeliveryError("500")])
    await app.s.delivery.run_once()
    after_one = await status(app, f"news:{ann}")
    assert after_one.status == "pending" and after_one.not_before == clock.now() + timedelta(seconds=1)
    clock.advance(seconds=1)
    await app.s.delivery.run_once()
    assert "TimeoutError" in ((await status(app, f"news:{ann}")).error or "")
    clock.advance(seconds=2)
    await app.s.delivery.run_once()
    assert (await status(app, f"news:{ann}")).not_before == clock.now() + timedelta(seconds=4)
    clock.advance(seconds=4)
    await drain(app)
    done = await status(app, f"news:{ann}")
    assert (done.status, done.attempts, done.error) == ("sent", 4, None)
    assert tg.texts_to("c0") == ["новость"]


async def test_a_blocked_user_is_marked_unreachable_and_never_retried(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    [ann, bob] = await people(app, "telegram", 2)
    tg.blocked.add("c0")
    await announce(app, [ann, bob], "новость", "news")
    await drain(app)
    clock.advance(hours=1)
    await drain(app)
    assert (await status(app, f"news:{ann}")).status == "unreachable"
    assert (await status(app, f"news:{bob}")).status == "sent"
    assert [c for c in tg.calls if c == ("c0",)] == [("c0",)]
    async with app.s.db.read() as conn:
        [account] = await persons.accounts_of(conn, ann)
        counts = await outbox.status_counts(conn, "news:")
    assert account.unreachable
    assert counts == {"unreachable": 1, "sent": 1}


async def test_vk_sends_one_text_to_many_peers_per_call(chat: ConsoleChat, clock: FakeClock) -> None:
    app = chat.app
    vk = FakeMessenger("vk", batch=100)
    app.s.delivery.register(vk)
    who = await people(app, "vk", 255)
    vk.blocked.add("c7")
    await announce(app, who[:250], "общая новость", "all")
    await announce(app, who[250:], "другая новость", "other")
    await drain(app)
    sizes = sorted(len(c) for c in vk.calls)
    assert sizes == [5, 50, 100, 100]
    assert len(vk.accepted) == 254
    async with app.s.db.read() as conn:
        assert await outbox.status_counts(conn, "all:") == {"sent": 249, "unreachable": 1}


async def test_a_reminder_that_would_arrive_too_late_is_dropped(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    [ann] = await people(app, "telegram", 1)
    await announce(app, [ann], "через час встреча", "soon", expires_at=clock.now() + timedelta(hours=1))
    tg.failures.extend([DeliveryError("503")] * 20)
    await app.s.delivery.run_once()
    clock.advance(hours=2)
    await drain(app)
    assert (await status(app, f"soon:{ann}")).status == "cancelled"
    assert tg.accepted == {}


async def test_pause_survives_a_restart_and_holds_everything_but_replies(
    settings: Settings, clock: FakeClock
) -> None:
    app = await App(settings, clock=clock).start(background=False)
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    who = await people(app, "telegram", 2)
    await app.s.delivery.set_paused(True)
    await announce(app, who, "новость", "news")
    await app.stop()

    app = await App(settings, clock=clock).start(background=False)
    app.s.delivery.register(tg)
    assert await app.s.delivery.run_once() == 0 and tg.accepted == {}
    await app.s.delivery.set_paused(False)
    await drain(app)
    assert len(tg.accepted) == 2
    await app.stop()


async def test_restart_in_the_middle_of_a_delivery_loses_nothing_and_repeats_nothing(
    settings: Settings, clock: FakeClock
) -> None:
    app = await App(settings, clock=clock).start(background=False)
    vk = FakeMessenger("vk")
    app.s.delivery.register(vk)
    who = await people(app, "vk", 3)
    await announce(app, who, "новость", "news")
    vk.crash_after_accepting = asyncio.CancelledError()  # the process dies after the server took it
    with pytest.raises(asyncio.CancelledError):
        await app.s.delivery.run_once()
    await app.stop()
    inflight = app.s.delivery.paces["vk"].limits.max_inflight
    assert 1 <= len(vk.accepted) <= inflight

    app = await App(settings, clock=clock).start(background=False)
    app.s.delivery.register(vk)
    await drain(app)
    assert sorted(chat for chat, _ in vk.accepted) == ["c0", "c1", "c2"]
    assert len(vk.calls) <= 3 + inflight, "only messages in flight at the crash were sent again"
    async with app.s.db.read() as conn:
        assert await outbox.status_counts(conn, "news:") == {"sent": 3}
    await app.stop()


async def test_calls_overlap_up_to_max_inflight_and_each_chat_keeps_its_order(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    tg.max_inflight = 3  # type: ignore[attr-defined]
    app.s.delivery.register(tg)
    running, peak = 0, 0
    original = tg.send

    async def slow_send(chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)  # a network round trip: other lanes get to start
        await asyncio.sleep(0)
        running -= 1
        return await original(chat_ref, reply, idem=idem)

    tg.send = slow_send  # type: ignore[method-assign]
    who = await people(app, "telegram", 9)
    await announce(app, who, "первое", "one")
    await announce(app, who, "второе", "two")
    await drain(app)
    clock.advance(seconds=1)
    await drain(app)
    assert peak == 3
    assert all(tg.texts_to(f"c{n}") == ["первое", "второе"] for n in range(9))


async def test_replies_wait_too_while_the_messenger_is_held(chat: ConsoleChat, clock: FakeClock) -> None:
    app = chat.app
    tg = FakeMessenger("telegram")
    app.s.delivery.register(tg)
    who = await people(app, "telegram", 2)
    await announce(app, who[:1], "новость", "news")
    tg.failures.append(DeliveryError("Too Many Requests: retry after 5", retry_after=5))
    await app.s.delivery.run_once()
    async with app.s.db.transaction() as conn:
        row_id = await outbox.enqueue(conn, idem_key="r:1", person_id=who[1], platform="telegram",
                                      chat_ref="c1", reply=Reply("ответ"), now=clock.now())
        assert row_id is not None
        written = await outbox.by_ids(conn, [row_id])
    await app.s.delivery.flush(written)
    assert len(tg.calls) == 1, "no call while held"
    clock.advance(seconds=5)
    await drain(app)
    assert tg.texts_to("c1") == ["ответ"] and tg.texts_to("c0") == ["новость"]

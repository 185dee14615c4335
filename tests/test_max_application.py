"""MAX end to end over HTTP: the real app, the real maxapi client, the fake MAX Bot API.

The application from «Начать» to the coordinator's approval, the menu, callback answers
(stale buttons too), an invitation by a start link, a calendar file uploaded then
attached, and MAX's limits (long texts, wide and long keyboards) as the platform checks
them.
"""

from __future__ import annotations

import logging

import pytest

from bot.clock import FakeClock
from bot.messages import Button, DeliveryError, OutFile, Reply
from bot.settings import Settings
from storage import applications, persons
from tests.conftest import APPLICATION
from tests.e2e.max import COORDINATOR, TOKEN, max_chat

INTERN = 2002


async def test_intern_applies_in_max_and_coordinator_approves(settings: Settings, clock: FakeClock) -> None:
    async with max_chat(settings, clock) as mx:
        fake = mx.fake
        first = await mx.start(INTERN, name="Мария Иванова")
        assert "Цифровая педагогическая интернатура" in first[0]
        assert "Вопрос 1 из 7" in first[-1]
        for answer in APPLICATION:
            await mx.say(INTERN, answer)
        await mx.press(INTERN, "Москва (МСК)")
        summary = await mx.press(INTERN, mx.labels(INTERN)[0])
        assert "Иванова Мария Петровна" in summary[-1]
        done = await mx.press(INTERN, mx.labels(INTERN)[0])
        assert any("Заявка отправлена" in t for t in done)

        card = fake.texts_to(COORDINATOR)
        assert len(card) == 1 and "Новая заявка №1" in card[0]
        kinds = [b["type"] for row in fake.buttons(COORDINATOR) for b in row]
        assert kinds == ["callback", "callback", "callback"]
        approved = await mx.press(COORDINATOR, "✅ Одобрить")
        assert "одобрена" in approved[-1]
        told = fake.texts_to(INTERN)
        assert any("одобрена" in t and "https://zoom.example.org/j/1000000001" in t for t in told)

        # MAX has no keyboard under the input field: the menu comes as inline buttons
        assert mx.labels(INTERN)[:2] == ["👉 Что дальше", "⏰ Мои сроки"]
        deadlines = await mx.press(INTERN, "⏰ Мои сроки")
        assert len(deadlines) == 1 and "Ваши сроки" in deadlines[0]
        typed = await mx.say(INTERN, "что дальше")  # a key's words typed work as the key
        assert typed and typed == await mx.press(INTERN, "👉 Что дальше")

        # every press was answered, so no button keeps spinning; a stale one too
        stale = await mx.press_data(INTERN, "app|1|ok")
        assert stale, "a stale button gets an answer in the chat"
        pressed = [u["callback"]["callback_id"] for u in fake.updates if "callback" in u]
        assert pressed and all(fake.answered(cid) for cid in pressed)

        assert all(c["ok"] for c in fake.calls()), [c for c in fake.calls() if not c["ok"]]
        assert fake.tokens_in_query == 0 and fake.rate_limited == 0
        names = [c["name"] for c in fake.commands] if fake.commands else []
        assert "start" in names and "help" in names
        async with mx.app.s.db.read() as conn:
            app = await applications.get(conn, 1)
            assert app is not None and app.status == "approved"
            account = await persons.find_account_by_chat(conn, "max", str(INTERN))
            assert account is not None and account.person_id == app.person_id
            assert account.display_name == "Мария Иванова"


async def test_invitation_by_a_start_link_makes_a_tutor(settings: Settings, clock: FakeClock) -> None:
    async with max_chat(settings, clock) as mx:
        await mx.start(COORDINATOR)
        await mx.say(COORDINATOR, "/invite")
        await mx.press(COORDINATOR, mx.labels(COORDINATOR)[0])  # the first role offered
        async with mx.app.s.db.read() as conn:
            rows = await conn.execute_fetchall("SELECT code, role FROM invites")
        (code, role), = rows
        welcome = await mx.start(3001, f"inv-{code}", name="Тимур Тьюторов")  # max.ru/<bot>?start=inv-…
        assert welcome
        async with mx.app.s.db.read() as conn:
            account = await persons.find_account(conn, "max", "3001")
            assert account is not None
            assert role in await persons.roles_of(conn, account.person_id)


async def test_limits_files_and_errors_as_the_platform_checks_them(
    settings: Settings, clock: FakeClock
) -> None:
    async with max_chat(settings, clock) as mx:
        fake, adapter = mx.fake, mx.adapter
        await mx.start(INTERN)
        long_text = ("Абзац о правилах интернатуры. " * 40 + "\n\n") * 12  # ~14,000 characters
        rows = [[Button(f"{r}.{c}", f"x|{r}|{c}") for c in range(9)] for r in range(40)]
        await adapter.send(str(INTERN), Reply(long_text, buttons=rows), idem=1)
        sent = fake.messages_to(INTERN)[-5:]
        texts = [m["body"]["text"] for m in sent]
        assert all(len(t) < 4000 for t in texts)
        boards = [b for m in sent for a in m["body"].get("attachments") or []
                  if a["type"] == "inline_keyboard" for b in [a["payload"]["buttons"]]]
        assert all(len(b) <= 30 and all(len(row) <= 7 for row in b) for b in boards)
        labels = [btn["text"] for b in boards for row in b for btn in row]
        assert labels == [f"{r}.{c}" for r in range(40) for c in range(9)]  # all, once, in order

        # a file: uploaded (upload URL, then the upload), then attached by its token
        data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
        await adapter.send(str(INTERN), Reply("Встреча", file=OutFile("meeting.ics", data=data,
                                                                       mime="text/calendar")), idem=2)
        upload = fake.uploads[-1]
        assert upload["name"] == "meeting.ics" and upload["bytes"] == data
        files = [a for a in fake.messages_to(INTERN)[-1]["body"]["attachments"] if a["type"] == "file"]
        assert files and files[0]["payload"]["token"] == upload["token"]

        # errors become what the outbox does: 429 waits, 5xx retried, a blocked person is gone
        fake.fail_next("sendMessage", 429)
        try:
            await adapter.send(str(INTERN), Reply("x"))
        except DeliveryError as exc:
            assert exc.retry_after and not exc.permanent
        else:
            raise AssertionError("a 429 must not pass as sent")
        fake.fail_next("sendMessage", 500)
        try:
            await adapter.send(str(INTERN), Reply("x"))
        except DeliveryError as exc:
            assert not exc.permanent and not exc.retry_after
        fake.block_user(INTERN)
        try:
            await adapter.send(str(INTERN), Reply("x"))
        except DeliveryError as exc:
            assert exc.permanent
        assert fake.tokens_in_query == 0
        assert TOKEN not in str(fake.calls()[-1]["params"])


@pytest.mark.filterwarnings("ignore:URL вебхука не использует HTTPS")  # loopback, the test server
async def test_webhook_mode_subscribes_with_a_secret_and_refuses_forged_posts(
    settings: Settings, clock: FakeClock, unused_tcp_port: int
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/max/hook"
    kw = {"webhook_url": url, "webhook_secret": "s3cr3t-max",
          "webhook_listen": f"127.0.0.1:{unused_tcp_port}"}
    async with max_chat(settings, clock, adapter_kw=kw) as mx:
        fake = mx.fake
        assert fake.subscription is not None and fake.subscription["url"] == url
        assert fake.subscription["secret"] == "s3cr3t-max" and fake.polls == 0
        seq = fake.bot_started(INTERN)
        await mx.handled(seq)
        assert "Цифровая педагогическая интернатура" in fake.texts_to(INTERN)[0]
        assert [d["status"] for d in fake.webhook_deliveries] == [200]
        # someone who does not know the secret is refused and nothing is handled
        forged = fake.build_text_message(INTERN, "/help")
        for secret in (None, "wrong-secret"):
            status, _ = await fake.post_update_to(url, forged, secret)
            assert status == 403
        sent = len(fake.texts_to(INTERN))
        status, _ = await fake.post_update_to(url, forged, "s3cr3t-max")
        assert status == 200 and len(fake.texts_to(INTERN)) > sent


async def test_an_update_maxapi_cannot_read_is_skipped_without_personal_data_in_the_log(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with max_chat(settings, clock) as mx:
        broken = mx.fake.build_text_message(INTERN, "Мой телефон +7 900 123-45-67", name="Секретова Анна")
        del broken["message"]["recipient"]  # a field MAX always sends, missing
        seq = mx.fake.push_update(broken)
        await mx.handled(seq)
        assert "could not be read" in caplog.text
        assert "Секретова" not in caplog.text and "123-45-67" not in caplog.text
        answered = await mx.start(INTERN)  # the polling goes on
        assert "Цифровая педагогическая интернатура" in answered[0]

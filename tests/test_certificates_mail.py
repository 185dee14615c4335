"""Certificates by e-mail against a real SMTP server (aiosmtpd) started by the test.

The message arrives with the PDF attached (MIME type, file name), subject and body in
Russian (UTF-8); a 421 is retried with backoff, a 550 is failed and listed in
/certificates; a stop between issuing and sending sends exactly once after the restart.
"""

from __future__ import annotations

import email
import email.policy
import io
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from messengers.registry import email_adapter
from storage import outbox
from tests.cohort import seed_intern
from tests.conftest import make_chat
from tests.test_certificates import NAME, complete, drain


class Mailbox:
    """An SMTP handler: keeps what it accepted; answers 421 or 550 for some recipients."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refusals = {"busy@example.ru": "421 4.3.2 Try again later",
                         "nobody@example.ru": "550 5.1.1 No such user"}
        self.busy_times = 2

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        answer = self.refusals.get(address)
        if answer and answer.startswith("421") and self.busy_times > 0:
            self.busy_times -= 1
            return answer
        if answer and answer.startswith("550"):
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's controller needs to know it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def with_smtp(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
        "smtp_from": "Интернатура <noreply@example.org>", "smtp_user": "", "smtp_password": "",
    })


async def start(settings: Settings, clock: FakeClock):  # type: ignore[no-untyped-def]
    app, chat = await make_chat(settings, clock)
    mail = email_adapter(settings)
    app.s.delivery.register(mail)
    return app, chat, mail


async def test_the_certificate_arrives_by_mail_with_the_pdf(
    settings: Settings, clock: FakeClock, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, chat, mail = await start(with_smtp(settings, port), clock)
    try:
        pid = await seed_intern(app, "ann", name=NAME, email="ann@example.ru")
        await complete(app, pid)
        await drain(app)
        assert len(box.messages) == 1
        message = box.messages[0]
        assert message["To"] == "ann@example.ru" and "noreply@example.org" in message["From"]
        assert message["Subject"] == "Сертификат № DPI-2026-00001 — Цифровая педагогическая интернатура"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None and body.get_content_charset() == "utf-8"
        content = body.get_content()
        assert f"Здравствуйте, {NAME}!" in content and "/verify DPI-2026-00001" in content
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1
        pdf = attachments[0]
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_filename() == "certificate-DPI-2026-00001.pdf"
        text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
        assert NAME in " ".join(text.split())
        screen = (await chat.say("/certificates", "alice"))[-1].text
        assert "отправлено на почту: 1" in screen and "SMTP не настроено" not in screen
    finally:
        await app.stop()
        await mail.close()


async def test_a_421_is_retried_and_a_550_is_failed_and_listed(
    settings: Settings, clock: FakeClock, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app, chat, mail = await start(with_smtp(settings, port), clock)
    try:
        busy = await seed_intern(app, "busy", name="Занятова Зоя", email="busy@example.ru")
        gone = await seed_intern(app, "gone", name="Пропащев Пётр", email="nobody@example.ru")
        await complete(app, busy)
        await complete(app, gone)
        await drain(app)
        assert box.messages == []
        async with app.s.db.read() as conn:
            retry = await outbox.status_of(conn, "cert:mail:DPI-2026-00001")
            failed = await outbox.status_of(conn, "cert:mail:DPI-2026-00002")
        assert retry is not None and retry.status == "pending" and retry.attempts == 1
        assert retry.not_before > clock.now()  # backing off, not hammering the server
        assert failed is not None and failed.status == "unreachable" and "550" in (failed.error or "")
        for _ in range(3):
            clock.advance(timedelta(minutes=5))
            await drain(app)
        assert [m["To"] for m in box.messages] == ["busy@example.ru"]
        async with app.s.db.read() as conn:
            done = await outbox.status_of(conn, "cert:mail:DPI-2026-00001")
        assert done is not None and done.status == "sent" and done.attempts == 3
        screen = (await chat.say("/certificates", "alice"))[-1].text
        assert "ошибок почты: 1" in screen and "Пропащев Пётр" in screen and "nobody@example.ru" in screen
    finally:
        await app.stop()
        await mail.close()


async def test_a_stop_between_issuing_and_sending_sends_exactly_once(
    settings: Settings, clock: FakeClock, smtp: tuple[Mailbox, int]
) -> None:
    """The first run issues (registry row + outbox rows in one transaction) and stops before
    anything is drawn or sent; the second, on the same database, draws and sends each once."""
    box, port = smtp
    configured = with_smtp(settings, port)
    first = await App(configured, clock=clock).start(background=False)
    pid = await seed_intern(first, "ann", name=NAME, email="ann@example.ru")
    await complete(first, pid)
    await first.stop()  # no messenger or mail registered: nothing went out
    assert box.messages == []

    for _ in range(2):  # two restarts: the second must find nothing left to send
        app, chat, mail = await start(configured, clock)
        try:
            await drain(app)
        finally:
            await app.stop()
            await mail.close()
    assert len(box.messages) == 1
    assert [r.file.name for r in chat.all("ann") if r.file] == []  # that chat object is the second run's

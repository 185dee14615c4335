"""The whole path over the fake Telegram and VK servers, with the real client libraries: an
intern whose requirements are met confirms the name at the final stage in the chat and
receives the certificate there as a PDF document (read back with pypdf)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from storage import stages
from tests.cohort import seed_intern
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import vk_chat
from tests.internship_cohort import BEFORE_START
from tests.test_internship_telegram import press_data, tick

NAME = "Глебова Галина Петровна"


async def requirements_met(app: App, pid: int) -> None:
    """Everything but the final confirmation done (the stages themselves are tested elsewhere)."""
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        for stage in app.s.programme.completion:
            await stages.set_status(conn, pid, stage, "accepted", now)


def text_of(pdf: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


async def test_the_certificate_arrives_in_telegram(settings: Settings, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    async with telegram_chat(settings, clock) as tg:
        pid = await seed_intern(tg.app, "2003", name=NAME, platform="telegram")
        await requirements_met(tg.app, pid)
        clock.set(tg.app.s.programme.moment("start+29d 19:00"))
        await tick(tg, clock)  # the final stage opens with its announcement
        await press_data(tg, 2003, "go|final")
        done = await tg.press(2003, "✅ Всё верно")
        assert any("2003@example.ru" in t for t in done)
        await tick(tg, clock)
        documents = [m for m in tg.fake.messages_to(2003) if isinstance(m.get("document"), dict)]
        assert len(documents) == 1
        doc = documents[0]["document"]
        assert doc["filename"] == "certificate-DPI-2026-00001.pdf" and doc["size"] > 5000
        assert NAME in text_of(doc["data"]) and "DPI-2026-00001" in text_of(doc["data"])
        assert "сертификат № DPI-2026-00001" in documents[0]["caption"]
        verify = await tg.say(2003, "/verify DPI-2026-00001")
        assert "действителен" in verify[-1] and NAME in verify[-1]


async def test_the_certificate_arrives_in_vk(settings: Settings, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    async with vk_chat(settings, clock) as vk:
        pid = await seed_intern(vk.app, "2005", name=NAME, platform="vk")
        await requirements_met(vk.app, pid)
        clock.set(vk.app.s.programme.moment("start+29d 19:00"))
        await vk.app.s.scheduler.tick()
        for _ in range(5):
            await vk.app.s.delivery.run_once()
            clock.advance(seconds=1)
        await vk.press(2005, "📜 Данные для сертификата")
        await vk.press(2005, "✅ Всё верно")
        for _ in range(5):
            await vk.app.s.delivery.run_once()
            clock.advance(seconds=1)
        sent = [p for p in vk.fake.messages_to(2005) if "doc" in str(p.get("attachment") or "")]
        assert len(sent) == 1 and "DPI-2026-00001" in str(sent[0].get("message"))
        uploads = [u for u in vk.fake.uploads.values() if u["filename"].endswith(".pdf")]
        assert len(uploads) == 1  # vk_api names the part file0.pdf; the title goes to docs.save
        assert NAME in text_of(uploads[0]["data"])

"""Certificates: the PDF read back, the registry and /verify, /certificates and its roles.

Console chat on the fake clock; e-mail and messenger paths are in test_certificates_mail.py
and test_certificates_messengers.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from handlers.certificates import design, issuing, pdf, verification
from handlers.certificates.pdf import render
from handlers.internship import completion_notice
from storage import certificates, persons, stages
from tests.cohort import seed_intern
from tests.conftest import ConsoleChat, make_chat

NAME = "Ёлкина Юлия Щукина-Эйдельман"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


async def complete(app: App, pid: int, *, confirm: bool = True) -> None:
    """Every completion requirement met (and the name confirmed), as the stages would leave it."""
    programme = app.s.programme
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        for stage in programme.completion:
            await stages.set_status(conn, pid, stage, "accepted", now)
        if confirm:
            await stages.set_status(conn, pid, "final", "submitted", now)
        await completion_notice.after_change(conn, app.s, pid, now)


async def drain(app: App) -> None:
    for _ in range(5):
        await app.s.delivery.run_once()


def documents(chat: ConsoleChat, user: str) -> list[bytes]:
    return [r.file.data for r in chat.all(user) if r.file is not None and r.file.data
            and r.file.name.endswith(".pdf")]


def test_the_pdf_reads_back_with_the_cyrillic_name_and_the_number(settings: Settings) -> None:
    from bot.i18n import Texts
    from scenarios.loader import load_programme

    programme = load_programme(settings.program_file)
    facts = design.Facts("DPI-2026-00042", NAME, datetime(2027, 1, 4, 10, tzinfo=UTC))
    sheet = design.sheet(programme, settings, Texts(), facts)
    data = render(sheet)
    assert data.startswith(b"%PDF-") and len(data) < 60_000
    text = pdf_text(data)
    assert NAME in text and "DPI-2026-00042" in text
    assert "СЕРТИФИКАТ" in text and "36 академических часов" in text and "1 декабря 2026 г." in text
    assert "/verify DPI-2026-00042" in text  # no web address: the bot command to check it
    assert render(sheet) == data  # the same certificate draws the same bytes
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (297, 210)


def test_the_qr_points_to_the_web_page_when_there_is_one(settings: Settings) -> None:
    web = settings.model_copy(update={"web_public_url": "https://bot.example.org"})
    assert design.verify_target(web, "DPI-2026-00001") == (
        "https://bot.example.org/verify/DPI-2026-00001", "https://bot.example.org/verify/DPI-2026-00001")
    tg = settings.model_copy(update={"telegram_bot_username": "intern_bot"})
    assert design.verify_target(tg, "DPI-2026-00001")[0] == "https://t.me/intern_bot?start=verify-DPI-2026-00001"


def _sheets(settings: Settings, count: int) -> list[pdf.Sheet]:
    from bot.i18n import Texts
    from scenarios.loader import load_programme

    programme = load_programme(settings.program_file)
    when = datetime(2027, 1, 4, 10, tzinfo=UTC)
    names = [NAME, "Иванов Пётр", "Łukasz Żółć-Brontë"]
    return [design.sheet(programme, settings, Texts(), design.Facts(f"DPI-2026-{n:05d}", names[n % 3], when))
            for n in range(count)]


def test_fonts_parsed_once_draw_what_a_fresh_add_font_draws(settings: Settings, monkeypatch) -> None:
    """The faces are parsed once and copied for each document (pdf._font_for); a document must
    not keep anything of the one before, nor differ from what fpdf2 alone draws (a new fpdf2
    that kept more per-document state in its font would fail here)."""
    sheets = _sheets(settings, 3)
    shared = [pdf.render(s) for s in sheets]
    assert pdf.render(sheets[0]) == shared[0]

    def fresh(doc: pdf.FPDF) -> None:
        for family, name in pdf.FONTS.items():
            doc.add_font(family, "", str(pdf.fonts_folder() / name))
            doc.fonts[family].ttfont.recalcBBoxes = False

    monkeypatch.setattr(pdf, "_add_fonts", fresh)
    assert [pdf.render(s) for s in sheets] == shared

    # the cut keeps DejaVu's own date, so a bot restarted (fonts cut again) draws the same bytes
    import matplotlib
    from fontTools.ttLib import TTFont

    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / pdf.FONTS["serif"]
    cut = pdf.fonts_folder() / pdf.FONTS["serif"]
    assert TTFont(cut)["head"].modified == TTFont(source)["head"].modified


async def test_drawing_processes_draw_the_same_bytes_as_the_bot(settings: Settings) -> None:
    """Bulk issues draw in worker processes that read the fonts the bot cut; a certificate
    drawn again later in the bot (after a stop) must be the very same file."""
    sheets = _sheets(settings, 3)
    try:
        drawn = await issuing._render(sheets, use_pool=True)
        assert issuing._pool is not None  # drawn by the processes, not the fallback thread
    finally:
        issuing.shutdown_pool(wait=True)
    assert drawn == pdf.render_many(sheets)


async def test_issued_on_completion_replaced_on_a_corrected_name_verified(
    settings: Settings, clock: FakeClock
) -> None:
    app, chat = await make_chat(settings, clock)
    try:
        pid = await seed_intern(app, "ann", name=NAME)
        await complete(app, pid, confirm=False)
        async with app.s.db.read() as conn:
            assert await certificates.valid_of(conn, pid) is None  # the name is not confirmed yet
        await complete(app, pid)
        await drain(app)
        pdfs = documents(chat, "ann")
        assert len(pdfs) == 1
        async with app.s.db.read() as conn:
            first = await certificates.valid_of(conn, pid)
        assert first is not None and first.number == "DPI-2026-00001" and first.has_pdf
        assert NAME in pdf_text(pdfs[0]) and first.number in pdf_text(pdfs[0])
        assert "сертификат № DPI-2026-00001" in chat.all("ann")[-1].text

        # the same event again issues nothing new
        await complete(app, pid)
        await drain(app)
        assert len(documents(chat, "ann")) == 1

        # anyone checks it; an unknown number gets a polite answer, nothing about anyone
        ok = (await chat.say("/verify dpi-2026-00001", "stranger"))[-1].text
        assert "действителен" in ok and NAME in ok and "ann@example.ru" not in ok
        unknown = (await chat.say("/verify DPI-1999-1", "stranger"))[-1].text
        assert "нет" in unknown and "DPI-1999-1" in unknown
        assert "/verify DPI" in (await chat.say("/verify", "stranger"))[-1].text

        # a corrected name: a new certificate replaces the old and is sent again
        async with app.s.db.transaction() as conn:
            await persons.update_person(conn, pid, full_name="Ёлкина Юлия Петровна")
            await completion_notice.after_change(conn, app.s, pid, clock.now())
        await drain(app)
        pdfs = documents(chat, "ann")
        assert len(pdfs) == 2 and "Ёлкина Юлия Петровна" in pdf_text(pdfs[1])
        old = (await chat.say("/verify DPI-2026-00001", "stranger"))[-1].text
        assert "заменён" in old and "DPI-2026-00002" in old
        async with app.s.db.read() as conn:
            found = await verification.lookup(conn, "№ DPI-2026-00001.")
        assert found is not None and found.status == "replaced" and found.replaced_by == "DPI-2026-00002"
    finally:
        await app.stop()


async def test_coordinator_screen_issue_all_preview_again_revoke_and_roles(
    settings: Settings, clock: FakeClock
) -> None:
    from scenarios.loader import load_programme

    base = load_programme(settings.program_file)
    assert base.certificate is not None
    manual = base.certificate.model_copy(update={"issue": "manual"})
    programme = base.model_copy(update={"certificate": manual})
    app, chat = await make_chat(settings, clock, programme=programme)
    try:
        ids = [await seed_intern(app, f"i{n}", name=f"Интернова Ирина {n}") for n in range(3)]
        for pid in ids[:2]:
            await complete(app, pid)
        refused = (await chat.say("/certificates", "i0"))[-1].text
        assert "координатор" in refused.lower()
        chat.new("i0")
        screen = (await chat.say("/certificates", "alice"))[-1]
        assert "Выполнили условия: 2" in screen.text and "выдано: 0" in screen.text
        assert "SMTP не настроено" in screen.text
        labels = [b.label for row in screen.buttons for b in row]
        assert "📤 Выдать всем готовым (2)" in labels
        await chat.press("crt|prev")
        preview = chat.all("alice")[-1]
        assert preview.file is not None and "Интернова Ирина" in pdf_text(preview.file.data or b"")
        await chat.press("crt|all")
        assert "Выдать сертификаты 2 интернам?" in chat.all("alice")[-1].text
        chat.as_user("i2")
        await chat.press("crt|allok|2")
        assert "координатор" in chat.all("i2")[-1].text.lower()
        chat.as_user("alice")
        await chat.press("crt|allok|2")
        import asyncio

        from handlers.certificates import issuing
        await asyncio.gather(*issuing._background)
        await drain(app)
        assert len(documents(chat, "i0")) == 1 and len(documents(chat, "i1")) == 1
        assert documents(chat, "i2") == []
        screen = (await chat.say("/certificates", "alice"))[-1]
        assert "выдано: 2" in screen.text and "Ждут выдачи: 0" in screen.text
        await chat.press("crt|again|DPI-2026-00001")
        await drain(app)
        assert len(documents(chat, "i0")) == 2
        await chat.press("crt|rv|DPI-2026-00001")
        assert "Отозвать сертификат № DPI-2026-00001" in chat.all("alice")[-1].text
        await chat.press("crt|rvok|DPI-2026-00001")
        assert "отозван" in chat.all("alice")[-1].text
        assert "отозван" in (await chat.say("/verify DPI-2026-00001", "i2"))[-1].text
        # a resend queued before the revocation is dropped, not sent
        async with app.s.db.transaction() as conn:
            issued = await certificates.by_number(conn, "DPI-2026-00002")
            assert issued is not None
            from handlers.certificates import issuing as iss
            await iss.send(conn, app.s, issued, clock.now(), again=True)
            await iss.revoke(conn, "DPI-2026-00002", clock.now(), None)
        await drain(app)
        assert len(documents(chat, "i1")) == 1
    finally:
        await app.stop()

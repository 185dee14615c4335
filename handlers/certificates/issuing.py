"""Issuing certificates: who is eligible, numbers, replacement, revocation, delivery.

A certificate and the messages that carry it (to the chat, and by e-mail when SMTP is
set) are written in ONE transaction, so a crash leaves either both or neither. The PDF
is not in that transaction: drawing takes tens of milliseconds, too long to hold the one
database lock, so the messages name it (`OutFile.ref = "certificate:<number>"`) and
delivery fetches it when the message goes out. It is drawn once and kept in the registry
(one copy, not one per message and channel): ahead of time by `draw` (bulk issues, in
worker processes), or by delivery itself when a stop came between issuing and drawing.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

from bot.context import notify
from bot.messages import OutFile, Reply
from bot.services import Services
from handlers.certificates import design
from handlers.certificates.pdf import Sheet, fonts_folder, render_many, use_fonts
from scenarios.models import Programme, pick
from storage import certificates, outbox
from storage.certificates import CHAT_KEY, MAIL_KEY, Candidate, Issued
from storage.completion import passed
from storage.connection import Connection

log = logging.getLogger(__name__)

REF_KIND = "certificate"
PDF_MIME = "application/pdf"
BATCH = 24
"""Certificates per drawing job: big enough to amortise a process hop, small enough to stream."""
ISSUE_CHUNK = 200
"""Certificates per transaction in a bulk issue: the lock is never held for long."""
POOL_FROM = 16
"""From this many certificates at once the drawing goes to worker processes."""
MAX_WORKERS = 4

_drawing: dict[tuple[int, str], asyncio.Future[bytes | None]] = {}
"""Certificates being drawn now, so delivery waits for them instead of drawing them again."""
_pool: ProcessPoolExecutor | None = None
_background: set[asyncio.Task[None]] = set()


# -- who may have one --------------------------------------------------------------------------
def confirmation_stages(programme: Programme) -> list[str]:
    """Final stages with a form: where the intern confirms the name and e-mail to print."""
    return [s.id for s in programme.stages if s.kind == "final" and s.form is not None]


def eligible(programme: Programme, who: Candidate) -> bool:
    """Every completion stage done and the name (and e-mail) confirmed: the same rule as the
    intern's own "all done" notice, plus the confirmation the certificate prints from."""
    if not (who.full_name or "").strip():
        return False
    if not all(passed(programme.stage(s), who.statuses.get(s)) for s in programme.completion):
        return False
    return all(who.statuses.get(s) == "submitted" for s in confirmation_stages(programme))


# -- issuing -----------------------------------------------------------------------------------
async def issue(
    conn: Connection, services: Services, who: Candidate, now: datetime, *,
    by: int | None = None, replacing: Issued | None = None, written: list[int] | None = None,
) -> Issued:
    cert = services.programme.certificate
    assert cert is not None
    year = now.astimezone(services.programme.zone).year
    series = cert.numbering.series(year)
    seq = await certificates.next_seq(conn, series, cert.numbering.start)
    number = cert.numbering.format(year, seq)
    if replacing is not None:
        await certificates.mark_replaced(conn, replacing.number, number, now)
    issued = await certificates.insert(
        conn, number=number, series=series, seq=seq, person_id=who.person_id,
        programme_title=pick(services.programme.title, design.language(services.programme)),
        name=" ".join((who.full_name or "").split()), email=who.email,
        lang=design.language(services.programme), now=now, issued_by=by,
    )
    await send(conn, services, issued, now, written=written)
    return issued


async def send(
    conn: Connection, services: Services, issued: Issued, now: datetime, *,
    again: bool = False, channels: Sequence[str] = ("chat", "mail"), email: str | None = None,
    written: list[int] | None = None,
) -> None:
    """Outbox the certificate to the person's chat and, with SMTP set, to their e-mail."""
    assert issued.person_id is not None
    cert = services.programme.certificate
    assert cert is not None
    texts = services.texts
    file = OutFile(design.file_name(cert, issued.number), ref=f"{REF_KIND}:{issued.number}",
                   kind="document", mime=PDF_MIME)
    params = {"name": issued.name, "number": issued.number, "programme": issued.programme_title}
    if "chat" in channels:
        key = await _key(conn, CHAT_KEY, issued.number, again)

        def chat(lang: str) -> Reply:
            return Reply(texts.get(lang, "cert.chat.caption", **params), file=file)

        await notify(conn, services, issued.person_id, key, chat, now=now, written=written)
    address = email or issued.email
    if "mail" in channels and services.settings.smtp_enabled and address:
        lang = issued.lang
        subject = texts.get(lang, "cert.mail.subject", **params)
        body = texts.get(lang, "cert.mail.body", **params, verify=_verify_hint(services, issued.number))
        await outbox.enqueue(
            conn, idem_key=await _key(conn, MAIL_KEY, issued.number, again), person_id=issued.person_id,
            platform="email", chat_ref=address, reply=Reply(f"{subject}\n{body}", file=file),
            now=now, kind="notice",
        )


async def _key(conn: Connection, prefix: str, number: str, again: bool) -> str:
    if not again:
        return prefix + number
    channel = "mail" if prefix == MAIL_KEY else "chat"
    return f"{prefix}{number}#{await certificates.count_sends(conn, number, channel) + 1}"


def _verify_hint(services: Services, number: str) -> str:
    _, url = design.verify_target(services.settings, number)
    lang = design.language(services.programme)
    if url:
        return services.texts.get(lang, "cert.pdf.verify_web", url=url)
    return services.texts.get(lang, "cert.pdf.verify_bot", number=number)


async def after_change(
    conn: Connection, services: Services, person_id: int, now: datetime,
    written: list[int] | None = None,
) -> Issued | None:
    """Call after anything that may make a person eligible or change their name or e-mail.

    Issue mode auto: the first certificate once eligible. Either mode: a name corrected
    after issue gives a new certificate that replaces the old one (sent again); a new
    e-mail gets the valid certificate by mail.
    """
    cert = services.programme.certificate
    if cert is None:
        return None
    found = await certificates.candidates(conn, [person_id])
    if not found or not eligible(services.programme, found[0]):
        return None
    who = found[0]
    valid = await certificates.valid_of(conn, person_id)
    name = " ".join((who.full_name or "").split())
    if valid is None:
        if cert.issue != "auto":
            return None
        return await issue(conn, services, who, now, written=written)
    if valid.name != name:
        return await issue(conn, services, who, now, replacing=valid, written=written)
    if who.email and who.email != valid.email:
        await send(conn, services, valid, now, again=True, channels=("mail",), email=who.email,
                   written=written)
    return None


async def issue_all(services: Services, by: int | None) -> list[str]:
    """Certificates for everyone eligible who has none yet, a chunk per transaction, then drawn.

    Pressing it twice (or after a stop half-way) issues only to those still without one.
    """
    numbers: list[str] = []
    async with services.db.read() as conn:
        people = await certificates.candidates(conn)
        valid = await certificates.valid_by_person(conn)
    todo = [c for c in people if c.person_id not in valid and eligible(services.programme, c)]
    for start in range(0, len(todo), ISSUE_CHUNK):
        now = services.clock.now()
        async with services.db.transaction() as conn:
            for who in todo[start:start + ISSUE_CHUNK]:
                if await certificates.valid_of(conn, who.person_id) is None:
                    numbers.append((await issue(conn, services, who, now, by=by)).number)
        services.delivery.wake()
    await draw(services, numbers)
    return numbers


def issue_all_later(services: Services, by: int | None) -> None:
    """Run `issue_all` after the coordinator's update: thousands of PDFs take a while."""
    async def run() -> None:
        try:
            await issue_all(services, by)
        except Exception:
            log.exception("issuing certificates failed half-way; pressing again issues the rest")

    task = asyncio.create_task(run(), name="certificates")
    _background.add(task)
    task.add_done_callback(_background.discard)


async def revoke(conn: Connection, number: str, now: datetime, by: int | None) -> bool:
    """Revoked: /verify says so, and messages not yet sent with it are dropped at delivery."""
    return await certificates.revoke(conn, number, now, by)


# -- drawing -----------------------------------------------------------------------------------
def sheet_of(services: Services, issued: Issued) -> Sheet:
    return design.sheet(services.programme, services.settings, services.texts,
                        design.Facts(issued.number, issued.name, issued.issued_at))


async def draw(services: Services, numbers: Sequence[str]) -> None:
    """Draw and store these certificates' PDFs, several jobs at once on worker processes."""
    if not numbers:
        return
    db_key = id(services.db)
    use_pool = len(numbers) >= POOL_FROM and _cpus() > 1
    lanes = asyncio.Semaphore(_workers() * 2 if use_pool else 1)

    async def job(chunk: Sequence[str]) -> None:
        async with lanes:
            async with services.db.read() as conn:
                rows = [r for r in [await certificates.by_number(conn, n) for n in chunk]
                        if r is not None and not r.has_pdf]
            loop = asyncio.get_running_loop()
            waits = {r.number: _drawing.setdefault((db_key, r.number), loop.create_future()) for r in rows}
            try:
                sheets = [sheet_of(services, r) for r in rows]
                pdfs = await _render(sheets, use_pool)
                drawn = list(zip([r.number for r in rows], pdfs, strict=True))
                async with services.db.transaction() as conn:
                    await certificates.store_pdfs(conn, drawn)
                for number, pdf in drawn:
                    _settle(waits[number], pdf)
            except BaseException:
                for fut in waits.values():
                    _settle(fut, None)
                raise
            finally:
                for number in waits:
                    _drawing.pop((db_key, number), None)

    chunks = [numbers[i:i + BATCH] for i in range(0, len(numbers), BATCH)]
    await asyncio.gather(*(job(c) for c in chunks))


async def _render(sheets: list[Sheet], use_pool: bool) -> list[bytes]:
    """On the worker processes when there are many; a pool that cannot start or broke (a host
    that forbids processes, a worker killed) falls back to a thread: slower, never lost."""
    if use_pool:
        try:
            fonts = await asyncio.to_thread(fonts_folder)  # cut once, off the event loop
            return await asyncio.get_running_loop().run_in_executor(_get_pool(fonts), render_many, sheets)
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            log.warning("certificate drawing processes unavailable (%s): drawing in a thread", exc)
            shutdown_pool()
    return await asyncio.to_thread(render_many, sheets)


def _settle(fut: asyncio.Future[bytes | None], value: bytes | None) -> None:
    if not fut.done():
        fut.set_result(value)


def _cpus() -> int:
    """The CPUs this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers() -> int:
    """A drawing process per CPU: drawing is all CPU, while the bot's own process mostly waits
    for the database meanwhile. At most four: each holds its own interpreter and fonts
    (about 90 MiB), and the bot may share its machine."""
    return max(1, min(MAX_WORKERS, _cpus()))


def _get_pool(fonts: Path) -> ProcessPoolExecutor:
    """Worker processes for bulk drawing (spawned: forking a process with a running event
    loop and an open database is unsafe). They live as long as the bot, and read the fonts
    this process cut instead of cutting their own."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=_workers(), mp_context=multiprocessing.get_context("spawn"),
            initializer=use_fonts, initargs=(fonts,),
        )
    return _pool


@atexit.register
def shutdown_pool(wait: bool = False) -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=wait, cancel_futures=True)
        _pool = None


def resolver(services: Services):  # type: ignore[no-untyped-def]
    """Delivery's source of `certificate:<number>` files: the stored PDF, or drawn now."""

    async def pdf(number: str) -> bytes | None:
        async with services.db.read() as conn:
            found = await certificates.pdf_of(conn, number)
        if found is None or found[0] != "valid":
            return None  # revoked or replaced meanwhile: that message is not sent
        if found[1] is not None:
            return found[1]
        pending = _drawing.get((id(services.db), number))
        if pending is not None:
            data = await asyncio.shield(pending)
            if data is not None:
                return data
        async with services.db.read() as conn:
            issued = await certificates.by_number(conn, number)
        if issued is None:
            return None
        data = (await asyncio.to_thread(render_many, [sheet_of(services, issued)]))[0]
        async with services.db.statement() as conn:
            await certificates.store_pdf(conn, number, data)
        return data

    return pdf


async def sample_pdf(services: Services, name: str, number: str | None = None) -> bytes:
    """A PDF that looks like the real one, for the coordinator's preview (no number issued)."""
    cert = services.programme.certificate
    assert cert is not None
    now = services.clock.now()
    number = number or cert.numbering.format(now.astimezone(services.programme.zone).year, 0)
    sheet = design.sheet(services.programme, services.settings, services.texts,
                         design.Facts(number, name, now))
    return (await asyncio.to_thread(render_many, [sheet]))[0]


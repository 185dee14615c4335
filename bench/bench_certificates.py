"""3,000 certificates issued, drawn and queued; peak memory; e-mail rate to a local SMTP server.

The work runs in a child process of its own, so its peak RSS is the certificates' and not
whatever the other benchmarks left in this one. The drawing's worker processes are
measured apart: the largest peak (VmHWM) among them, read while they still run. Not
RUSAGE_CHILDREN: on Linux a spawned child's ru_maxrss starts from its parent's RSS at
the fork, so it reported the bot's size, not the worker's.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_settings

NAME = "certificates"
PEOPLE = 3000
MAILS = 400
"""E-mails delivered for the rate figure (the aiosmtpd server runs in the same process)."""


def run(people: int = PEOPLE, mails: int = MAILS) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", f"import bench.bench_certificates as b; b.child({people}, {mails})"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(people: int, mails: int) -> None:
    print(json.dumps(asyncio.run(_measure(people, mails))))


async def _measure(people: int, mails: int) -> dict[str, object]:
    from aiosmtpd.controller import Controller

    from bot.app import App
    from bot.clock import FakeClock
    from handlers.certificates import issuing
    from messengers.registry import email_adapter
    from storage import certificates, outbox

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            Sink.count += 1
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as folder:
        settings = bench_settings(Path(folder), smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                                  smtp_from="bench@example.org", smtp_max_per_minute=1_000_000)
        app = await App(settings, clock=FakeClock()).start(background=False)
        try:
            await _seed(app, people)
            started = time.perf_counter()
            numbers = await issuing.issue_all(app.s, None)
            seconds = time.perf_counter() - started
            async with app.s.db.read() as conn:
                drawn = sum(1 for c in await certificates.all_issued(conn) if c.has_pdf)
                queued = await outbox.status_counts(conn, certificates.MAIL_KEY)
            mail = email_adapter(settings)
            app.s.delivery.register(mail)
            started = time.perf_counter()
            while Sink.count < mails:
                if not await app.s.delivery.run_once(limit=50):
                    break
            mail_seconds = time.perf_counter() - started
            sent = Sink.count
            await mail.close()
        finally:
            workers = _children_peak_mb()
            await app.stop()
            issuing.shutdown_pool(wait=True)
            controller.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "certificates_3000_seconds": round(seconds * PEOPLE / max(1, people), 1),
        "certificates_peak_rss_mb": round(own, 1),
        "certificates_worker_peak_rss_mb": workers,
        "certificates_workers": issuing._workers(),
        "certificates_issued": len(numbers),
        "certificates_drawn": drawn,
        "certificates_mail_queued": queued.get("pending", 0) + queued.get("sent", 0),
        "certificates_per_s": round(len(numbers) / seconds, 1),
        "certificates_mail_per_s": round(sent / mail_seconds, 1) if mail_seconds else None,
        "certificates_mail_sent": sent,
    }


def _children_peak_mb() -> float | None:
    """The largest peak RSS among this process's children now alive (the drawing workers, and
    multiprocessing's small resource tracker); None where /proc does not tell."""
    try:
        pids = {pid for task in Path("/proc/self/task").iterdir()
                for pid in (task / "children").read_text().split()}
    except OSError:
        return None
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # ended meanwhile
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    return round(max(peaks), 1) if peaks else None


async def _seed(app, people: int) -> None:  # type: ignore[no-untyped-def]
    from storage import persons, stages

    now = app.s.clock.now()
    programme = app.s.programme
    async with app.s.db.transaction() as conn:
        for n in range(people):
            account, _ = await persons.ensure_account(
                conn, now, platform="telegram", user_ref=str(10_000 + n), chat_ref=str(10_000 + n),
                display_name=None, language_code="ru", locale="ru",
            )
            pid = account.person_id
            await persons.grant_role(conn, pid, "intern", now)
            await persons.update_person(conn, pid, full_name=f"Интернова Ирина Петровна {n}",
                                        email=f"intern{n}@example.ru")
            for stage in programme.completion:
                await stages.set_status(conn, pid, stage, "accepted", now)
            await stages.set_status(conn, pid, "final", "submitted", now)

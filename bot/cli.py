"""`python -m bot run | check-program | export | backup | migrate-to-postgres` (also `internbot`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import App
from bot.heap import freeze_startup
from bot.logging_setup import setup_logging
from bot.settings import Settings, SettingsError, load_settings
from scenarios.loader import ProgrammeError, load_programme
from scenarios.route_timeline import render_routes
from scenarios.routes import problems
from scenarios.timeline import render_timeline
from storage.db import DatabaseUnavailable

if TYPE_CHECKING:
    from messengers.registry import Adapter

log = logging.getLogger("bot")
STOP_GRACE_S = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="internbot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (console when no messenger token is set)")
    check = sub.add_parser("check-program", help="validate a programme file, print its timeline")
    check.add_argument("file", nargs="?", type=Path)
    export = sub.add_parser("export", help="export people, teams, stages, survey, certificates")
    export.add_argument("--out", required=True, type=Path, help="FILE.xlsx, FILE.csv or FILE.zip")
    backup = sub.add_parser("backup", help="a consistent copy of the database while the bot runs")
    backup.add_argument("--out", required=True, type=Path, help="FILE.sqlite3 to write")
    sample = sub.add_parser("certificate-sample", help="render a sample certificate of a programme file")
    sample.add_argument("--out", required=True, type=Path, help="FILE.pdf to write")
    sample.add_argument("--name", default="Иванова Мария Петровна", help="the name to print")
    sample.add_argument("file", nargs="?", type=Path, help="programme file (default: PROGRAM_FILE)")
    move = sub.add_parser("migrate-to-postgres", help="copy the SQLite database into an empty PostgreSQL one")
    move.add_argument("--to", required=True, help="postgresql://user:password@host:5432/db")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check-program":
        return check_program(args.file or settings.program_file, settings)
    if args.command == "certificate-sample":
        return certificate_sample(args.file or settings.program_file, args.out, args.name, settings)
    try:
        if args.command == "export":
            return asyncio.run(export_to(settings, args.out))
        if args.command == "backup":
            return asyncio.run(backup_to(settings, args.out))
        if args.command == "migrate-to-postgres":
            return asyncio.run(migrate_to_postgres(settings, args.to))
        if args.command in (None, "run"):
            setup_logging(settings)
            try:
                return asyncio.run(run(settings))
            except ProgrammeError as exc:
                print(f"The programme file is wrong:\n{exc}", file=sys.stderr)
                return 2
    except DatabaseUnavailable as exc:
        name = "DATABASE_URL" if settings.database_url else "DATABASE_PATH"
        print(f"Setting {name}: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def check_program(path: Path, settings: Settings) -> int:
    try:
        programme = load_programme(path)
    except ProgrammeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{path}: OK")
    print(render_timeline(programme, settings.default_locale))
    routes_text = render_routes(programme, settings.default_locale)
    if routes_text:
        print()
        print(routes_text)
    return 1 if problems(programme) else 0


def certificate_sample(path: Path, out: Path, name: str, settings: Settings) -> int:
    """Draw the programme's certificate for a sample person, so a coordinator designs it
    without issuing anything (the number is the pattern's with sequence 0)."""
    from datetime import UTC, datetime

    from bot.i18n import Texts
    from handlers.certificates import design, pdf

    try:
        programme = load_programme(path)
    except ProgrammeError as exc:
        print(exc, file=sys.stderr)
        return 1
    if programme.certificate is None:
        print(f"{path}: the programme has no certificate: section", file=sys.stderr)
        return 1
    now = datetime.now(UTC)
    number = programme.certificate.numbering.format(now.astimezone(programme.zone).year, 0)
    facts = design.Facts(number, " ".join(name.split()), now)
    sheet = design.sheet(programme, settings, Texts(default=settings.default_locale), facts)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf.render(sheet))
    print(out)
    return 0


async def export_to(settings: Settings, out: Path) -> int:
    """Write the coordinator's export from the database, without starting the bot.

    `.xlsx`: one workbook; `.zip`: one CSV per sheet; `.csv`: FILE.csv holds the people
    and FILE-<sheet>.csv each other sheet.
    """
    from bot.i18n import Texts
    from handlers.coordination import exports
    from storage.connection import make_database

    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".zip"):
        print("--out must end with .xlsx, .csv or .zip", file=sys.stderr)
        return 2
    if not settings.database_url and not Path(settings.database_path).exists():
        print(f"No database at {settings.database_path} (set DATABASE_PATH)", file=sys.stderr)
        return 2
    try:
        programme = load_programme(settings.program_file)
    except ProgrammeError as exc:
        print(f"The programme file is wrong:\n{exc}", file=sys.stderr)
        return 2
    db = make_database(settings.database_url, settings.database_path,
                       busy_timeout_ms=settings.database_busy_timeout_ms)
    await db.open()
    try:
        async with db.read() as conn:
            sheets = await exports.collect(conn, programme, Texts(default=settings.default_locale),
                                           settings.default_locale)
    finally:
        await db.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [out]
    if suffix == ".xlsx":
        out.write_bytes(exports.to_xlsx(sheets))
    elif suffix == ".zip":
        out.write_bytes(exports.to_csv_zip(sheets))
    else:
        out.write_bytes(exports.to_csv(sheets[0]))
        for sheet in sheets[1:]:
            path = out.with_name(f"{out.stem}-{sheet.key}.csv")
            path.write_bytes(exports.to_csv(sheet))
            written.append(path)
    for path in written:
        print(path)
    return 0


async def backup_to(settings: Settings, out: Path) -> int:
    """Copy the SQLite database (see storage/backup.py); PostgreSQL deployments use pg_dump."""
    from storage.backup import BackupError, backup

    try:
        report = await backup(Path(settings.database_path), out)
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(report.tables.values())
    print(f"{report.path}: {report.size_bytes} bytes, {len(report.tables)} tables, {rows} rows")
    return 0


async def migrate_to_postgres(settings: Settings, url: str) -> int:
    """Copy DATABASE_PATH into PostgreSQL (storage/transfer.py); run it with the bot stopped."""
    from storage.transfer import TransferError, sqlite_to_postgres

    if not url.startswith(("postgresql://", "postgres://")):
        print("--to must be a postgresql://user:password@host:5432/db address", file=sys.stderr)
        return 2
    try:
        report = await sqlite_to_postgres(Path(settings.database_path), url)
    except (TransferError, DatabaseUnavailable) as exc:
        print(f"Nothing was copied: {exc}", file=sys.stderr)
        return 1
    for table, rows in report.tables.items():
        print(f"{table}: {rows}")
    print(f"copied {sum(report.tables.values())} rows in {len(report.tables)} tables; "
          "set DATABASE_URL to the new database and start the bot")
    return 0


def polling_role(platform: str, settings: Settings) -> str | None:
    """The lease an adapter needs when only one instance may take its updates: Telegram's
    getUpdates and MAX's polling refuse a second poller, VK's long poll would hand each
    event to one of them at random. Webhooks take updates in every instance."""
    polls = {
        "telegram": not settings.telegram_webhook_url,
        "vk": True,
        "max": not settings.max_webhook_url,
    }
    return f"poll:{platform}" if polls.get(platform) else None


async def _run_adapter(app: App, adapter: Adapter) -> object:
    role = polling_role(adapter.platform, app.settings)
    if role is None:
        return await adapter.run()
    return await app.s.instance.exclusive(role, adapter.run, adapter.stop)


async def run(settings: Settings) -> int:
    """Start every adapter whose token is set (the console when none) and run until stopped."""
    from messengers.registry import build_adapters, panel_sign_ins

    app = await App(settings).start()
    adapters = build_adapters(app)
    panel = None
    if settings.web_listen:
        from web.panel import Panel

        panel = Panel(app.s, sign_ins=panel_sign_ins(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    for adapter in adapters:
        app.s.delivery.register(adapter)
    if panel is not None:
        await panel.start()
    log.info("started: %s", ", ".join(a.platform for a in adapters))
    log.debug("%d startup objects kept out of full garbage collections", freeze_startup())
    tasks = [asyncio.create_task(_run_adapter(app, a), name=a.platform) for a in adapters]
    stopper = asyncio.create_task(stop.wait())
    code = 0
    try:
        await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        gave_up = [t.get_name() for t in tasks if t.done() and t.get_name() != "console"]
        if gave_up and not stop.is_set():
            # A messenger refused its token or settings (logged by the adapter): fail loudly
            # rather than keep running half of the bot.
            log.error("the %s adapter stopped on its own; stopping the bot", ", ".join(gave_up))
            code = 1
    finally:
        # Stop taking updates; messenger adapters return once the update in hand is
        # handled; anything still running after a short grace is cancelled.
        await asyncio.gather(*(adapter.stop() for adapter in adapters), return_exceptions=True)
        _, unfinished = await asyncio.wait(tasks, timeout=STOP_GRACE_S) if tasks else (set(), set())
        for task in unfinished:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        stopper.cancel()
        if panel is not None:
            await panel.stop()
        await app.stop()
        for adapter in adapters:
            with contextlib.suppress(Exception):
                await adapter.close()
        log.info("stopped")
    return code

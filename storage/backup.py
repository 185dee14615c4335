"""A consistent copy of the SQLite database while the bot keeps running.

SQLite's online backup API copies the pages under one read transaction: in WAL mode the
bot's writes go on meanwhile and the copy is the database as of one instant, never a torn
mix (a plain `cp` of a live file with its -wal beside it can be). The copy is written next
to the target under a temporary name and renamed only after `PRAGMA integrity_check`
passes, so a backup that failed half-way never stands where a good one is expected.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupError(Exception):
    """The source cannot be read or the copy is not sound; the message is for the operator."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    size_bytes: int
    tables: dict[str, int]
    """Rows per table in the copy, so an operator can compare with what they expect."""


async def backup(source: Path, out: Path) -> BackupReport:
    """Copy `source` to `out` off the event loop (the bot may be running in this process)."""
    return await asyncio.to_thread(_backup, Path(source), Path(out))


def _backup(source: Path, out: Path) -> BackupReport:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from exc
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # all pages in one step: one read transaction, one instant
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
            tables = _row_counts(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, out)
    return BackupReport(out, out.stat().st_size, tables)


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}

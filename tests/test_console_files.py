"""The console shows what it sends: files the bot makes are saved and their path printed
(issue 13, point 5), so someone trying the bot sees the chart, the workbook, the .ics."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from messengers.console import ConsoleAdapter
from messengers.registry import console_files_dir
from tests.cohort import seed_intern


async def test_export_and_chart_are_saved_and_their_paths_printed(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    app = await App(settings, clock=clock).start(background=False)
    out = io.StringIO()
    folder = console_files_dir(settings.database_path)
    adapter = ConsoleAdapter(app.core, user="alice", out=out, files_dir=folder)
    app.s.delivery.register(adapter)
    try:
        await adapter.type("/help")  # alice is the coordinator (settings)
        await seed_intern(app, "ivan", name="Иван Петров")
        for command in ("/export", "/export"):  # a second export does not replace the first
            await adapter.type(command)
            while await app.s.delivery.run_once():
                pass
        await adapter.type("/progress")
        while await app.s.delivery.run_once():
            pass
        printed = out.getvalue()
        saved = sorted(p for p in (folder / "alice").iterdir())
        workbooks = [p for p in saved if p.suffix == ".xlsx"]
        charts = [p for p in saved if p.suffix == ".png"]
        assert len(workbooks) == 2 and len(charts) == 1, saved
        for path in (*workbooks, *charts):
            assert f"→ {path}" in printed  # the operator is told where to look
        sheet = load_workbook(workbooks[0]).worksheets[0]
        assert any("Иван Петров" in str(c.value) for row in sheet.iter_rows() for c in row)
        assert charts[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert folder == settings.database_path.parent / "console-files"
    finally:
        await app.stop()

"""The running bot keeps its startup heap out of full garbage collections (bot/heap.py)."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import weakref
from pathlib import Path

from bot.heap import freeze_startup
from bot.settings import PACKAGE_ROOT


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_freezing_collects_the_garbage_first_and_freezes_the_rest() -> None:
    left = Node()
    left.other = Node()
    left.other.other = left  # a cycle only the collector can free
    gone = weakref.ref(left)
    del left
    try:
        frozen = freeze_startup()
        assert frozen == gc.get_freeze_count() > 1000
        assert gone() is None, "a cycle dropped during startup must be collected, not frozen"
        # what is made after startup is still collected as usual
        later = Node()
        later.other = later
        after = weakref.ref(later)
        del later
        gc.collect()
        assert after() is None
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_the_running_bot_freezes_its_startup_heap(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "MAX_"))}
    env.update(DATABASE_PATH=str(tmp_path / "bot.sqlite3"), LOG_LEVEL="DEBUG")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=PACKAGE_ROOT, env=env, input=":quit\n",
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = re.search(r"(\d+) startup objects kept out of full garbage collections", result.stderr)
    assert found, result.stderr[-2000:]
    assert int(found.group(1)) > 10_000

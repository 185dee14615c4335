"""A bot process driven through its stdin/stdout, that a drill can SIGKILL and restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.settings import PACKAGE_ROOT

WAIT_S = 30.0
"""Upper bound for any single wait; the drills finish in a few seconds when healthy."""


def clean_env(**settings: str) -> dict[str, str]:
    """The environment minus messenger settings (so the console runs), plus the drill's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "MAX_"))}
    env.update(PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING", **settings)
    return env


class BotProcess:
    """`python -m bot run` on the console; output is collected by a thread as it comes."""

    def __init__(self, database: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PACKAGE_ROOT, env=clean_env(DATABASE_PATH=str(database)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8",
        )
        self.output = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: self.proc.stdout.readline(), ""):  # type: ignore[union-attr]
            with self._changed:
                self.output += chunk
                self._changed.notify_all()

    def send(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(line + "\n" for line in lines))
        self.proc.stdin.flush()

    def wait_for(self, text: str, after: int = 0, timeout: float = WAIT_S) -> int:
        """Wait until `text` is printed past position `after`; return where its printing ended."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self.output.find(text, after)
                if found >= 0:
                    return found + len(text)
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise AssertionError(
                        f"{text!r} not printed within {timeout} s; output tail:\n{self.output[-1500:]}"
                        f"\nstderr: {self._stderr()}"
                    )
                self._changed.wait(min(left, 0.5))

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(timeout=WAIT_S)

    def finish(self) -> int:
        """Quit politely and wait for the exit code."""
        self.send(":quit")
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=WAIT_S)

    def _stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(still running)"
        return self.proc.stderr.read()[-1500:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT_S)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()

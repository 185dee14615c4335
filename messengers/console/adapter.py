"""A terminal chat in which the operator speaks as several local users.

Buttons are shown as numbers (type the number to press one); lines starting with
`:` are for the operator (switch user, send a pretend file), everything else goes to
the bot as that user's message, exactly as a messenger would deliver it. Files the
bot sends (charts, exports, calendar files) are saved under `files_dir` and the path
is printed, so whoever tries the bot on the console can open the chart or the workbook.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import os
import shlex
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.core import Core
from bot.messages import FileInfo, Incoming, OutFile, Reply

PLATFORM = "console"

HELP = """Console commands (everything else is sent to the bot):
  :as NAME          speak as another local user (e.g. :as alice)
  :users            who has spoken so far
  :lang ru|en       the language your messenger would report
  :sticker  :voice [SECONDS]  :photo [MB]  :location
  :video SECONDS [MB]         :doc NAME [MB]
  :quit             stop the bot
A number presses that button of the last message you got."""


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(
        self, core: Core, *, user: str = "intern", out: TextIO | None = None, files_dir: Path | None = None
    ) -> None:
        self.core = core
        self.files_dir = files_dir
        """Where the files the bot sends are saved (None: only their names are shown)."""
        self.user = user
        self.out = out or sys.stdout
        self.language: str | None = None
        self.buttons: dict[str, list[str]] = {}
        self.seen: list[str] = [user]
        self._file_seq = 0
        self.transcript: list[tuple[str, Reply]] = []
        """Everything sent, in order: what a test (or a curious operator) reads back."""
        self._stopping = asyncio.Event()

    # --- sending (called by the core's delivery) -------------------------------
    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        self.transcript.append((chat_ref, reply))
        lines = [f"\n🤖 → {chat_ref}:", reply.text]
        payloads: list[str] = []
        if reply.file is not None:
            lines.append(f"📎 {await self._save(chat_ref, reply.file)}")
        for row in reply.buttons:
            cells = []
            for button in row:
                if button.url:
                    cells.append(f"[{button.label}: {button.url}]")
                    continue
                payloads.append(button.payload)
                cells.append(f"[{len(payloads)}] {button.label}")
            lines.append("   " + "   ".join(cells))
        self.buttons[chat_ref] = payloads
        if reply.keyboard:  # a keyboard under the input field: typing a label presses it
            lines.append("   ⌨ " + " · ".join(b.label for row in reply.keyboard for b in row))
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        return None

    async def _save(self, chat_ref: str, file: OutFile) -> str:
        """The file's name, and where it was saved when the bot made its bytes."""
        if self.files_dir is None or file.data is None:
            return file.name
        folder = self.files_dir / _safe(chat_ref)
        path = folder / _safe(Path(file.name).name or "file")
        number = 1
        while path.exists():  # every file kept: a second chart does not replace the first
            number += 1
            path = folder / f"{Path(file.name).stem}-{number}{Path(file.name).suffix}"
        await asyncio.to_thread(_write, path, file.data)
        return f"{file.name} → {path}"

    # --- receiving ---------------------------------------------------------------
    async def type(self, line: str) -> bool:
        """Handle one line as the current user; False when the operator wants to quit."""
        line = line.rstrip("\n")
        if line.startswith(":"):
            return await self._operator(line)
        if not line.strip():
            return True
        stripped = line.strip()
        choices = self.buttons.get(self.user, [])
        if stripped.isdigit() and 1 <= int(stripped) <= len(choices):
            await self.core.handle(self._incoming(payload=choices[int(stripped) - 1]))
        else:
            await self.core.handle(self._incoming(text=line))
        return True

    def _incoming(self, **fields: object) -> Incoming:
        return Incoming(
            platform=PLATFORM, user_ref=self.user, chat_ref=self.user,
            language_code=self.language, display_name=self.user, **fields,  # type: ignore[arg-type]
        )

    def _file(self, kind: str, **info: object) -> Incoming:
        self._file_seq += 1
        return self._incoming(file=FileInfo(kind=kind, file_id=f"console-{self._file_seq}", **info))  # type: ignore[arg-type]

    async def _operator(self, line: str) -> bool:
        try:
            words = shlex.split(line[1:])
        except ValueError:
            words = line[1:].split()
        if not words:
            return True
        command, args = words[0].lower(), words[1:]
        mb = 1024 * 1024
        if command in ("quit", "exit", "q"):
            return False
        if command == "as" and args:
            self.user = args[0]
            if self.user not in self.seen:
                self.seen.append(self.user)
            self.out.write(f"(you are now {self.user})\n")
        elif command == "users":
            self.out.write("users: " + ", ".join(self.seen) + "\n")
        elif command == "lang" and args:
            self.language = args[0]
        elif command == "sticker":
            await self.core.handle(self._file("sticker", mime="image/webp"))
        elif command == "voice":
            await self.core.handle(self._file("voice", duration=_int(args, 0, 5), mime="audio/ogg"))
        elif command == "photo":
            await self.core.handle(self._file("photo", size=_int(args, 0, 1) * mb))
        elif command == "video":
            await self.core.handle(
                self._file("video", duration=_int(args, 0, 600), size=_int(args, 1, 50) * mb,
                           mime="video/mp4", name="video.mp4")
            )
        elif command == "doc":
            name = args[0] if args else "document.pdf"
            await self.core.handle(self._file("document", name=name, size=_int(args, 1, 1) * mb))
        elif command == "location":
            await self.core.handle(self._incoming(unsupported="location"))
        else:
            self.out.write(HELP + "\n")
        self.out.flush()
        return True

    async def run(self, stream: TextIO | None = None) -> None:
        """Read lines until end of input, `:quit` or `stop()`, without blocking the event loop."""
        self.out.write(f"internship-bot console. You are '{self.user}'. Type :help for help.\n")
        self.out.write("Напишите /start, чтобы начать.\n")
        self.out.flush()
        lines = LineReader(stream or sys.stdin, asyncio.get_running_loop())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                getter = asyncio.ensure_future(lines.queue.get())
                await asyncio.wait({getter, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break  # Ctrl-C / SIGTERM: do not wait for the operator's next Enter
                line = getter.result()
                if not line or not await self.type(line):
                    break
        finally:
            stopping.cancel()

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        """Nothing to release: the terminal belongs to the operator."""


class LineReader:
    """Lines of the terminal from a daemon thread; "" marks the end of input.

    A read from a terminal cannot be interrupted: in a pool thread (asyncio.to_thread)
    it would keep the process alive after Ctrl-C until the operator pressed Enter. A
    daemon thread is simply left behind at exit. It reads the file descriptor itself,
    not `sys.stdin`, so no lock of Python's stdin buffer is held when the interpreter
    shuts down.
    """

    def __init__(self, stream: TextIO, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._loop = loop
        threading.Thread(target=self._read, args=(stream,), name="console-input", daemon=True).start()

    def _put(self, line: str) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the bot is exiting
            self._loop.call_soon_threadsafe(self.queue.put_nowait, line)

    def _read(self, stream: TextIO) -> None:
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            for line in iter(stream.readline, ""):
                self._put(line)
            self._put("")
            return
        decoder = codecs.getincrementaldecoder(getattr(stream, "encoding", None) or "utf-8")("replace")
        pending = ""
        while chunk := os.read(fd, 65536):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                self._put(line + "\n")
        pending += decoder.decode(b"", final=True)
        if pending:
            self._put(pending)
        self._put("")


def _int(args: list[str], index: int, default: int) -> int:
    try:
        return int(float(args[index]))
    except (IndexError, ValueError):
        return default


def _safe(name: str) -> str:
    """A file or folder name without path separators or anything a shell would trip on."""
    cleaned = "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip(" .")
    return cleaned or "_"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)

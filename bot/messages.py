"""The messenger-neutral vocabulary between adapters and the core.

Adapters turn their updates into `Incoming` and render `Reply`; the core never
sees aiogram or vk_api objects, so one scenario serves every messenger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FileKind = Literal[
    "document", "photo", "video", "voice", "audio", "video_note", "sticker", "animation", "other"
]


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What a messenger told us about a file; we keep references, never the bytes."""

    kind: FileKind
    file_id: str = ""
    size: int | None = None
    mime: str | None = None
    duration: int | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: typed text, pressed a button, or sent a file."""

    platform: str
    user_ref: str
    chat_ref: str
    text: str | None = None
    payload: str | None = None
    file: FileInfo | None = None
    message_ref: str | None = None
    update_ref: str | None = None
    reply_to_ref: str | None = None
    language_code: str | None = None
    display_name: str | None = None
    unsupported: str | None = None
    """Set when the person sent something we cannot read (location, contact, poll...)."""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str = ""
    url: str | None = None
    web_app: bool = False
    """With `url`: open the page inside the messenger as a Mini App where it has them
    (Telegram's web_app button); elsewhere it is a plain link to the same address."""


@dataclass(frozen=True, slots=True)
class OutFile:
    """A file to send: either bytes we made (a report, an .ics) or a messenger file id."""

    name: str
    data: bytes | None = None
    file_id: str | None = None
    kind: FileKind = "document"
    mime: str | None = None
    ref: str | None = None
    """`<kind>:<key>`: bytes kept elsewhere (a certificate's PDF in its registry), fetched by
    delivery when the message goes out, so the outbox does not hold a copy per message."""


@dataclass(slots=True)
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    file: OutFile | None = None
    reply_to_ref: str | None = None
    keyboard: list[list[Button]] | None = None
    """A keyboard that stays under the input field from now on (Telegram's reply keyboard,
    VK's regular one), for messengers that have one; `[]` takes it away, None leaves it.
    A messenger shows one keyboard per message, so `buttons` win where both are set: the
    core sends a persistent keyboard with a message of its own."""

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"text": self.text}
        if self.buttons:
            data["buttons"] = _rows_json(self.buttons)
        if self.keyboard is not None:
            data["keyboard"] = _rows_json(self.keyboard)
        if self.file is not None:
            f = self.file
            data["file"] = {
                "name": f.name,
                "data": f.data.hex() if f.data is not None else None,
                "file_id": f.file_id,
                "kind": f.kind,
                "mime": f.mime,
            }
            if f.ref:
                data["file"]["ref"] = f.ref  # type: ignore[index]
        if self.reply_to_ref:
            data["reply_to_ref"] = self.reply_to_ref
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Reply:
        buttons = _rows(data.get("buttons") or [])
        keyboard = data.get("keyboard")
        raw_file = data.get("file")
        out_file = None
        if isinstance(raw_file, dict):
            hex_data = raw_file.get("data")
            out_file = OutFile(
                name=raw_file["name"],
                data=bytes.fromhex(hex_data) if hex_data else None,
                file_id=raw_file.get("file_id"),
                kind=raw_file.get("kind", "document"),
                mime=raw_file.get("mime"),
                ref=raw_file.get("ref"),
            )
        return cls(
            text=str(data.get("text", "")),
            buttons=buttons,
            file=out_file,
            reply_to_ref=data.get("reply_to_ref"),  # type: ignore[arg-type]
            keyboard=_rows(keyboard) if keyboard is not None else None,
        )


def _rows_json(rows: list[list[Button]]) -> list[list[dict[str, str | bool | None]]]:
    return [[_button_json(b) for b in row] for row in rows]


def _button_json(b: Button) -> dict[str, str | bool | None]:
    data: dict[str, str | bool | None] = {"label": b.label, "payload": b.payload, "url": b.url}
    if b.web_app:
        data["web_app"] = True
    return data


def _rows(raw: object) -> list[list[Button]]:
    return [[Button(**b) for b in row] for row in raw]  # type: ignore[arg-type, union-attr]


class DeliveryError(Exception):
    """Raised by an adapter's `send`; `permanent` means retrying will never help."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after

"""The core's `Reply` -> MAX messages: text parts, inline keyboards, files.

MAX's limits shape a reply: under 4,000 characters a message, inline keyboards of at
most 30 rows of 7 buttons. A longer text is cut where a person would cut it; a wider
row is wrapped; a keyboard of more than 30 rows continues on the next message, so
every button stays one tap away with no paging state that a restart could lose.
MAX has no keyboard that stays under the input field: the intern's menu comes as
inline buttons on the message that brings it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from maxapi.enums.upload_type import UploadType
from maxapi.types.attachments import ButtonsPayload, CallbackButton, LinkButton
from maxapi.types.attachments.attachment import Attachment
from maxapi.types.attachments.buttons.attachment_button import AttachmentButton
from maxapi.types.attachments.upload import AttachmentPayload, AttachmentUpload

from bot.messages import Button, OutFile, Reply
from messengers.text_split import split_text

TEXT_LIMIT = 3999
"""MAX takes a text shorter than 4,000 characters (maxapi checks `len(text) < 4000`)."""
MAX_ROWS = 30
MAX_PER_ROW = 7
PAYLOAD_LIMIT = 1024
MORE = "…"
"""The text of a message that only continues the previous one's keyboard."""


class PayloadTooLong(ValueError):
    """A button payload over MAX's 1,024 bytes: a bug in a feature, not a delivery problem."""


@dataclass
class Part:
    text: str
    rows: list[list[Button]] = field(default_factory=list)
    with_file: bool = False


def upload_type(out: OutFile) -> UploadType:
    return {
        "photo": UploadType.IMAGE, "video": UploadType.VIDEO, "voice": UploadType.AUDIO,
        "audio": UploadType.AUDIO,
    }.get(out.kind, UploadType.FILE)


def uploaded(out: OutFile, token: str) -> AttachmentUpload:
    """A file MAX has (uploaded by us, or sent by a person), attached by its token."""
    return AttachmentUpload(type=upload_type(out), payload=AttachmentPayload(token=token))


def _rows(reply: Reply) -> list[list[Button]]:
    rows = reply.buttons or reply.keyboard or []
    wrapped: list[list[Button]] = []
    for row in rows:
        for start in range(0, len(row), MAX_PER_ROW):
            wrapped.append(row[start:start + MAX_PER_ROW])
    return [row for row in wrapped if row]


def parts(reply: Reply) -> list[Part]:
    """The messages one reply becomes: text parts, the keyboard (and file) on the last,
    then as many keyboard-only messages as a keyboard over 30 rows needs."""
    texts = split_text(reply.text, TEXT_LIMIT) if reply.text.strip() else [""]
    rows = _rows(reply)
    result = [Part(text) for text in texts]
    pages = [rows[i:i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)] or [[]]
    result[-1].rows = pages[0]
    result[-1].with_file = reply.file is not None
    result.extend(Part(MORE, page) for page in pages[1:])
    return result


def button(b: Button) -> CallbackButton | LinkButton:
    if b.url:
        return LinkButton(text=b.label, url=b.url)
    if len(b.payload.encode("utf-8")) > PAYLOAD_LIMIT:
        raise PayloadTooLong(f"button payload over {PAYLOAD_LIMIT} bytes: {b.payload!r}")
    return CallbackButton(text=b.label, payload=b.payload)


def keyboard(rows: list[list[Button]]) -> Attachment | None:
    if not rows:
        return None
    return AttachmentButton(type="inline_keyboard",
                            payload=ButtonsPayload(buttons=[[button(b) for b in row] for row in rows]))

"""aiogram is imported without building every Bot API schema, and what is used still works."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import PACKAGE_ROOT

PROBE = """
import messengers.telegram
from aiogram.methods import SendMessage
from aiogram.types import Message, Update
assert not Update.__pydantic_complete__ and not Message.__pydantic_complete__
update = Update.model_validate({"update_id": 1, "message": {
    "message_id": 7, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi",
    "from": {"id": 5, "is_bot": False, "first_name": "A"},
    "reply_to_message": {"message_id": 6, "date": 0, "chat": {"id": 5, "type": "private"},
                         "video": {"file_id": "v", "file_unique_id": "u", "width": 1, "height": 1,
                                   "duration": 600}}}})
assert isinstance(update.message, Message) and update.message.from_user.first_name == "A"
assert update.message.reply_to_message.video.duration == 600
assert SendMessage(chat_id=5, text="x").model_dump(exclude_none=True)["chat_id"] == 5
from aiogram.types import Sticker
assert not Sticker.__pydantic_complete__  # never used, never built
print("ok")
"""


def test_types_are_built_when_first_used() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PACKAGE_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

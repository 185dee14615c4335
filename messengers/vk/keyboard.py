"""`Reply.buttons` -> VK keyboard JSON, and button payloads back.

Inline keyboards with callback buttons are the default (a press arrives as
`message_event`, answered so the button stops spinning). VK caps inline keyboards
at 6 rows / 10 buttons, so a longer choice (the form's "which answer to edit")
becomes a regular keyboard under the input field. Clients without callback
support get text buttons, whose press arrives as a message with the payload.
"""

from __future__ import annotations

import json
from typing import Any

from bot.messages import Button

LABEL_LIMIT = 40
PER_ROW = 5
INLINE_ROWS, INLINE_BUTTONS = 6, 10
REGULAR_ROWS, REGULAR_BUTTONS = 10, 40
PAYLOAD_KEY = "p"
PAYLOAD_LIMIT = 64
"""Bytes: Telegram's callback_data limit is the bot's contract on every messenger, so a
feature tried on VK never ships a button Telegram would refuse."""


def encode_payload(payload: str) -> str:
    return json.dumps({PAYLOAD_KEY: payload}, ensure_ascii=False)


def decode_payload(raw: Any) -> str | None:
    """Our payload from a VK payload (a JSON string or an already decoded object)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return raw or None
    if isinstance(raw, dict):
        if isinstance(raw.get(PAYLOAD_KEY), str):
            return raw[PAYLOAD_KEY]
        if raw.get("command") == "start":  # the "Start" button of a new conversation
            return None
        return json.dumps(raw, ensure_ascii=False)
    return None


def is_start_button(raw: Any) -> bool:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return False
    return isinstance(raw, dict) and raw.get("command") == "start"


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _button(b: Button, kind: str) -> dict[str, Any]:
    if b.url:
        return {"action": {"type": "open_link", "link": b.url, "label": _label(b.label)}}
    if len(b.payload.encode("utf-8")) > PAYLOAD_LIMIT:
        raise ValueError(f"button payload over {PAYLOAD_LIMIT} bytes: {b.payload!r}")
    return {
        "action": {"type": kind, "label": _label(b.label), "payload": encode_payload(b.payload)},
        "color": "secondary",
    }


def keyboard(rows: list[list[Button]], *, callbacks: bool = True, inline: bool = True,
             persistent: bool = False) -> str | None:
    """The `keyboard` parameter of messages.send (a JSON string), or None without buttons.

    `persistent`: a regular keyboard that stays after a press (the intern's menu);
    otherwise a regular keyboard of text buttons hides once used.
    """
    if not rows:
        return None
    kind = "callback" if callbacks else "text"
    shaped = [row[i:i + PER_ROW] for row in rows if row for i in range(0, len(row), PER_ROW)]
    total = sum(len(r) for r in shaped)
    if not inline or len(shaped) > INLINE_ROWS or total > INLINE_BUTTONS:
        shaped = _fit(shaped, REGULAR_ROWS, REGULAR_BUTTONS)
        body = {"one_time": not (callbacks or persistent), "inline": False,
                "buttons": [[_button(b, kind) for b in r] for r in shaped]}
    else:
        body = {"inline": True, "buttons": [[_button(b, kind) for b in r] for r in shaped]}
    return json.dumps(body, ensure_ascii=False)


def _fit(rows: list[list[Button]], max_rows: int, max_buttons: int) -> list[list[Button]]:
    kept: list[list[Button]] = []
    left = max_buttons
    for row in rows[:max_rows]:
        if left <= 0:
            break
        kept.append(row[:left])
        left -= len(kept[-1])
    return kept

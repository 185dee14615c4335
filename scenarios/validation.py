"""Turn what a person sent into an answer to one question, or say kindly what is wrong.

Pure functions: no storage, no messenger, so every rule is tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.messages import FileInfo, Incoming
from scenarios.models import Question, pick
from scenarios.timezones import RUSSIAN_ZONES, parse_zone

EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
URL = re.compile(r"^(https?://)?([\w\-]+\.)+[\w\-]{2,}(/\S*)?$", re.IGNORECASE)
YES_WORDS = {"да", "yes", "согласен", "согласна", "agree", "ок", "ok", "+"}
NO_WORDS = {"нет", "no", "не согласен", "не согласна"}
BUTTON_KINDS = frozenset({"choice", "scale", "timezone", "consent"})


@dataclass(frozen=True, slots=True)
class Accepted:
    value: Any


@dataclass(frozen=True, slots=True)
class Rejected:
    """`key` names a text in locales (`form.error.<key>`), `params` fill it in."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


Outcome = Accepted | Rejected


def file_answer(info: FileInfo) -> dict[str, Any]:
    return {
        "kind": info.kind, "file_id": info.file_id, "size": info.size,
        "mime": info.mime, "duration": info.duration, "name": info.name,
    }


def validate(question: Question, incoming: Incoming, button_value: str | None, lang: str) -> Outcome:
    """Check one input against one question; `button_value` is set when a button was pressed."""
    kind = question.kind
    if kind in ("file", "video"):
        return _file_or_video(question, incoming)
    if incoming.file is not None or incoming.unsupported:
        if kind in BUTTON_KINDS:  # "I need a text answer" would mislead: the answer is a button
            return Rejected("choose")
        what = incoming.file.kind if incoming.file else "other"
        return Rejected("not_text", {"what": what})
    if kind == "choice":
        return _choice(question, button_value, incoming.text or "", lang)
    if kind == "scale":
        return _scale(question, button_value, incoming.text or "")
    if kind == "timezone":
        return _timezone(button_value, incoming.text or "")
    if kind == "consent":
        return _consent(button_value, incoming.text or "")
    text = (incoming.text or "").strip()
    if button_value is not None and not text:
        return Rejected("need_text")
    if not text:
        return Rejected("empty")
    if len(text) > question.max_length:
        return Rejected("too_long", {"max": question.max_length, "length": len(text)})
    if len(text) < question.min_length:
        return Rejected("too_short", {"min": question.min_length})
    if kind == "email":
        email = text.replace(" ", "")
        if not EMAIL.match(email) or ".." in email:
            return Rejected("email")
        return Accepted(email.lower())
    if kind == "link":
        if not URL.match(text):
            return Rejected("link")
        return Accepted(text if "://" in text else f"https://{text}")
    if question.pattern and not re.search(question.pattern, text):
        if question.pattern_error:
            return Rejected("custom", {"message": pick(question.pattern_error, lang)})
        return Rejected("pattern")
    return Accepted(text)


def _choice(question: Question, button: str | None, text: str, lang: str) -> Outcome:
    values = [c.value for c in question.choices]
    if button is not None:
        return Accepted(button) if button in values else Rejected("choose")
    typed = text.strip().lower()
    for index, choice in enumerate(question.choices, start=1):
        if typed in (str(index), choice.value.lower(), pick(choice.label, lang).lower()):
            return Accepted(choice.value)
    return Rejected("choose")


def _scale(question: Question, button: str | None, text: str) -> Outcome:
    raw = button if button is not None else text.strip()
    try:
        value = int(raw)
    except ValueError:
        return Rejected("scale", {"min": question.scale_min, "max": question.scale_max})
    if not question.scale_min <= value <= question.scale_max:
        return Rejected("scale", {"min": question.scale_min, "max": question.scale_max})
    return Accepted(value)


def _timezone(button: str | None, text: str) -> Outcome:
    if button is not None:
        try:
            return Accepted(RUSSIAN_ZONES[int(button)][0])
        except (ValueError, IndexError):
            return Rejected("timezone")
    zone = parse_zone(text)
    return Accepted(zone) if zone else Rejected("timezone")


def _consent(button: str | None, text: str) -> Outcome:
    answer = button if button is not None else text.strip().lower().rstrip("!.")
    if answer in ("yes", *YES_WORDS):
        return Accepted(True)
    if answer in ("no", *NO_WORDS):
        return Rejected("consent_needed")
    return Rejected("consent_choose")


def _file_or_video(question: Question, incoming: Incoming) -> Outcome:
    info = incoming.file
    text = (incoming.text or "").strip()
    if info is None:
        if text and URL.match(text):
            return Accepted({"kind": "link", "url": text if "://" in text else f"https://{text}"})
        if incoming.unsupported:
            return Rejected("not_file", {"what": "other"})
        return Rejected("need_video" if question.kind == "video" else "need_file")
    if question.kind == "video":
        is_video = info.kind in ("video", "video_note", "animation") or (
            info.kind == "document" and (info.mime or "").startswith("video/")
        )
        if not is_video:
            return Rejected("not_video", {"what": info.kind})
    elif info.kind in ("sticker", "voice"):
        return Rejected("not_file", {"what": info.kind})
    return Accepted(file_answer(info))

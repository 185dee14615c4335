"""Read what an intern sent for a submission: a text, a file, a link, a video and its length.

Pure functions, like scenarios/validation.py: the rules come from the programme's
submission section, and every refusal names a text key so the intern hears kindly
what is wrong and stays at the same step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.messages import FileInfo, Incoming
from scenarios.models import Submission, VideoRules
from scenarios.validation import URL, Rejected, file_answer

MB = 1024 * 1024
NOT_WORK = ("sticker", "voice", "audio")
"""Attachments that are never homework or a video: a polite refusal, not a silent drop."""


@dataclass(frozen=True, slots=True)
class Item:
    value: dict[str, Any]
    minutes: float | None = None
    params: dict[str, Any] = field(default_factory=dict)


def _too_big(size: int | None, rules: Submission) -> bool:
    return size is not None and size > rules.max_file_mb * MB


def _file(info: FileInfo) -> dict[str, Any]:
    """A file reference; `kind_of` keeps the messenger's kind (video, photo, document)."""
    return {**file_answer(info), "kind": "file", "kind_of": info.kind}


def _link(text: str) -> dict[str, Any] | None:
    if " " in text or not URL.match(text):
        return None
    return {"kind": "link", "url": text if "://" in text else f"https://{text}"}


def read_work(incoming: Incoming, rules: Submission) -> Item | Rejected:
    """One piece of homework: a text, a link or a file (documents, photos, videos)."""
    info = incoming.file
    if incoming.unsupported:
        return Rejected("unsupported")
    if info is not None:
        if info.kind in NOT_WORK:
            return Rejected("not_work", {"what": info.kind})
        if "file" not in rules.accepts and "video" not in rules.accepts:
            return Rejected("no_files")
        if _too_big(info.size, rules):
            return Rejected("too_big", {"max_mb": rules.max_file_mb})
        return Item(_file(info))
    text = (incoming.text or "").strip()
    if not text:
        return Rejected("empty")
    link = _link(text)
    if link is not None and "link" in rules.accepts:
        return Item(link)
    if "text" not in rules.accepts:
        return Rejected("need_link")
    return Item({"kind": "text", "text": text[:4000]})


def read_video(incoming: Incoming, rules: Submission) -> Item | Rejected:
    """A video file (its duration when the messenger reports it) or a link to a video."""
    info = incoming.file
    if incoming.unsupported:
        return Rejected("unsupported")
    if info is not None:
        is_video = info.kind in ("video", "animation") or (
            info.kind == "document" and (info.mime or "").startswith("video/")
        )
        if not is_video:
            return Rejected("not_video", {"what": info.kind})
        if _too_big(info.size, rules):
            return Rejected("too_big", {"max_mb": rules.max_file_mb})
        minutes = round(info.duration / 60, 1) if info.duration else None
        return Item(_file(info), minutes)
    link = _link((incoming.text or "").strip())
    if link is None:
        return Rejected("need_video")
    return Item(link)


_MINUTES = re.compile(r"^(\d{1,3})(?:[.,](\d+))?\s*(?:мин\w*|min\w*|m)?$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,3}):(\d{2})$")


def parse_minutes(text: str) -> float | None:
    """"12", "12,5", "12 мин", "12:30" (minutes:seconds)."""
    cleaned = text.strip().lower()
    match = _CLOCK.match(cleaned)
    if match:
        seconds = int(match.group(2))
        return round(int(match.group(1)) + seconds / 60, 1) if seconds < 60 else None
    match = _MINUTES.match(cleaned)
    if not match:
        return None
    value = float(f"{match.group(1)}.{match.group(2) or 0}")
    return value if 0 < value <= 600 else None


def in_range(minutes: float, rules: VideoRules) -> bool:
    return rules.min_minutes <= minutes <= rules.max_minutes

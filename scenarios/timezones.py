"""Time zones offered as buttons: the common Russian zones, by their MSK offset."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RUSSIAN_ZONES: list[tuple[str, str, str]] = [
    ("Europe/Kaliningrad", "Калининград (МСК−1)", "Kaliningrad (MSK−1)"),
    ("Europe/Moscow", "Москва (МСК)", "Moscow (MSK)"),
    ("Europe/Samara", "Самара (МСК+1)", "Samara (MSK+1)"),
    ("Asia/Yekaterinburg", "Екатеринбург (МСК+2)", "Yekaterinburg (MSK+2)"),
    ("Asia/Omsk", "Омск (МСК+3)", "Omsk (MSK+3)"),
    ("Asia/Krasnoyarsk", "Красноярск (МСК+4)", "Krasnoyarsk (MSK+4)"),
    ("Asia/Irkutsk", "Иркутск (МСК+5)", "Irkutsk (MSK+5)"),
    ("Asia/Yakutsk", "Якутск (МСК+6)", "Yakutsk (MSK+6)"),
    ("Asia/Vladivostok", "Владивосток (МСК+7)", "Vladivostok (MSK+7)"),
    ("Asia/Magadan", "Магадан (МСК+8)", "Magadan (MSK+8)"),
    ("Asia/Kamchatka", "Камчатка (МСК+9)", "Kamchatka (MSK+9)"),
]

_MSK = re.compile(r"^(?:мск|msk)\s*([+\-−])?\s*(\d{1,2})?$", re.IGNORECASE)
_UTC = re.compile(r"^(?:utc|gmt)\s*([+\-−])\s*(\d{1,2})$", re.IGNORECASE)


def zone_label(zone: str, lang: str) -> str:
    for name, ru, en in RUSSIAN_ZONES:
        if name == zone:
            return ru if lang == "ru" else en
    return zone


def parse_zone(text: str) -> str | None:
    """Read what a person typed: a city from the list, `МСК+2`, `UTC+5` or an IANA name."""
    cleaned = text.strip()
    lowered = cleaned.lower()
    for name, ru, en in RUSSIAN_ZONES:
        city_ru, city_en = ru.split(" (")[0].lower(), en.split(" (")[0].lower()
        if lowered in (city_ru, city_en, name.lower(), ru.lower(), en.lower()):
            return name
    match = _MSK.match(lowered)
    if match:
        sign, hours = match.groups()
        offset = int(hours or 0) * (-1 if sign in ("-", "−") else 1)
        return _by_msk_offset(offset)
    match = _UTC.match(lowered)
    if match:
        sign, hours = match.groups()
        offset = int(hours) * (-1 if sign in ("-", "−") else 1)
        return _by_msk_offset(offset - 3) or _etc_zone(offset)
    if "/" in cleaned:
        try:
            ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return cleaned
    return None


def _by_msk_offset(offset: int) -> str | None:
    index = offset + 1
    if 0 <= index < len(RUSSIAN_ZONES):
        return RUSSIAN_ZONES[index][0]
    return None


def _etc_zone(offset: int) -> str | None:
    if not -12 <= offset <= 14:
        return None
    # POSIX Etc zones have the sign reversed: UTC+5 is Etc/GMT-5.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"

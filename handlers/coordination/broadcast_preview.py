"""What a coordinator should know before pressing "send" to 300 people.

One rendered message says little about the other 299: how many would see "—" where
their tutor or team should be (and what that looks like), whether sending is paused,
and how many are asleep now and will get it only in their morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.local_time import quiet_until, zone_of
from bot.services import Services
from handlers.coordination import coordinator_time, placeholders
from storage import flags
from storage import reminders as reminder_store
from storage.connection import Connection


@dataclass(slots=True)
class Analysis:
    count: int
    sample: str
    """The first recipient's text."""
    empty: dict[str, int] = field(default_factory=dict)
    """Placeholder -> how many recipients would see the empty mark there."""
    example: str = ""
    """The text of the first recipient with an empty placeholder ('' if it is the sample)."""
    example_is_sample: bool = False
    quiet: int = 0
    morning: tuple[datetime, datetime] | None = None
    """The earliest and latest local morning of those in their quiet hours."""
    paused: bool = False


async def analyse(
    conn: Connection, services: Services, body: str, recipients: list[int],
    at: datetime, now: datetime,
) -> Analysis:
    """Render for everyone (PlaceholderError when the text fails for someone) and count."""
    programme = services.programme
    used = placeholders.used_names(body)
    when = await placeholders.plan(conn, programme)
    result = Analysis(count=len(recipients), sample="")
    everyone = await placeholders.values_for_many(conn, programme, when, recipients, now,
                                                  services.texts.default)
    for index, pid in enumerate(recipients):
        values, _lang = everyone[pid]
        empty = placeholders.empty_names(values, used)
        for name in empty:
            result.empty[name] = result.empty.get(name, 0) + 1
        if index == 0:
            result.sample = placeholders.render(body, values)
            result.example_is_sample = bool(empty)
        elif empty and not result.example and not result.example_is_sample:
            result.example = placeholders.render(body, values)
    zones = await reminder_store.zones(conn, recipients)
    mornings = [
        wait for pid in recipients
        if (wait := quiet_until(at, zone_of(zones.get(pid), programme.timezone), programme.quiet_hours))
    ]
    result.quiet = len(mornings)
    if mornings:
        result.morning = (min(mornings), max(mornings))
    result.paused = await flags.get(conn, flags.PAUSED) == "1"
    return result


def notes(services: Services, lang: str, found: Analysis, zone: ZoneInfo, *, scheduled: bool = False) -> str:
    """The lines under the preview: empty placeholders, the pause, the quiet hours."""
    texts = services.texts
    lines: list[str] = []
    if found.empty:
        lines.append(texts.get(lang, "bc.pv.empty_title"))
        for name, count in found.empty.items():
            lines.append(texts.get(lang, "bc.pv.empty_line", name="{{ " + name + " }}", count=count,
                                   why=texts.get(lang, f"bc.pv.why.{name}"), mark=placeholders.EMPTY))
        if found.example_is_sample:
            lines.append(texts.get(lang, "bc.pv.example_is_first"))
        elif found.example:
            lines.append(texts.get(lang, "bc.pv.example", text=found.example))
    if found.paused:
        lines.append(texts.get(lang, "bc.pv.paused"))
    if found.quiet and found.morning:
        quiet = services.programme.quiet_hours
        when = coordinator_time.span(texts, lang, found.morning[0], found.morning[1], zone)
        lines.append(texts.get(lang, "bc.pv.quiet_at" if scheduled else "bc.pv.quiet", count=found.quiet,
                               total=found.count, start=quiet.start, end=quiet.end, when=when))
    return "\n\n".join(lines)

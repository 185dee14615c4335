"""What people see of a ticket: the staff card, the answer to the intern, forwarded messages.

Builders take the reader's language (`lang -> Reply`) so `ctx.notify` renders each message
for its recipient. Interns are never shown who on the staff answered (no names, no
accounts); the staff see the intern's name, team and place in the programme.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.i18n import Texts
from bot.messages import Button, OutFile, Reply
from bot.services import Services
from handlers.internship.menu import status_text
from scenarios.models import Programme, pick
from storage import dialogs, forms, persons, stages, teams, tickets
from storage.connection import Connection
from storage.tickets import Ticket, TicketMessage

Build = Callable[[str], Reply]
Parts = list[tuple[str, Build]]
"""One or two messages: (key suffix, builder). Callers send each with key + suffix."""
QUOTE_CHARS = 300
CAPTION_LIMIT = 1024
"""Telegram's caption limit. A longer text goes in a message of its own: an adapter could
split it too, but the outbox would then record only the last part's message id, and a
messenger reply to the text part would not find its ticket."""

STATUS_ICON = {"open": "🆕", "taken": "👀", "answered": "💬", "closed": "✅", "escalated": "🔺"}


async def person_label(conn: Connection, person_id: int | None) -> str:
    """A name for the staff's eyes: the full name, else the messenger name, else a number."""
    if person_id is None:
        return "—"
    person = await persons.get_person(conn, person_id)
    if person.full_name:
        return person.full_name
    for account in await persons.accounts_of(conn, person_id):
        if account.display_name:
            return account.display_name
    return f"#{person_id}"


async def where(
    conn: Connection, programme: Programme, person_id: int
) -> tuple[str | None, str | None]:
    """The intern's current stage and step: the form they are filling in, else the first
    stage still waiting for them, else the last one they touched."""
    dialog = await dialogs.get(conn, person_id)
    if dialog is not None and dialog.kind != "form":
        dialog = _previous(dialog)
    if dialog is not None and dialog.kind == "form":
        return dialog.ref, await _form_step(conn, programme, person_id, dialog.ref)
    statuses = await stages.statuses_of(conn, person_id)
    current = next(
        (s.id for s in programme.stages if statuses.get(s.id) in ("open", "returned")), None
    )
    if current is None:
        touched = [s.id for s in programme.stages if s.id in statuses]
        current = touched[-1] if touched else None
    if current is None:
        return None, None
    return current, await _form_step(conn, programme, person_id, current)


def _previous(dialog: dialogs.Dialog) -> dialogs.Dialog | None:
    prev = dialog.data.get("prev")
    return dialogs.Dialog(prev["kind"], prev["ref"], prev.get("data", {})) if prev else None


async def _form_step(
    conn: Connection, programme: Programme, person_id: int, stage_id: str
) -> str | None:
    form = programme.stage(stage_id).form if _has_stage(programme, stage_id) else None
    if form is None:
        return None
    progress = await forms.get(conn, person_id, stage_id)
    if progress is None or progress.status == "submitted":
        return None
    total = len(form.questions)
    return f"{min(progress.step + 1, total)}/{total}"


def _has_stage(programme: Programme, stage_id: str) -> bool:
    return any(s.id == stage_id for s in programme.stages)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(programme: Programme, moment: datetime) -> str:
    return moment.astimezone(programme.zone).strftime("%d.%m %H:%M")


def duration(texts: Texts, lang: str, delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return texts.get(lang, "tickets.duration_days", days=days, hours=hours)
    if hours:
        return texts.get(lang, "tickets.duration_hours", hours=hours, minutes=mins)
    return texts.get(lang, "tickets.duration_minutes", minutes=mins)


async def file_platform_of(conn: Connection, person_id: int) -> str | None:
    """Where a notice to this person will go (the same choice `notify` makes)."""
    accounts = await persons.accounts_of(conn, person_id)
    reachable = [a for a in accounts if not a.unreachable] or accounts
    return reachable[0].platform if reachable else None


def attachment(message: TicketMessage | None, platform: str | None) -> OutFile | None:
    """A messenger file id only works on its own messenger; elsewhere we say a file exists."""
    if message is None or message.file is None or message.file_platform != platform:
        return None
    f = message.file
    return OutFile(name=f.name or f.kind, file_id=f.file_id, kind=f.kind, mime=f.mime)


def kind_name(texts: Texts, lang: str, kind: str) -> str:
    key = f"tickets.file_kind.{kind}"
    return texts.get(lang, key) if texts.has(key) else kind


def question_of(texts: Texts, lang: str, ticket: Ticket, first: TicketMessage | None,
                limit: int = QUOTE_CHARS) -> str:
    """The question as quoted back: its words, or what was sent when it had none (a voice
    message or a photo), so nobody reads an empty «…»."""
    if ticket.question.strip():
        return quote(ticket.question, limit)
    if first is not None and first.file is not None:
        return kind_name(texts, lang, first.file.kind)
    return "…"


def file_note(texts: Texts, lang: str, message: TicketMessage | None, platform: str | None) -> str:
    if message is None or message.file is None:
        return ""
    kind = kind_name(texts, lang, message.file.kind)
    if message.file_platform == platform:
        return texts.get(lang, "tickets.file_attached", kind=kind)
    return texts.get(lang, "tickets.file_elsewhere", kind=kind, platform=message.file_platform)


def file_apart(build: Build, texts: Texts, ticket_id: int) -> Parts:
    """Keep a long text and its file in two ticket messages, each answerable by a reply.

    Only the staff's and interns' own words are long; headers differ by a few dozen
    characters between languages, hence the margin on a probe in the default language.
    """
    probe = build(texts.default)
    if probe.file is None or len(probe.text) <= CAPTION_LIMIT - 100:
        return [("", build)]

    def text_only(lang: str) -> Reply:
        full = build(lang)
        return Reply(full.text, full.buttons)

    def file_only(lang: str) -> Reply:
        return Reply(texts.get(lang, "tickets.file_of", id=ticket_id), [], build(lang).file)

    return [("", text_only), (":f", file_only)]


def staff_buttons(texts: Texts, lang: str, ticket_id: int, *, coordinator: bool,
                  tutor: bool) -> list[list[Button]]:
    t = ticket_id
    rows = [[Button(texts.get(lang, "tickets.btn.reply"), f"tk|{t}|r")]]
    if tutor:
        rows[0].append(Button(texts.get(lang, "tickets.btn.take"), f"tk|{t}|t"))
    second = [Button(texts.get(lang, "tickets.btn.close"), f"tk|{t}|c")]
    if tutor:
        second.append(Button(texts.get(lang, "tickets.btn.pass"), f"tk|{t}|p"))
    if coordinator:
        second.append(Button(texts.get(lang, "tickets.btn.reassign"), f"tk|{t}|a"))
    rows.append(second)
    return rows


async def staff_card(
    conn: Connection,
    services: Services,
    ticket: Ticket,
    reader_id: int,
    *,
    headline: str = "tickets.card_new",
    coordinator: bool,
) -> Parts:
    """The full ticket for a tutor or coordinator: who, team, where, the question, buttons."""
    programme, texts = services.programme, services.texts
    intern = await person_label(conn, ticket.intern_id)
    team = await teams.get(conn, ticket.team_id) if ticket.team_id else None
    tutor = await person_label(conn, ticket.tutor_id) if ticket.tutor_id else None
    first = await tickets.first_message(conn, ticket.id)
    history = await tickets.messages(conn, ticket.id)
    platform = await file_platform_of(conn, reader_id)
    stage = programme.stage(ticket.stage_id) if ticket.stage_id and _has_stage(
        programme, ticket.stage_id) else None
    is_tutor = ticket.tutor_id == reader_id
    # A stage the intern already finished (e.g. the application, before stage 1 opens) is
    # where they are between stages: say so, or "Stage: Application" reads as still applying.
    stage_status = (await stages.status(conn, ticket.intern_id, stage.id)) if stage else None
    done = stage_status if stage_status in stages.FINISHED else None

    def build(lang: str) -> Reply:
        lines = [texts.get(lang, headline, id=ticket.id, icon=STATUS_ICON[ticket.status],
                           status=texts.get(lang, f"tickets.status.{ticket.status}"))]
        lines.append(texts.get(lang, "tickets.card_from", intern=intern,
                               team=team.name if team else texts.get(lang, "tickets.no_team")))
        if stage is not None:
            lines.append(texts.get(lang, "tickets.card_stage", stage=pick(stage.title, lang),
                                   step=ticket.step or "",
                                   done=status_text(texts, lang, stage.kind, done) if done else ""))
        lines.append(texts.get(lang, "tickets.card_asked",
                               at=local_time(programme, ticket.created_at)))
        if coordinator:
            lines.append(texts.get(lang, "tickets.card_tutor",
                                   tutor=tutor or texts.get(lang, "tickets.no_tutor")))
        if ticket.escalation_reason:
            # someone with no team at all (still applying, not yet placed) has no tutor
            # for another reason than a team without one
            reason = ticket.escalation_reason
            if reason == "no_tutor" and ticket.team_id is None:
                reason = "no_team"
            lines.append(texts.get(lang, f"tickets.reason.{reason}"))
        lines.append(f"\n«{question_of(texts, lang, ticket, first, 1500)}»")
        note = file_note(texts, lang, first, platform)
        if note:
            lines.append(note)
        later = len(history) - 1
        if later > 0:
            lines.append(texts.get(lang, "tickets.card_more", count=later))
        buttons = staff_buttons(texts, lang, ticket.id, coordinator=coordinator,
                                tutor=is_tutor)
        return Reply("\n".join(lines), buttons, attachment(first, platform))

    return file_apart(build, texts, ticket.id)


async def answer_for_intern(
    conn: Connection, services: Services, ticket: Ticket, message: TicketMessage
) -> Parts:
    """The staff's answer, quoting the question, with "that helped" / "ask again"."""
    texts = services.texts
    platform = await file_platform_of(conn, ticket.intern_id)
    who = "coordinator" if message.author_role == "coordinator" else "tutor"
    first = await tickets.first_message(conn, ticket.id)

    def build(lang: str) -> Reply:
        lines = [texts.get(lang, f"tickets.answer_from_{who}", id=ticket.id),
                 f"«{question_of(texts, lang, ticket, first)}»", ""]
        if message.text:
            lines.append(message.text)
        note = file_note(texts, lang, message, platform)
        if note:
            lines.append(note)
        buttons = [[
            Button(texts.get(lang, "tickets.btn.helped"), f"askok|{ticket.id}"),
            Button(texts.get(lang, "tickets.btn.ask_again"), f"ask|{ticket.id}"),
        ]]
        return Reply("\n".join(lines).strip(), buttons, attachment(message, platform))

    return file_apart(build, texts, ticket.id)


async def follow_up_for_staff(
    conn: Connection, services: Services, ticket: Ticket, message: TicketMessage,
    reader_id: int,
) -> Parts:
    """An intern's further message inside a ticket, for the tutor (or a coordinator)."""
    texts = services.texts
    intern = await person_label(conn, ticket.intern_id)
    platform = await file_platform_of(conn, reader_id)
    coordinator = ticket.tutor_id != reader_id
    first = await tickets.first_message(conn, ticket.id)

    def build(lang: str) -> Reply:
        lines = [texts.get(lang, "tickets.follow_up", id=ticket.id, intern=intern),
                 texts.get(lang, "tickets.about", question=question_of(texts, lang, ticket, first, 120)),
                 ""]
        if message.text:
            lines.append(message.text)
        note = file_note(texts, lang, message, platform)
        if note:
            lines.append(note)
        buttons = staff_buttons(texts, lang, ticket.id, coordinator=coordinator,
                                tutor=not coordinator)
        return Reply("\n".join(lines).strip(), buttons, attachment(message, platform))

    return file_apart(build, texts, ticket.id)


def plain(texts: Texts, key: str, buttons: Callable[[str], list[list[Button]]] | None = None,
          **params: object) -> Build:
    """A one-line notice in the reader's language."""
    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, key, **params), buttons(lang) if buttons else [])

    return build

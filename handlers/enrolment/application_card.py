"""How a coordinator sees an application: the full card with its buttons, or one line of a list.

Separate from the application flow because three places show applications (the notice
of a new one, the digest job, /applications) and the job runs outside any update.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import Texts
from bot.messages import Button, Reply
from bot.services import Services
from scenarios.engine import shown
from scenarios.models import Form, pick
from storage import applications
from storage.applications import Application
from storage.connection import Connection

CardBuilder = Callable[[str], Reply]


async def card(conn: Connection, services: Services, app_id: int) -> CardBuilder:
    """A builder of the coordinator's view of one application, in their language."""
    app = await applications.get(conn, app_id)
    assert app is not None
    form = services.programme.application.form
    assert form is not None
    texts = services.texts

    def build(lang: str) -> Reply:
        lines = [texts.get(lang, "app.card_title", id=app_id)]
        for q in form.questions:
            if q.kind == "consent":
                continue
            label = pick(q.prompt, lang).split("?")[0].split(".")[0]
            lines.append(f"• {label}: {shown(texts, lang, q, app.answers.get(q.id))}")
        buttons = [[
            Button(texts.get(lang, "app.approve"), f"app|{app_id}|ok"),
            Button(texts.get(lang, "app.reject"), f"app|{app_id}|no"),
        ], [Button(texts.get(lang, "app.fix"), f"app|{app_id}|fix")]]
        return Reply("\n".join(lines), buttons)

    return build


def name_of(app: Application, form: Form) -> str:
    """The applicant's name as they gave it (the question stored as full_name)."""
    for q in form.questions:
        if q.store_as == "full_name":
            return str(app.answers.get(q.id) or "").strip()
    return ""


def short_name(full: str, limit: int = 22) -> str:
    """«Иванова М. П.» for a button label: a surname and initials fit a phone's keyboard."""
    parts = full.split()
    if not parts:
        return ""
    text = " ".join([parts[0], *(p[0] + "." if p[0].isalpha() else p for p in parts[1:3])])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line(texts: Texts, lang: str, app: Application, form: Form) -> str:
    """One application in a list: its number and name, then the other answers in brief."""
    name = name_of(app, form) or "—"
    rest = [
        shown(texts, lang, q, app.answers.get(q.id))
        for q in form.questions
        if q.kind != "consent" and q.store_as != "full_name" and app.answers.get(q.id) is not None
    ]
    details = "; ".join(r[:80] for r in rest)
    return f"№{app.id} {name}" + (f"\n   {details}" if details else "")

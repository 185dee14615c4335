"""`GET /verify/{number}`: anyone (no sign-in) checks a certificate, as with /verify in the chat.

The answer is the chat's own (`verification.lookup` and the `cert.verify.*` texts): only
what the certificate itself shows. The QR code printed on a certificate leads here.
"""

from __future__ import annotations

from aiohttp import web

from handlers.certificates import verification
from web.auth import browser_language
from web.panel import Panel


def register(panel: Panel) -> None:
    async def verify(request: web.Request) -> web.Response:
        number = request.match_info["number"][:128]
        lang = browser_language(panel, request)
        async with panel.s.db.read() as conn:
            found = await verification.lookup(conn, number)
        if found is None:
            text = panel.s.texts.get(lang, "cert.verify.unknown", number=verification.clean(number)[:64])
            status, state = 404, "unknown"
        else:
            issued = found.issued_at.astimezone(panel.s.programme.zone) if found.issued_at else None
            text = panel.s.texts.get(
                lang, f"cert.verify.{found.status}", number=found.number, name=found.name,
                programme=found.programme, replaced_by=found.replaced_by or "",
                date=(issued or found.issued_on).strftime("%d.%m.%Y"),
            )
            status, state = 200, found.status
        return await panel.render(request, None, "verify.html", status=status, lang=lang, text=text,
                                  state=state)

    panel.app.router.add_get("/verify/{number}", verify)

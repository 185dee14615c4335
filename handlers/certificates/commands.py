"""`/verify NUMBER` for anyone; `/certificates` for coordinators (counts, preview, issue,
send again, revoke). Buttons for every finite choice; roles checked by the router."""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button, OutFile, Reply
from bot.services import Services
from handlers.certificates import design, issuing, verification
from storage import certificates

COORDINATOR = {"coordinator"}
PAGE = 8
FAILED_SHOWN = 10


def register(s: Services) -> None:
    s.router.command("verify", verify)
    s.router.deep_link("verify-", verify_link)
    s.router.command("certificates", overview, COORDINATOR)
    s.router.payload("crt", on_button, COORDINATOR)


# -- /verify -----------------------------------------------------------------------------------
async def verify(ctx: Ctx) -> None:
    if not ctx.args:
        await ctx.reply(ctx.t("cert.verify.usage"))
        return
    await _answer(ctx, " ".join(ctx.args))


async def verify_link(ctx: Ctx) -> None:
    """`/start verify-<number>`: the QR code of a certificate opened in Telegram."""
    await _answer(ctx, ctx.args[0].removeprefix("verify-"))


async def _answer(ctx: Ctx, number: str) -> None:
    found = await verification.lookup(ctx.conn, number)
    if found is None:
        await ctx.reply(ctx.t("cert.verify.unknown", number=verification.clean(number)[:64]))
        return
    zone = ctx.services.programme.zone
    issued = (found.issued_at.astimezone(zone) if found.issued_at else None)
    await ctx.reply(ctx.t(
        f"cert.verify.{found.status}", number=found.number, name=found.name, programme=found.programme,
        date=issued.strftime("%d.%m.%Y") if issued else found.issued_on.strftime("%d.%m.%Y"),
        replaced_by=found.replaced_by or "",
    ))


# -- /certificates -----------------------------------------------------------------------------
async def overview(ctx: Ctx) -> None:
    programme = ctx.services.programme
    if programme.certificate is None:
        await ctx.reply(ctx.t("cert.admin.not_configured"))
        return
    people = await certificates.candidates(ctx.conn)
    valid = await certificates.valid_by_person(ctx.conn)
    ready = [c for c in people if issuing.eligible(programme, c)]
    waiting = [c for c in ready if c.person_id not in valid]
    sendings = await certificates.sendings(ctx.conn)
    mailed = sum(1 for c in valid.values() if (s := sendings.get((c.number, "mail"))) and s.status == "sent")
    failed = [(c, s) for c in valid.values()
              if (s := sendings.get((c.number, "mail"))) and s.status in ("failed", "unreachable")]
    mode = ctx.t(f"cert.admin.mode.{programme.certificate.issue}")
    lines = [ctx.t("cert.admin.title"),
             ctx.t("cert.admin.counts", eligible=len(ready), issued=len(valid), mailed=mailed,
                   failed=len(failed), waiting=len(waiting), mode=mode)]
    if not ctx.services.settings.smtp_enabled:
        lines.append(ctx.t("cert.admin.no_smtp"))
    if failed:
        lines.append(ctx.t("cert.admin.failed_title"))
        for c, s in failed[:FAILED_SHOWN]:
            lines.append(ctx.t("cert.admin.failed_line", name=c.name, number=c.number, email=s.chat_ref,
                               error=(s.error or "")[:80]))
        if len(failed) > FAILED_SHOWN:
            lines.append(ctx.t("cert.admin.more", count=len(failed) - FAILED_SHOWN))
    rows = [[Button(ctx.t("cert.admin.preview"), "crt|prev")]]
    if waiting:
        rows.append([Button(ctx.t("cert.admin.issue_all", count=len(waiting)), "crt|all")])
    if valid:
        rows.append([Button(ctx.t("cert.admin.again"), "crt|pick|again|0"),
                     Button(ctx.t("cert.admin.revoke"), "crt|pick|rv|0")])
    await ctx.reply("\n".join(lines), rows)


async def on_button(ctx: Ctx) -> None:
    """crt|prev · crt|all · crt|allok|<n> · crt|pick|<again|rv>|<page> · crt|again|<number>
    · crt|rv|<number> · crt|rvok|<number> · crt|no"""
    if ctx.services.programme.certificate is None:
        await ctx.reply(ctx.t("cert.admin.not_configured"))
        return
    action, rest = (ctx.args[0], ctx.args[1:]) if ctx.args else ("", [])
    if action == "prev":
        await preview(ctx)
    elif action == "all":
        await ask_issue_all(ctx)
    elif action == "allok" and len(rest) == 1 and rest[0].isdigit():
        await issue_all(ctx, int(rest[0]))
    elif action == "pick" and len(rest) == 2 and rest[0] in ("again", "rv") and rest[1].isdigit():
        await pick(ctx, rest[0], int(rest[1]))
    elif action in ("again", "rv", "rvok") and len(rest) == 1:
        await on_one(ctx, action, rest[0])
    elif action == "no":
        await ctx.reply(ctx.t("cert.admin.cancelled"))
    else:
        await ctx.services.core.stale(ctx)


async def preview(ctx: Ctx) -> None:
    people = await certificates.candidates(ctx.conn)
    named = next((c.full_name for c in people if issuing.eligible(ctx.services.programme, c)), None)
    name = " ".join((named or ctx.t("cert.admin.sample_name")).split())
    services = ctx.services
    cert = services.programme.certificate
    assert cert is not None
    caption = ctx.t("cert.admin.preview_caption")

    async def build() -> Reply:
        data = await issuing.sample_pdf(services, name)
        return Reply(caption, file=OutFile(design.file_name(cert, "sample"), data=data,
                                           mime=issuing.PDF_MIME))

    ctx.reply_later(build)


async def _waiting(ctx: Ctx) -> int:
    people = await certificates.candidates(ctx.conn)
    valid = await certificates.valid_by_person(ctx.conn)
    return sum(1 for c in people if c.person_id not in valid and issuing.eligible(ctx.services.programme, c))


async def ask_issue_all(ctx: Ctx) -> None:
    count = await _waiting(ctx)
    if not count:
        await ctx.reply(ctx.t("cert.admin.none_waiting"))
        return
    smtp = ctx.services.settings.smtp_enabled
    await ctx.reply(ctx.t("cert.admin.confirm_all", count=count, smtp=smtp), [[
        Button(ctx.t("cert.admin.yes_issue", count=count), f"crt|allok|{count}"),
        Button(ctx.t("common.cancel"), "crt|no"),
    ]])


async def issue_all(ctx: Ctx, confirmed: int) -> None:
    count = await _waiting(ctx)
    if count != confirmed:  # someone became eligible or got one meanwhile: ask again with the truth
        await ask_issue_all(ctx)
        return
    services, by = ctx.services, ctx.person.id
    started = ctx.t("cert.admin.issuing", count=count, smtp=services.settings.smtp_enabled)

    async def build() -> Reply:
        """Begins once this confirmation is committed: thousands of PDFs take a while."""
        issuing.issue_all_later(services, by)
        return Reply(started)

    ctx.reply_later(build)


async def pick(ctx: Ctx, action: str, page: int) -> None:
    issued = sorted((await certificates.valid_by_person(ctx.conn)).values(), key=lambda c: c.name)
    if not issued:
        await ctx.reply(ctx.t("cert.admin.none_issued"))
        return
    page = min(page, (len(issued) - 1) // PAGE)
    shown = issued[page * PAGE:(page + 1) * PAGE]
    rows = [[Button(f"{c.name} · {c.number}", f"crt|{action}|{c.number}")] for c in shown]
    nav = []
    if page:
        nav.append(Button("◀️", f"crt|pick|{action}|{page - 1}"))
    if (page + 1) * PAGE < len(issued):
        nav.append(Button("▶️", f"crt|pick|{action}|{page + 1}"))
    if nav:
        rows.append(nav)
    await ctx.reply(ctx.t(f"cert.admin.pick_{action}", page=page + 1,
                          pages=(len(issued) - 1) // PAGE + 1), rows)


async def on_one(ctx: Ctx, action: str, number: str) -> None:
    found = await certificates.by_number(ctx.conn, number)
    if found is None or found.status != "valid":
        await ctx.reply(ctx.t("cert.admin.not_valid", number=number))
        return
    if action == "again":
        await issuing.send(ctx.conn, ctx.services, found, ctx.now, again=True, written=ctx.written)
        await ctx.reply(ctx.t("cert.admin.sent_again", name=found.name, number=found.number))
    elif action == "rv":
        await ctx.reply(ctx.t("cert.admin.confirm_revoke", name=found.name, number=found.number), [[
            Button(ctx.t("cert.admin.yes_revoke"), f"crt|rvok|{found.number}"),
            Button(ctx.t("common.cancel"), "crt|no"),
        ]])
    else:
        await issuing.revoke(ctx.conn, found.number, ctx.now, ctx.person.id)
        await ctx.reply(ctx.t("cert.admin.revoked", name=found.name, number=found.number))

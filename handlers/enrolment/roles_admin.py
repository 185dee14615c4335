"""`/roles`: who is a tutor or coordinator, revoking a role (with a confirmation), and
withdrawing an invitation nobody has used yet.

Coordinators listed in settings get their role back on every message, so revoking
one of them is refused with an explanation instead of silently undone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.clock import from_iso, to_iso
from bot.context import Ctx
from bot.keyboards import grid
from bot.messages import Button, Reply
from bot.people import names
from bot.services import Services
from handlers.tickets import staff
from storage import invites, persons, teams
from storage.db import fetchall

COORDINATOR = {"coordinator"}
STAFF = ("coordinator", "tutor")


def register(s: Services) -> None:
    s.router.command("roles", list_roles, COORDINATOR)
    s.router.payload("rv", revoke_button, COORDINATOR)


async def list_roles(ctx: Ctx) -> None:
    rows = await fetchall(
        ctx.conn,
        "SELECT r.person_id, r.role FROM roles r JOIN persons p ON p.id = r.person_id"
        " WHERE r.role IN ('coordinator', 'tutor') AND p.deleted_at IS NULL"
        " ORDER BY r.role, r.person_id",
    )
    if not rows:
        await ctx.reply(ctx.t("rolesadm.none"))
        return
    shown = await names(ctx.conn, [r["person_id"] for r in rows])
    lines = [ctx.t("rolesadm.title")]
    buttons: list[Button] = []
    for r in rows:
        label = ctx.t(f"invite.role.{r['role']}")
        lines.append(f"• {shown[r['person_id']]} — {label}")
        if r["person_id"] != ctx.person.id:
            buttons.append(Button(
                ctx.t("rolesadm.revoke", name=shown[r["person_id"]], role=label),
                f"rv|{r['person_id']}|{r['role']}",
            ))
    waiting = await invites.open_invites(ctx.conn, ctx.now)
    if waiting:
        lines.append(ctx.t("rolesadm.open_invites", count=len(waiting)))
        zone = ZoneInfo(ctx.person.timezone or ctx.services.programme.timezone)
        for invite in waiting:
            until = from_iso(invite.expires_at).astimezone(zone).strftime("%d.%m %H:%M")
            buttons.append(Button(
                ctx.t("rolesadm.cancel_invite", role=ctx.t(f"invite.role.{invite.role}"), until=until),
                f"inv|x|{invite.code}",
            ))
    lines.append(ctx.t("rolesadm.hint"))
    await ctx.reply("\n".join(lines), grid(buttons))


async def revoke_button(ctx: Ctx) -> None:
    """`rv|<person>|<role>` asks; `rv|<person>|<role>|yes` revokes."""
    args = ctx.args
    if len(args) not in (2, 3) or not args[0].isdigit() or args[1] not in STAFF:
        await ctx.services.core.stale(ctx)
        return
    person_id, role = int(args[0]), args[1]
    if len(args) == 3 and args[2] != "yes":
        await ctx.reply(ctx.t("rolesadm.kept"))
        return
    who = (await names(ctx.conn, [person_id]))[person_id]
    role_label = ctx.t(f"invite.role.{role}")
    if person_id == ctx.person.id:
        await ctx.reply(ctx.t("rolesadm.not_self"))
        return
    if role not in await persons.roles_of(ctx.conn, person_id):
        await ctx.reply(ctx.t("rolesadm.not_held", name=who, role=role_label))
        return
    if role == "coordinator" and any(
        a.platform == p and a.user_ref == ref
        for a in await persons.accounts_of(ctx.conn, person_id)
        for p, ref in ctx.services.settings.coordinators
    ):
        await ctx.reply(ctx.t("rolesadm.from_settings", name=who))
        return
    if len(args) == 2:
        await ctx.reply(
            ctx.t("rolesadm.confirm", name=who, role=role_label),
            [[Button(ctx.t("rolesadm.yes"), f"rv|{person_id}|{role}|yes"),
              Button(ctx.t("common.cancel"), "rv|0|tutor|no")]],
        )
        return
    await persons.revoke_role(ctx.conn, person_id, role)
    if role == "tutor":
        for team in await teams.teams_of_tutor(ctx.conn, person_id):
            await teams.set_tutor(ctx.conn, team.id, None)
        await staff.tutor_removed(ctx, person_id)
    await ctx.reply(ctx.t("rolesadm.revoked", name=who, role=role_label))
    texts = ctx.services.texts

    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, "rolesadm.you_lost", role=texts.get(lang, f"invite.role.{role}")))

    await ctx.notify(person_id, f"rv:{person_id}:{role}:{to_iso(ctx.now)}", build)

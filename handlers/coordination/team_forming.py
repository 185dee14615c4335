"""Teams: automatic formation (team_rules.py), teams by hand, tutors, moving interns.

Whenever a team changes, each member and the tutor are told the team, the team-mates
and the tutor. The idempotency key carries the team's composition and the update that
changed it: a re-delivered update says nothing twice, while a team that returns to an
earlier line-up (moved out and back) is still announced. Presses that change nothing
(the same tutor again, a move into the same team) announce nothing.
"""

from __future__ import annotations

import hashlib

from bot.clock import to_iso
from bot.context import Ctx
from bot.keyboards import grid
from bot.messages import Button, Reply
from bot.people import names
from bot.services import Services
from handlers.coordination.team_rules import Candidate, form_teams, normalise
from handlers.tickets import staff
from storage import cohort, levels, persons, teams

COORDINATOR = {"coordinator"}
STAFF = {"coordinator", "tutor"}


def register(s: Services) -> None:
    s.router.command("teams", list_teams, STAFF)
    s.router.command("newteam", new_team, COORDINATOR)
    s.router.command("myteam", my_team)
    s.router.payload("tm", team_button, COORDINATOR)


async def list_teams(ctx: Ctx) -> None:
    """Coordinators see every team with the tools; a tutor sees only their own teams."""
    coordinator = ctx.has_role("coordinator")
    shown = (
        await teams.all_teams(ctx.conn) if coordinator
        else await teams.teams_of_tutor(ctx.conn, ctx.person.id)
    )
    lines: list[str] = []
    for team in shown:
        members = await teams.members(ctx.conn, team.id)
        who = await names(ctx.conn, [*members, *([team.tutor_id] if team.tutor_id else [])])
        tutor = who[team.tutor_id] if team.tutor_id else ctx.t("teams.no_tutor")
        lines.append(ctx.t("teams.line", team=team.name, tutor=tutor, count=len(members)))
        lines.extend(f"   • {who[m]}" for m in members)
    if not coordinator:
        await ctx.reply("\n".join(lines) if lines else ctx.t("teams.tutor_none"))
        return
    loose = await cohort.interns_without_team(ctx.conn)
    if not lines:
        lines.append(ctx.t("teams.none"))
    lines.append(ctx.t("teams.without_team", count=len(loose)))
    buttons = [
        [Button(ctx.t("teams.auto"), "tm|auto")],
        [Button(ctx.t("teams.move"), "tm|move"), Button(ctx.t("teams.tutors"), "tm|tutors")],
    ]
    await ctx.reply("\n".join(lines), buttons)


async def my_team(ctx: Ctx) -> None:
    """Anyone: their own team, team-mates and tutor (the same text as the announcement).

    A tutor is in no team as a member: they get the list of the teams they lead.
    """
    team = await teams.team_of(ctx.conn, ctx.person.id)
    if team is None and ctx.has_role("tutor"):
        await list_teams(ctx)
        return
    if team is None:
        await ctx.reply(ctx.t("teams.no_team_yet"))
        return
    members = await teams.members(ctx.conn, team.id)
    who = await names(ctx.conn, [*members, *([team.tutor_id] if team.tutor_id else [])])
    tutor = who[team.tutor_id] if team.tutor_id else ctx.t("teams.tutor_later")
    # the reader is a member too: the count includes them, the names are the others'
    mates = ", ".join(who[m] for m in members if m != ctx.person.id)
    await ctx.reply(ctx.t("teams.you_member", team=team.name, mates=mates, tutor=tutor, size=len(members)))


async def new_team(ctx: Ctx) -> None:
    """`/newteam Name`: a team by hand; members are then moved into it."""
    title = " ".join(ctx.args).strip()[:60]
    if not title:
        await ctx.reply(ctx.t("teams.newteam_usage"))
        return
    await teams.create(ctx.conn, title, ctx.now)
    await ctx.reply(ctx.t("teams.created", team=title), [[Button(ctx.t("teams.move"), "tm|move")]])


async def team_button(ctx: Ctx) -> None:
    action, args = (ctx.args[0], ctx.args[1:]) if ctx.args else ("", [])
    handler = _ACTIONS.get(action)
    if handler is None or (action != "auto" and not all(a.isdigit() for a in args)):
        await ctx.services.core.stale(ctx)
        return
    await handler(ctx, args)


async def _proposal(ctx: Ctx) -> list[list[int]]:
    rules = ctx.services.programme.teams
    loose = await cohort.interns_without_team(ctx.conn)
    answers = await cohort.answers(ctx.conn, loose)
    # `level` is the diagnostic's level, not an application answer; while nobody has one
    # it is left out, so it cannot reorder anything
    known = {pid: row.level for pid, row in (await levels.of_people(ctx.conn, loose)).items() if row.level}
    mix = [q for q in rules.mix_by if q != "level" or known]

    def trait(pid: int, question: str) -> str:
        return known.get(pid, "") if question == "level" else normalise(answers[pid].get(question))

    people = [Candidate(pid, tuple(trait(pid, q) for q in mix)) for pid in loose]
    if rules.group_by != "level":
        return form_teams(people, rules.min_size, rules.max_size)
    # homogeneous teams: each level (and those without one) formed on its own
    groups: dict[str, list[Candidate]] = {}
    for person in people:
        groups.setdefault(known.get(person.person_id, ""), []).append(person)
    return [team for _, group in sorted(groups.items())
            for team in form_teams(group, rules.min_size, rules.max_size)]


async def auto(ctx: Ctx, args: list[str]) -> None:
    """`tm|auto` shows the proposal; `tm|auto|<digest>` creates exactly the proposal shown.

    The proposal is recomputed on confirmation (the rules are deterministic); if the
    cohort changed in between, the digest differs and the new proposal is shown instead.
    """
    proposal = await _proposal(ctx)
    if not proposal:
        await ctx.reply(ctx.t("teams.nobody_loose"))
        return
    rules = ctx.services.programme.teams
    start = len(await teams.all_teams(ctx.conn)) + 1
    titles = [ctx.services.texts.get(ctx.services.programme.locale, "teams.default_name", n=start + i)
              for i in range(len(proposal))]
    digest = hashlib.sha1(f"{titles}|{proposal}".encode()).hexdigest()[:12]
    if args != [digest]:
        who = await names(ctx.conn, [p for team in proposal for p in team])
        lines = [ctx.t("teams.changed")] if args else []
        lines.append(ctx.t("teams.proposal", teams=len(proposal), people=len(who),
                           min=rules.min_size, max=rules.max_size))
        for title, members in zip(titles, proposal, strict=True):
            lines.append(f"{title}: " + ", ".join(who[m] for m in members))
        if any(len(t) < rules.min_size for t in proposal):
            lines.append(ctx.t("teams.too_few", min=rules.min_size))
        await ctx.reply("\n".join(lines), [[
            Button(ctx.t("teams.confirm"), f"tm|auto|{digest}"), Button(ctx.t("common.cancel"), "tm|no"),
        ]])
        return
    for title, members in zip(titles, proposal, strict=True):
        team_id = await teams.create(ctx.conn, title, ctx.now)
        for pid in members:
            await teams.put_member(ctx.conn, team_id, pid, ctx.now)
        await announce(ctx, team_id)
    await ctx.reply(ctx.t("teams.formed", teams=len(proposal)),
                    [[Button(ctx.t("teams.tutors"), "tm|tutors")]])


async def cancel(ctx: Ctx, args: list[str]) -> None:
    await ctx.reply(ctx.t("teams.cancelled"))


async def tutors_menu(ctx: Ctx, args: list[str]) -> None:
    """`tm|tutors`: the teams, each a button to choose its tutor."""
    all_teams = await teams.all_teams(ctx.conn)
    if not all_teams:
        await ctx.reply(ctx.t("teams.none"))
        return
    who = await names(ctx.conn, [t.tutor_id for t in all_teams if t.tutor_id])
    await ctx.reply(ctx.t("teams.pick_team_for_tutor"), grid([
        Button(f"{t.name} — {who[t.tutor_id] if t.tutor_id else ctx.t('teams.no_tutor')}",
               f"tm|tutor|{t.id}")
        for t in all_teams
    ]))


async def choose_tutor(ctx: Ctx, args: list[str]) -> None:
    """`tm|tutor|<team>` lists tutors; `tm|tutor|<team>|<tutor>` assigns one."""
    if not args or (team := await teams.get(ctx.conn, int(args[0]))) is None:
        await ctx.services.core.stale(ctx)
        return
    tutors = await persons.persons_with_role(ctx.conn, "tutor")
    if len(args) == 1:
        if not tutors:
            await ctx.reply(ctx.t("teams.no_tutors_yet"))
            return
        who = await names(ctx.conn, tutors)
        await ctx.reply(ctx.t("teams.pick_tutor", team=team.name),
                        grid([Button(who[t], f"tm|tutor|{team.id}|{t}") for t in tutors]))
        return
    tutor_id = int(args[1])
    if tutor_id not in tutors:
        await ctx.reply(ctx.t("teams.not_a_tutor"))
        return
    if team.tutor_id == tutor_id:
        await ctx.reply(ctx.t("teams.tutor_already", team=team.name))
        return
    await teams.set_tutor(ctx.conn, team.id, tutor_id)
    moved = await staff.follow_team_tutor(ctx, team.id, tutor_id)
    tutor = (await names(ctx.conn, [tutor_id]))[tutor_id]
    await ctx.reply(ctx.t("teams.tutor_set", team=team.name, tutor=tutor, tickets=moved))
    await announce(ctx, team.id)


async def teams_for_tutor(ctx: Ctx, args: list[str]) -> None:
    """`tm|for|<tutor>` (from "a tutor accepted the invitation"): the teams to give them,
    those without a tutor first; a press is `tm|tutor|<team>|<tutor>` (choose_tutor)."""
    tutor_id = int(args[0]) if args else 0
    if tutor_id not in await persons.persons_with_role(ctx.conn, "tutor"):
        await ctx.reply(ctx.t("teams.not_a_tutor"))
        return
    tutor = (await names(ctx.conn, [tutor_id]))[tutor_id]
    all_teams = await teams.all_teams(ctx.conn)
    if not all_teams:
        await ctx.reply(ctx.t("teams.give_none", tutor=tutor),
                        [[Button(ctx.t("teams.auto"), "tm|auto")], [Button(ctx.t("common.cancel"), "tm|no")]])
        return
    who = await names(ctx.conn, [t.tutor_id for t in all_teams if t.tutor_id])
    ordered = sorted(all_teams, key=lambda t: t.tutor_id is not None)
    choices = [
        Button(f"{t.name} — {who[t.tutor_id] if t.tutor_id else ctx.t('teams.no_tutor')}",
               f"tm|tutor|{t.id}|{tutor_id}")
        for t in ordered if t.tutor_id != tutor_id
    ]
    if not choices:
        await ctx.reply(ctx.t("teams.give_all_theirs", tutor=tutor))
        return
    await ctx.reply(ctx.t("teams.give_pick", tutor=tutor),
                    [*grid(choices), [Button(ctx.t("common.cancel"), "tm|no")]])


async def move_menu(ctx: Ctx, args: list[str]) -> None:
    """`tm|move`: from which team (0: interns without a team)."""
    all_teams = await teams.all_teams(ctx.conn)
    choices = [Button(ctx.t("teams.loose_button"), "tm|from|0")]
    choices += [Button(t.name, f"tm|from|{t.id}") for t in all_teams]
    await ctx.reply(ctx.t("teams.pick_from"), grid(choices, 3))


async def move_from(ctx: Ctx, args: list[str]) -> None:
    team_id = int(args[0]) if args else -1
    if team_id == 0:
        people = await cohort.interns_without_team(ctx.conn)
    elif await teams.get(ctx.conn, team_id) is not None:
        people = await teams.members(ctx.conn, team_id)
    else:
        await ctx.services.core.stale(ctx)
        return
    if not people:
        await ctx.reply(ctx.t("teams.empty"))
        return
    who = await names(ctx.conn, people)
    await ctx.reply(ctx.t("teams.pick_person"), grid([Button(who[p], f"tm|mv|{p}") for p in people]))


async def move_person(ctx: Ctx, args: list[str]) -> None:
    """`tm|mv|<person>` asks where to; `tm|mv|<person>|<team>` moves and tells both teams."""
    if not args or int(args[0]) not in await cohort.interns(ctx.conn):
        await ctx.services.core.stale(ctx)
        return
    person_id = int(args[0])
    who = (await names(ctx.conn, [person_id]))[person_id]
    current = await teams.team_of(ctx.conn, person_id)
    if len(args) == 1:
        targets = [t for t in await teams.all_teams(ctx.conn) if not current or t.id != current.id]
        if not targets:
            await ctx.reply(ctx.t("teams.none"))
            return
        await ctx.reply(ctx.t("teams.pick_to", name=who),
                        grid([Button(t.name, f"tm|mv|{person_id}|{t.id}") for t in targets], 3))
        return
    target = await teams.get(ctx.conn, int(args[1]))
    if target is None:
        await ctx.services.core.stale(ctx)
        return
    if current is not None and current.id == target.id:
        await ctx.reply(ctx.t("teams.already_there", name=who, team=target.name))
        return
    await teams.put_member(ctx.conn, target.id, person_id, ctx.now)
    await staff.follow_intern(ctx, person_id, target.id, target.tutor_id)
    await ctx.reply(ctx.t("teams.moved", name=who, team=target.name))
    await announce(ctx, target.id)
    if current is not None:
        await announce(ctx, current.id)


async def announce(ctx: Ctx, team_id: int) -> None:
    """Tell every member and the tutor who is in the team now."""
    team = await teams.get(ctx.conn, team_id)
    assert team is not None
    members = await teams.members(ctx.conn, team_id)
    if not members:
        return
    who = await names(ctx.conn, [*members, *([team.tutor_id] if team.tutor_id else [])])
    change = ctx.incoming.update_ref or to_iso(ctx.now)
    digest = hashlib.sha1(f"{team.name}|{members}|{team.tutor_id}|{change}".encode()).hexdigest()[:12]
    texts = ctx.services.texts

    def build_for(person_id: int):  # type: ignore[no-untyped-def]
        def build(lang: str) -> Reply:
            mates = [who[m] for m in members if m != person_id]
            tutor = who[team.tutor_id] if team.tutor_id else texts.get(lang, "teams.tutor_later")
            key = "teams.you_tutor" if person_id == team.tutor_id else "teams.you_member"
            return Reply(texts.get(lang, key, team=team.name, mates=", ".join(mates), size=len(members),
                                   tutor=tutor, members=", ".join(who[m] for m in members)))
        return build

    for person_id in [*members, *([team.tutor_id] if team.tutor_id else [])]:
        await ctx.notify(person_id, f"tm:{team_id}:{digest}:{person_id}", build_for(person_id))


_ACTIONS = {
    "auto": auto,
    "no": cancel,
    "tutors": tutors_menu,
    "tutor": choose_tutor,
    "for": teams_for_tutor,
    "move": move_menu,
    "from": move_from,
    "mv": move_person,
}

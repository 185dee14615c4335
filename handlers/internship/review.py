"""Handing work to the tutor and the tutor's verdict: accept, or return with a comment.

Tutors review "with comments, not formally": a return always carries the tutor's words
to every owner (the whole team for team homework), and the owners can send again. Only
the tutor of that team may press the review buttons; the check is here, on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import people
from bot.context import Ctx
from bot.i18n import Texts
from bot.messages import Button, OutFile, Reply
from bot.router import dialog_allowed
from bot.services import Services
from handlers.internship import completion_notice, menu
from handlers.learning import bank_consent
from scenarios.models import Stage, pick
from scenarios.submission_input import in_range
from storage import dialogs, persons, stages, submissions, teams
from storage.dialogs import Dialog
from storage.submissions import Submission
from storage.teams import Team

TUTOR = {"tutor"}
COMMENT_DIALOG = "review_comment"


def register(s: Services) -> None:
    s.router.payload("rev", on_button, TUTOR)
    s.router.dialog(COMMENT_DIALOG, on_comment)
    s.router.command("reviews", pending_reviews, TUTOR)


async def owners(ctx: Ctx, sub: Submission) -> list[int]:
    """Whose work it is: every member of the team, or the one person."""
    if sub.team_id is not None:
        return await teams.members(ctx.conn, sub.team_id)
    return [sub.person_id]


async def tutor_for(ctx: Ctx, sub: Submission) -> int | None:
    if sub.team_id is not None:
        team = await teams.get(ctx.conn, sub.team_id)
        return team.tutor_id if team else None
    return await teams.tutor_of(ctx.conn, sub.person_id)


def describe(texts: Texts, lang: str, sub: Submission) -> str:
    """The content of a submission as lines a tutor or a teammate can read."""
    lines = []
    for item in sub.items:
        if item["kind"] == "text":
            lines.append(f"📝 {item['text']}")
        elif item["kind"] == "link":
            lines.append(f"🔗 {item['url']}")
        else:
            kind = texts.get(lang, f"form.file_kind.{item.get('kind_of', 'document')}")
            lines.append(f"📎 {item.get('name') or kind}")
    if sub.minutes is not None:
        lines.append(texts.get(lang, "review.minutes", minutes=f"{sub.minutes:g}"))
    return "\n".join(lines)


def out_of_range_note(texts: Texts, lang: str, stage: Stage, sub: Submission) -> str | None:
    """A tutor should see at once that the intern sent a video outside the programme's range."""
    rules = stage.submission.video if stage.submission else None
    if rules is None or sub.minutes is None or in_range(sub.minutes, rules):
        return None
    return texts.get(lang, "review.out_of_range", min=f"{rules.min_minutes:g}", max=f"{rules.max_minutes:g}")


async def owner_of(ctx: Ctx, stage: Stage) -> tuple[str, Team | None]:
    """Whose submission this person's work is for the stage: their team's (`per: team`,
    when they have a team) or their own; and the team it counts for, if any."""
    assert stage.submission is not None
    team = await teams.team_of(ctx.conn, ctx.person.id)
    if stage.submission.per == "team" and team is not None:
        return submissions.team_owner(team.id), team
    return submissions.person_owner(ctx.person.id), None


async def send_for_review(
    ctx: Ctx, stage: Stage, items: list[dict[str, Any]], minutes: float | None
) -> None:
    """Record a new version, mark its owners 'submitted', tell the team and the tutor."""
    assert stage.submission is not None
    team = await teams.team_of(ctx.conn, ctx.person.id)
    owner, owning_team = await owner_of(ctx, stage)
    latest = await submissions.latest(ctx.conn, stage.id, owner)
    if latest is not None and latest.status == "accepted":
        # a teammate's version was accepted while this draft was open: keep the accepted one
        await ctx.reply(ctx.t("hw.already_accepted", title=pick(stage.title, ctx.lang)),
                        menu.rows(ctx.services.texts, ctx.lang))
        return
    # a file reference works only on its own messenger: the bank needs to know which
    items = [{**i, "platform": ctx.incoming.platform} if i.get("kind") == "file" and "platform" not in i
             else i for i in items]
    sub_id = await submissions.create(
        ctx.conn, stage_id=stage.id, owner=owner, team_id=owning_team.id if owning_team else None,
        person_id=ctx.person.id, items=items, minutes=minutes, now=ctx.now,
    )
    sub = await submissions.get(ctx.conn, sub_id)
    assert sub is not None
    members = await owners(ctx, sub)
    for member in members:
        await stages.set_status(ctx.conn, member, stage.id, "submitted", ctx.now)
    texts = ctx.services.texts
    title = pick(stage.title, ctx.lang)
    await ctx.reply(ctx.t("review.sent", title=title, version=sub.version),
                    menu.rows(texts, ctx.lang))
    name = ctx.person.full_name or ctx.account.display_name or "—"
    for member in members:
        if member == ctx.person.id:
            continue

        def team_note(lang: str) -> Reply:
            return Reply(
                texts.get(lang, "review.team_sent", name=name, title=pick(stage.title, lang),
                          version=sub.version) + "\n\n" + describe(texts, lang, sub),
                menu.rows(texts, lang),
            )

        await ctx.notify(member, f"sub:{sub_id}:team:{member}", team_note)
    tutor = await tutor_for(ctx, sub)
    if tutor is None:
        await _no_tutor(ctx, sub, stage, name)
        return
    await _to_tutor(ctx, sub, stage, tutor, name, team.name if team else "—")


async def returned_before(ctx: Ctx, sub: Submission) -> Submission | None:
    """The version this one answers, if the tutor had returned it (its comment matters)."""
    earlier = [h for h in await submissions.history(ctx.conn, sub.stage_id, sub.owner)
               if h.version < sub.version]
    return earlier[-1] if earlier and earlier[-1].status == "returned" else None


def review_card(
    texts: Texts, stage: Stage, sub: Submission, name: str, team_name: str,
    returned: Submission | None = None,
) -> Callable[[str], Reply]:
    """The tutor's card of one version with its accept / return buttons, in their language.

    A resubmission names the comment it answers: the tutor reviews the fix, not a bare text.
    """

    def card(lang: str) -> Reply:
        parts = [texts.get(lang, "review.card", title=pick(stage.title, lang), name=name,
                           team=team_name, version=sub.version)]
        if returned is not None:
            parts.append(texts.get(lang, "review.after_return", version=returned.version,
                                   comment=returned.comment or "—"))
        parts.append(describe(texts, lang, sub))
        warning = out_of_range_note(texts, lang, stage, sub)
        if warning:
            parts.append(warning)
        return Reply(
            "\n\n".join(parts),
            [[Button(texts.get(lang, "review.accept"), f"rev|{sub.id}|ok"),
              Button(texts.get(lang, "review.return"), f"rev|{sub.id}|ret")]],
        )

    return card


async def _to_tutor(
    ctx: Ctx, sub: Submission, stage: Stage, tutor: int, name: str, team_name: str
) -> None:
    texts = ctx.services.texts
    for index, item in enumerate(sub.items):
        if item["kind"] != "file" or not item.get("file_id"):
            continue
        out = OutFile(item.get("name") or f"file-{index + 1}", file_id=item["file_id"],
                      kind=item.get("kind_of") or "document", mime=item.get("mime"))

        def file_note(lang: str, out: OutFile = out) -> Reply:
            return Reply(texts.get(lang, "review.file_from", name=name), file=out)

        await ctx.notify(tutor, f"review:{sub.id}:{tutor}:f{index}", file_note)

    card = review_card(texts, stage, sub, name, team_name, await returned_before(ctx, sub))
    await ctx.notify(tutor, f"review:{sub.id}:{tutor}:card", card)


async def _no_tutor(ctx: Ctx, sub: Submission, stage: Stage, name: str) -> None:
    """No tutor yet: coordinators hear of it, so the work does not wait unseen."""
    texts = ctx.services.texts

    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, "review.no_tutor", title=pick(stage.title, lang), name=name)
                     + "\n\n" + describe(texts, lang, sub))

    for coordinator in await persons.persons_with_role(ctx.conn, "coordinator"):
        await ctx.notify(coordinator, f"review:{sub.id}:notutor:{coordinator}", build)


async def pending_reviews(ctx: Ctx) -> None:
    """/reviews: every version waiting for this tutor, as cards with their buttons again."""
    waiting = await submissions.waiting_for_tutor(ctx.conn, ctx.person.id)
    if not waiting:
        await ctx.reply(ctx.t("review.none_waiting"))
        return
    await ctx.reply(ctx.t("review.waiting_count", count=len(waiting)))
    for sub in waiting:
        author = (await people.names(ctx.conn, [sub.person_id]))[sub.person_id]
        team = await teams.team_of(ctx.conn, sub.person_id)
        card = review_card(ctx.services.texts, ctx.services.programme.stage(sub.stage_id), sub,
                           author, team.name if team else "—",
                           await returned_before(ctx, sub))(ctx.lang)
        await ctx.reply(card.text, card.buttons)


async def on_button(ctx: Ctx) -> None:
    """`rev|<submission>|ok|ret|cancel` from the tutor's card."""
    if len(ctx.args) != 2 or not ctx.args[0].isdigit() or ctx.args[1] not in ("ok", "ret", "cancel"):
        await ctx.services.core.stale(ctx)
        return
    sub = await submissions.get(ctx.conn, int(ctx.args[0]))
    if sub is None:
        await ctx.services.core.stale(ctx)
        return
    if await tutor_for(ctx, sub) != ctx.person.id:
        await ctx.reply(ctx.t("review.not_yours"))
        return
    action = ctx.args[1]
    if action == "cancel":
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply(ctx.t("review.cancelled"))
        return
    if sub.status != "submitted":
        await ctx.reply(ctx.t("review.already", version=sub.version,
                              status=ctx.t(f"review.status.{sub.status}")))
        return
    if action == "ok":
        await decide(ctx, sub, "accepted", None)
        return
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(COMMENT_DIALOG, str(sub.id)), ctx.now)
    await ctx.reply(ctx.t("review.ask_comment"),
                    [[Button(ctx.t("common.cancel"), f"rev|{sub.id}|cancel")]])


async def on_comment(ctx: Ctx, dialog: Dialog) -> None:
    """The comment of a return. The tutor is checked again: the role may have been revoked,
    or the team given to another tutor, since the button was pressed."""
    if not await dialog_allowed(ctx, TUTOR):
        return
    text = (ctx.incoming.text or "").strip()
    if not text or ctx.incoming.file is not None or ctx.incoming.unsupported:
        await ctx.reply(ctx.t("review.comment_text_only"),
                        [[Button(ctx.t("common.cancel"), f"rev|{dialog.ref}|cancel")]])
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    sub = await submissions.get(ctx.conn, int(dialog.ref)) if dialog.ref.isdigit() else None
    if sub is None or sub.status != "submitted":
        await ctx.reply(ctx.t("review.gone"))
        return
    if await tutor_for(ctx, sub) != ctx.person.id:
        await ctx.reply(ctx.t("review.not_yours"))
        return
    await decide(ctx, sub, "returned", text[:2000])


async def decide(ctx: Ctx, sub: Submission, verdict: str, comment: str | None) -> None:
    """Store the verdict, move every owner's stage status, tell each of them."""
    if not await submissions.review(ctx.conn, sub.id, verdict, ctx.person.id, ctx.now, comment):
        await ctx.reply(ctx.t("review.gone"))
        return
    stage = ctx.services.programme.stage(sub.stage_id)
    texts = ctx.services.texts
    members = await owners(ctx, sub)
    for member in members:
        await stages.set_status(ctx.conn, member, sub.stage_id, verdict, ctx.now)

        def build(lang: str) -> Reply:
            title = pick(stage.title, lang)
            if verdict == "accepted":
                return Reply(texts.get(lang, "review.accepted_note", title=title),
                             menu.rows(texts, lang))
            return Reply(
                texts.get(lang, "review.returned_note", title=title, comment=comment),
                [[Button(texts.get(lang, "review.send_again"), f"go|{sub.stage_id}")],
                 *menu.rows(texts, lang)],
            )

        await ctx.notify(member, f"review:{sub.id}:{verdict}:{member}", build)
        if verdict == "accepted":
            await completion_notice.after_change(ctx.conn, ctx.services, member, ctx.now, ctx.written)
    if verdict == "accepted":
        await bank_consent.offer(ctx, sub, members)
    key = "review.accepted_ok" if verdict == "accepted" else "review.returned_ok"
    await ctx.reply(ctx.t(key, title=pick(stage.title, ctx.lang), version=sub.version))

"""The form engine: one question at a time, back and edit, a summary, then submit.

Every step is saved in the update's transaction, so a restart resumes at the same
question with the earlier answers kept. Buttons carry the step they belong to
(`f|<form>|<step>|<action>`), which is how an old button is recognised and refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.messages import Button
from scenarios.diagnostic import END, START
from scenarios.models import Form, Question, pick
from scenarios.timezones import RUSSIAN_ZONES, zone_label
from scenarios.validation import Accepted, validate
from storage import dialogs, forms, persons, stages
from storage.dialogs import Dialog
from storage.forms import FormProgress

if TYPE_CHECKING:
    # WHY only for the type checker: the engine uses a context only through what it holds
    # and offers, so importing scenarios/ never pulls in the runtime's context, services
    # and core, which themselves reach the engine.
    from bot.context import Ctx
    from bot.i18n import Texts

SubmitHook = Callable[["Ctx", FormProgress], Awaitable[None]]

REVIEW = "review"


class FormEngine:
    def __init__(self) -> None:
        self.on_submit: dict[str, SubmitHook] = {}

    def form(self, ctx: Ctx, form_id: str) -> Form:
        return ctx.services.programme.form(form_id)

    def title(self, ctx: Ctx, form_id: str) -> str:
        programme = ctx.services.programme
        if form_id in (START, END) and programme.diagnostic is not None:
            return pick(programme.diagnostic.title, ctx.lang)
        return pick(programme.stage(form_id).title, ctx.lang)

    async def start(self, ctx: Ctx, form_id: str, *, restart: bool = False) -> None:
        """Open a form, or resume it where the person stopped."""
        progress = await forms.get(ctx.conn, ctx.person.id, form_id)
        if progress is None or restart or progress.status == "submitted":
            keep = progress.answers if progress and restart else {}
            progress = FormProgress(ctx.person.id, form_id, answers=keep)
            await forms.save(ctx.conn, progress, ctx.now)
        await dialogs.put(ctx.conn, ctx.person.id, Dialog("form", form_id), ctx.now)
        await self.prompt(ctx, form_id, progress)

    async def prompt(self, ctx: Ctx, form_id: str, progress: FormProgress | None = None) -> None:
        progress = progress or await forms.get(ctx.conn, ctx.person.id, form_id)
        if progress is None:
            await self.start(ctx, form_id)
            return
        form = self.form(ctx, form_id)
        if progress.status == REVIEW:
            await self._summary(ctx, form_id, form, progress)
            return
        question = form.questions[progress.step]
        await ctx.reply(*self._question(ctx, form_id, form, question, progress))

    def _question(
        self, ctx: Ctx, form_id: str, form: Form, q: Question, progress: FormProgress
    ) -> tuple[str, list[list[Button]]]:
        step = progress.step
        lines = [
            ctx.t("form.progress", step=step + 1, total=len(form.questions)),
            pick(q.prompt, ctx.lang),
        ]
        if q.hint:
            lines.append(pick(q.hint, ctx.lang))
        rows: list[list[Button]] = []

        def answer(label: str, value: str) -> Button:
            return Button(label, f"f|{form_id}|{step}|a:{value}")

        if q.kind == "choice":
            rows = [[answer(pick(c.label, ctx.lang), c.value)] for c in q.choices]
        elif q.kind == "scale":
            rows = [[answer(str(v), str(v)) for v in range(q.scale_min, q.scale_max + 1)]]
            if q.scale_labels:
                lines.append(
                    "; ".join(
                        f"{v} — {pick(label, ctx.lang)}" for v, label in sorted(q.scale_labels.items())
                    )
                )
        elif q.kind == "timezone":
            labels = [(ru if ctx.lang == "ru" else en) for _, ru, en in RUSSIAN_ZONES]
            rows = [
                [answer(labels[i], str(i)) for i in range(j, min(j + 2, len(labels)))]
                for j in range(0, len(labels), 2)
            ]
            lines.append(ctx.t("form.timezone_hint"))
        elif q.kind == "consent":
            policy = ctx.services.settings.privacy_policy_url or (
                ctx.services.programme.privacy_policy_url
            )
            if policy:
                lines.append(ctx.t("form.consent_policy", url=policy))
            rows = [[answer(ctx.t("form.consent_yes"), "yes"), answer(ctx.t("form.consent_no"), "no")]]
        elif q.kind in ("file", "video"):
            lines.append(ctx.t(f"form.{q.kind}_hint"))
        previous = progress.answers.get(q.id)
        if previous is not None:
            current = shown(ctx.services.texts, ctx.lang, q, previous)
            lines.append(ctx.t("form.current_answer", answer=current))
            # WHY: going back or editing one answer must not force retyping a full name
            rows.append([Button(ctx.t("form.keep"), f"f|{form_id}|{step}|keep")])
        if not q.required:
            rows.append([Button(ctx.t("form.skip"), f"f|{form_id}|{step}|skip")])
        if step > 0:
            rows.append([Button(ctx.t("common.back"), f"f|{form_id}|{step}|back")])
        return "\n\n".join(lines), rows

    async def _summary(self, ctx: Ctx, form_id: str, form: Form, progress: FormProgress) -> None:
        lines = [ctx.t("form.summary_title", title=self.title(ctx, form_id))]
        for q in form.questions:
            short = pick(q.prompt, ctx.lang).split("?")[0].split(".")[0]
            lines.append(f"• {short}: {shown(ctx.services.texts, ctx.lang, q, progress.answers.get(q.id))}")
        lines.append(ctx.t("form.summary_hint"))
        step = progress.step
        await ctx.reply(
            "\n".join(lines),
            [
                [Button(ctx.t("form.submit"), f"f|{form_id}|{step}|submit")],
                [Button(ctx.t("form.edit"), f"f|{form_id}|{step}|edit")],
            ],
        )

    async def on_payload(self, ctx: Ctx) -> None:
        """`f|<form>|<step>|<action>`: a button inside a form."""
        if len(ctx.args) != 3:
            await ctx.services.core.stale(ctx)
            return
        form_id, step_text, action = ctx.args
        dialog, progress = await self._found(ctx, form_id)
        current = (
            progress is not None
            and progress.status != "submitted"
            and dialog is not None
            and dialog.kind == "form"
            and dialog.ref == form_id
            and str(progress.step) == step_text
        )
        if not current or progress is None:
            await ctx.services.core.stale(ctx)
            return
        await self._act(ctx, form_id, progress, action, None, dialog)

    async def _found(self, ctx: Ctx, form_id: str) -> tuple[Dialog | None, FormProgress | None]:
        """The dialog and this form's progress as the update found them: read with the
        account when it came (a button's or an answer's handler runs first, so nothing has
        changed them yet), else now."""
        came = ctx.arrived
        if came is not None and came.form is not None and came.form.form_id == form_id:
            return came.dialog, came.form
        dialog = came.dialog if came is not None else await dialogs.get(ctx.conn, ctx.person.id)
        return dialog, await forms.get(ctx.conn, ctx.person.id, form_id)

    async def on_dialog(self, ctx: Ctx, dialog: Dialog) -> None:
        _, progress = await self._found(ctx, dialog.ref)
        if progress is None or progress.status == "submitted":
            await dialogs.clear(ctx.conn, ctx.person.id)
            await ctx.services.core.idle(ctx)
            return
        await self._act(ctx, dialog.ref, progress, None, ctx.incoming.text, dialog)

    async def back(self, ctx: Ctx, form_id: str) -> None:
        progress = await forms.get(ctx.conn, ctx.person.id, form_id)
        if progress is not None and progress.status != "submitted":
            await self._act(ctx, form_id, progress, "back", None)

    async def _act(
        self, ctx: Ctx, form_id: str, progress: FormProgress, action: str | None, text: str | None,
        dialog: Dialog | None = None,
    ) -> None:
        """`dialog`: the person's dialog state when the caller has already read it (saves
        reading it again in `_advance`, on every answer)."""
        form = self.form(ctx, form_id)
        total = len(form.questions)
        if progress.status == REVIEW:
            await self._review_action(ctx, form_id, form, progress, action)
            return
        if action == "back":
            progress.step = max(0, progress.step - 1)
            progress.status = "in_progress"
            await self._save_and_prompt(ctx, form_id, form, progress)
            return
        question = form.questions[min(progress.step, total - 1)]
        if action == "keep" and progress.answers.get(question.id) is not None:
            await self._advance(ctx, form_id, form, progress, dialog)
            return
        if action == "skip" and not question.required:
            progress.answers[question.id] = None
            await self._advance(ctx, form_id, form, progress, dialog)
            return
        button = action[2:] if action and action.startswith("a:") else None
        if action is not None and button is None:
            await ctx.services.core.stale(ctx)
            return
        outcome = validate(question, ctx.incoming, button, ctx.lang)
        if not isinstance(outcome, Accepted):
            await ctx.reply(ctx.t(f"form.error.{outcome.key}", **outcome.params))
            text_, rows = self._question(ctx, form_id, form, question, progress)
            await ctx.reply(text_, rows)
            return
        progress.answers[question.id] = outcome.value
        await self._advance(ctx, form_id, form, progress, dialog)

    async def _advance(
        self, ctx: Ctx, form_id: str, form: Form, progress: FormProgress,
        dialog: Dialog | None = None,
    ) -> None:
        if dialog is None:
            dialog = await dialogs.get(ctx.conn, ctx.person.id)
        editing = bool(dialog and dialog.data.get("editing"))
        if editing or progress.step + 1 >= len(form.questions):
            if form.summary:
                progress.status = REVIEW
                await dialogs.put(ctx.conn, ctx.person.id, Dialog("form", form_id), ctx.now)
            else:
                await self._submit(ctx, form_id, progress)
                return
        else:
            progress.step += 1
        await self._save_and_prompt(ctx, form_id, form, progress)

    async def _review_action(
        self, ctx: Ctx, form_id: str, form: Form, progress: FormProgress, action: str | None
    ) -> None:
        if action == "submit":
            await self._submit(ctx, form_id, progress)
        elif action == "edit":
            rows = [
                [Button(f"{i + 1}. {pick(q.prompt, ctx.lang)[:40]}", f"f|{form_id}|{progress.step}|e:{i}")]
                for i, q in enumerate(form.questions)
            ]
            await ctx.reply(ctx.t("form.edit_which"), rows)
        elif action and action.startswith("e:") and action[2:].isdigit():
            index = int(action[2:])
            if index >= len(form.questions):
                await ctx.services.core.stale(ctx)
                return
            progress.status = "in_progress"
            progress.step = index
            await dialogs.put(
                ctx.conn, ctx.person.id, Dialog("form", form_id, {"editing": True}), ctx.now
            )
            await self._save_and_prompt(ctx, form_id, form, progress)
        elif action == "back":
            progress.status = "in_progress"
            progress.step = len(form.questions) - 1
            await self._save_and_prompt(ctx, form_id, form, progress)
        else:
            await ctx.reply(ctx.t("form.use_buttons"))
            await self._summary(ctx, form_id, form, progress)

    async def _save_and_prompt(
        self, ctx: Ctx, form_id: str, form: Form, progress: FormProgress
    ) -> None:
        await forms.save(ctx.conn, progress, ctx.now)
        await self.prompt(ctx, form_id, progress)

    async def _submit(self, ctx: Ctx, form_id: str, progress: FormProgress) -> None:
        progress.status = "submitted"
        await forms.save(ctx.conn, progress, ctx.now)
        if form_id not in (START, END):  # a diagnostic sitting is no stage of the programme
            await stages.set_status(ctx.conn, ctx.person.id, form_id, "submitted", ctx.now)
        await dialogs.clear(ctx.conn, ctx.person.id)
        form = self.form(ctx, form_id)
        copied = {q.store_as: progress.answers.get(q.id) for q in form.questions if q.store_as}
        copied = {k: v for k, v in copied.items() if isinstance(v, str) and v}
        if copied:
            await persons.update_person(ctx.conn, ctx.person.id, **copied)
        hook = self.on_submit.get(form_id) or self.on_submit.get(
            ctx.services.programme.stage(form_id).kind
        )
        if hook is not None:
            await hook(ctx, progress)
        else:
            await ctx.reply(ctx.t("form.submitted", title=self.title(ctx, form_id)))


def shown(texts: Texts, lang: str, q: Question, value: Any) -> str:
    """An answer as a person should read it back (summary, coordinator's card)."""
    if value is None:
        return "—"
    if q.kind == "choice":
        for c in q.choices:
            if c.value == value:
                return pick(c.label, lang)
    if q.kind == "timezone":
        return zone_label(str(value), lang)
    if q.kind == "consent":
        return texts.get(lang, "common.answer_yes" if value else "common.answer_no")
    if isinstance(value, dict):
        if value.get("kind") == "link":
            return str(value.get("url"))
        return value.get("name") or texts.get(lang, f"form.file_kind.{value.get('kind', 'document')}")
    return str(value)

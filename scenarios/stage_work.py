"""What a stage of the programme asks of an intern, read from its kind and parts."""

from __future__ import annotations

from scenarios.models import Programme, Stage


def later_stages(programme: Programme) -> list[Stage]:
    """Every stage after the application: what an approved intern goes through."""
    return [s for s in programme.stages if s.kind != "application"]


def survey_stage(programme: Programme) -> str | None:
    """The reflection survey: the programme's last form stage, if it has one."""
    forms = [s.id for s in programme.stages if s.kind == "form"]
    return forms[-1] if forms else None


def needs_work(stage: Stage) -> bool:
    """A stage with a form or a submission; an event alone asks nothing to be handed in."""
    return stage.form is not None or stage.submission is not None


def is_video(stage: Stage) -> bool:
    sub = stage.submission
    return sub is not None and (sub.video is not None or "video" in sub.accepts)


def action_key(stage: Stage) -> str:
    """The text key of the button that starts the stage's work."""
    if stage.kind == "final":
        return "stage.go_certificate"
    if stage.submission is not None:
        return "stage.go_video" if is_video(stage) else "stage.go_submit"
    return "stage.go_form"


def announcement_key(stage_id: str, person_id: int) -> str:
    """The outbox key of a stage's announcement to one person: sent once, looked up by reminders."""
    return f"open:{stage_id}:{person_id}"

"""Each intern's route through the programme, by their level.

A stage with `for_levels` is on the route of those levels only; a stage's `variants`
give one level its own texts and requirements. An intern with no level yet (the
diagnostic not taken) follows the diagnostic's `default_level` if the programme names
one, else the *common route*: every stage without `for_levels`, in its own words. So a
teacher who skips the diagnostic still gets a whole internship, never a hole in it.

Pure functions of the programme: reminders, deadlines, progress and completion all ask
here, so they can never disagree about whose route a stage is on.
"""

from __future__ import annotations

from scenarios.models import Programme, Stage, pick


def route_level(programme: Programme, level: str | None) -> str | None:
    """The level whose route an intern follows (their own, else the programme's default)."""
    if programme.diagnostic is None:
        return None
    if level is not None and programme.diagnostic.level(level) is not None:
        return level
    return programme.diagnostic.default_level


def applies(stage: Stage, level: str | None) -> bool:
    return not stage.for_levels or (level is not None and level in stage.for_levels)


def on_route(programme: Programme, stage: Stage, level: str | None) -> bool:
    return applies(stage, route_level(programme, level))


def route(programme: Programme, level: str | None) -> list[Stage]:
    return [s for s in programme.stages if on_route(programme, s, level)]


def personal(programme: Programme, stage: Stage, level: str | None) -> Stage:
    """The stage as an intern at `level` sees it: their variant's parts over the stage's own."""
    variant = stage.variants.get(route_level(programme, level) or "")
    if variant is None:
        return stage
    update = {name: value for name, value in variant if value is not None}
    return stage.model_copy(update=update)


def completion_for(programme: Programme, level: str | None) -> list[str]:
    """The completion criteria on this intern's route (a stage off it is not asked)."""
    return [s for s in programme.completion if on_route(programme, programme.stage(s), level)]


def routes(programme: Programme) -> list[str | None]:
    """Every route a programme has: one per level, plus the common one (None) when an
    intern without a level follows it."""
    if programme.diagnostic is None:
        return [None]
    levels: list[str | None] = [lv.id for lv in programme.diagnostic.levels]
    return levels if programme.diagnostic.default_level else [*levels, None]


def problems(programme: Programme, lang: str = "en") -> list[str]:
    """What makes a level's route incomplete: a coordinator learns it from check-program
    before the first intern is stranded on a route with nothing to do or no certificate."""
    found: list[str] = []
    has_final = any(s.kind == "final" for s in programme.stages)
    for level in routes(programme):
        name = level or "common route (no level)"
        mine = route(programme, level)
        work = [s for s in mine if s.kind != "application" and (s.form or s.submission)]
        if not work:
            found.append(f"route '{name}': no stage asks anything of the intern")
        if programme.completion and not completion_for(programme, level):
            found.append(f"route '{name}': none of the completion stages is on it")
        if has_final and not any(s.kind == "final" for s in mine):
            found.append(f"route '{name}': no final stage")
        for stage in mine:
            own = personal(programme, stage, level)
            if stage.kind == "submission" and own.submission is None:
                found.append(f"route '{name}': stage '{stage.id}' has nothing to hand in")
            if not pick(own.announcement, lang) and not pick(own.instructions, lang) and (
                    stage.kind in ("submission", "form")):
                found.append(f"route '{name}': stage '{stage.id}' says nothing of what to do")
    diagnostic = programme.diagnostic
    if diagnostic is not None:
        ids = {s.id for s in programme.stages}
        for stage_id in (diagnostic.at, diagnostic.again_at):
            if stage_id in ids and programme.stage(stage_id).for_levels:
                found.append(f"diagnostic: stage '{stage_id}' is not on every route")
    return found

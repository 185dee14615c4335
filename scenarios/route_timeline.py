"""The timeline of each level's route and the diagnostic, for `check-program`.

The whole programme's timeline (scenarios/timeline.py) shows every reminder; a route's
shows its stages, events and deadlines only, marking the stages of that level alone and
the stages it sees in its own words, so a coordinator checks each route at a glance.
"""

from __future__ import annotations

from scenarios.diagnostic import END, START
from scenarios.models import Programme, pick
from scenarios.routes import personal, problems, route, routes
from scenarios.timeline import WEEKDAYS, timeline

WORDS = {
    "ru": {"diagnostic": "Диагностика", "questions": "вопросов", "scores": "баллы",
           "levels": "уровни", "at": "входная", "again": "итоговая",
           "approval": "сразу после одобрения заявки",
           "stage": "с объявлением этапа", "parallel": "параллельная анкета", "same": "те же вопросы",
           "route": "Маршрут уровня", "common": "Общий маршрут (уровень ещё не определён)",
           "only": "только этого уровня", "variant": "свой текст/требования уровня",
           "default": "без уровня — маршрут уровня", "problems": "Маршруты неполны"},
    "en": {"diagnostic": "Diagnostic", "questions": "questions", "scores": "scores",
           "levels": "levels", "at": "entry", "again": "exit", "approval": "right after approval",
           "stage": "with the announcement of", "parallel": "a parallel questionnaire",
           "same": "the same questions",
           "route": "Route of level", "common": "Common route (no level yet)",
           "only": "this level only", "variant": "the level's own text/requirements",
           "default": "no level: the route of", "problems": "Incomplete routes"},
}


def render_routes(programme: Programme, lang: str = "ru") -> str:
    """The diagnostic, then each route's timeline; empty for a programme without levels."""
    diagnostic = programme.diagnostic
    if diagnostic is None:
        return ""
    words = WORDS.get(lang, WORDS["en"])
    days = WEEKDAYS.get(lang, WEEKDAYS["en"])
    low, high = diagnostic.score_range(START)
    when = words["approval"] if diagnostic.at == "approval" else (
        f"{words['stage']} «{pick(programme.stage(diagnostic.at).title, lang)}»")
    lines = [f"{words['diagnostic']}: {pick(diagnostic.title, lang)} — "
             f"{len(diagnostic.questions_of(START))} {words['questions']}, {words['scores']} {low}..{high}",
             f"  {words['at']}: {when}"]
    if diagnostic.again_at:
        which = words["parallel"] if diagnostic.again else words["same"]
        title = pick(programme.stage(diagnostic.again_at).title, lang)
        lines.append(f"  {words['again']}: {words['stage']} «{title}»"
                     f" ({which}, {len(diagnostic.questions_of(END))} {words['questions']})")
    levels = ", ".join(f"{pick(lv.name, lang)} [{lv.id}] {lv.min_score}..{lv.max_score}"
                       for lv in diagnostic.levels)
    lines.append(f"  {words['levels']}: {levels}")
    if diagnostic.default_level:
        default = diagnostic.level(diagnostic.default_level)
        lines.append(f"  {words['default']} «{pick(default.name, lang) if default else ''}»")
    for level in routes(programme):
        found = diagnostic.level(level)
        head = f"{words['route']} «{pick(found.name, lang)}»" if found else words["common"]
        lines.append("")
        lines.append(head + ":")
        mine = route(programme, level)
        view = programme.model_copy(update={"stages": [personal(programme, s, level) for s in mine]})
        marks: dict[str, str] = {}
        for stage in mine:
            if stage.for_levels:
                marks[stage.id] = words["only"]
            elif personal(programme, stage, level) is not stage:
                marks[stage.id] = words["variant"]
        for at, text in timeline(view, lang):
            if text.startswith("  "):
                continue  # reminders are in the whole timeline above
            note = next((f" ({mark})" for sid, mark in marks.items() if f"[{sid}]" in text), "")
            local = at.astimezone(programme.zone)
            lines.append(f"{local:%Y-%m-%d} {days[local.weekday()]} {local:%H:%M}  {text}{note}")
    found = problems(programme, lang)
    if found:
        lines.append("")
        lines.append(words["problems"] + ":")
        lines.extend(f"  {p}" for p in found)
    return "\n".join(lines)

"""Aggregated answers of a survey (the reflection form) for the coordinators' reports.

Only sent forms count; an answer being edited before "send" is not a result yet.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from scenarios.models import Programme
from scenarios.stage_work import survey_stage
from storage.connection import Connection
from storage.db import fetchall


@dataclass(slots=True)
class QuestionResult:
    id: str
    kind: str
    answered: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    """Scale value or choice value -> how many chose it (in scale/choice order)."""
    mean: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SurveyResult:
    stage_id: str
    respondents: int
    questions: list[QuestionResult]


async def aggregate(
    conn: Connection, programme: Programme, stage_id: str | None = None,
    *, among: Collection[int] | None = None,
) -> SurveyResult:
    """Counts and means for scales, counts for choices, every free text, per question.

    Without `stage_id`, the reflection survey as broadcasts and exports find it; `among`
    keeps only these people's answers (an export counts interns, not staff who tried it).
    """
    stage_id = stage_id or survey_stage(programme)
    if stage_id is None:
        raise KeyError("the programme has no survey (a stage of kind 'form')")
    form = programme.form(stage_id)
    rows = await fetchall(
        conn,
        "SELECT f.person_id, f.answers FROM form_progress f JOIN persons p ON p.id = f.person_id"
        " WHERE f.form_id = ? AND f.status = 'submitted' AND p.deleted_at IS NULL",
        (stage_id,),
    )
    answers: list[dict[str, Any]] = [
        json.loads(r["answers"]) for r in rows if among is None or r["person_id"] in among]
    results = []
    for q in form.questions:
        values = [a.get(q.id) for a in answers if a.get(q.id) not in (None, "")]
        result = QuestionResult(q.id, q.kind, answered=len(values))
        if q.kind == "scale":
            counted = Counter(int(v) for v in values)
            result.counts = {str(v): counted[v] for v in range(q.scale_min, q.scale_max + 1)}
            result.mean = round(sum(int(v) for v in values) / len(values), 2) if values else None
        elif q.kind == "choice":
            counted_choices = Counter(str(v) for v in values)
            result.counts = {c.value: counted_choices[c.value] for c in q.choices}
        else:
            result.texts = [str(v) for v in values]
        results.append(result)
    return SurveyResult(stage_id, len(answers), results)

"""The entry and exit diagnostic of the programme file (`diagnostic:`) and its levels.

The research behind the internship sets each teacher's route by a first diagnostic of
readiness for online work, at one of three levels, and measures growth by the same
questionnaire at the end. Both the questions and the score ranges are data, so a
coordinator can change them (or add a parallel exit questionnaire) without code.

Kept apart from scenarios/models.py so the programme model only gains one field; the
pieces here need nothing of it but a localised text.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

LocalText = str | dict[str, str]

LINES = ("lessons", "out_of_class", "networking", "parents")
"""The four lines of a teacher's professional tasks: lessons; out-of-class activities;
professional communication and networking; educating the public and work with parents."""
Line = Literal["lessons", "out_of_class", "networking", "parents"]

START, END = "diag_start", "diag_end"
"""Form ids of the two sittings in the form engine (never a stage id: the models forbid
stage ids with this prefix, see `reserved`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    label: LocalText
    score: int = Field(ge=0, le=100)


class DiagnosticQuestion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    prompt: LocalText
    hint: LocalText | None = None
    line: Line | None = None
    """Which of the four lines the item probes (shown in the tutor's view, counted per line)."""
    options: list[Option] = Field(default_factory=list)
    """Its own answers; without them the diagnostic's common `options` apply."""


class Level(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    name: LocalText
    description: LocalText
    min_score: int
    max_score: int


class QuestionSet(_Strict):
    """A parallel questionnaire for the exit sitting (same scale, other wording)."""

    questions: list[DiagnosticQuestion] = Field(min_length=1)


def _four_options() -> list[Option]:
    """The regional practice's four answers per item, scored 3..0."""
    return [
        Option(label={"ru": "Да", "en": "Yes"}, score=3),
        Option(label={"ru": "Скорее да, чем нет", "en": "Rather yes"}, score=2),
        Option(label={"ru": "Скорее нет, чем да", "en": "Rather no"}, score=1),
        Option(label={"ru": "Нет", "en": "No"}, score=0),
    ]


class Diagnostic(_Strict):
    title: LocalText = Field(default_factory=lambda: {"ru": "Диагностика", "en": "Diagnostic"})
    intro: LocalText | None = None
    options: list[Option] = Field(default_factory=_four_options)
    questions: list[DiagnosticQuestion] = Field(min_length=1)
    levels: list[Level] = Field(min_length=2)
    at: str = "approval"
    """When the entry sitting is offered: `approval` (at once), or a stage id (with that
    stage's announcement)."""
    again_at: str | None = None
    """The stage whose opening offers the exit sitting (usually the final one)."""
    again: QuestionSet | None = None
    """A parallel questionnaire for the exit sitting; without it the same questions."""
    default_level: str | None = None
    """The route of an intern who has not taken the diagnostic; without it the common
    route (stages without `for_levels`, texts without variants)."""

    @model_validator(mode="after")
    def _consistent(self) -> Diagnostic:
        for which in (START, END):
            questions = self.questions_of(which)
            ids = [q.id for q in questions]
            if len(ids) != len(set(ids)):
                raise ValueError("a diagnostic question id is used twice")
            for q in questions:
                if len(self.options_of(q)) < 2:
                    raise ValueError(f"diagnostic question '{q.id}' needs at least two options")
        ids = [level.id for level in self.levels]
        if len(ids) != len(set(ids)):
            raise ValueError("a level id is used twice")
        ranges = sorted((level.min_score, level.max_score, level.id) for level in self.levels)
        for low, high, level_id in ranges:
            if low > high:
                raise ValueError(f"level '{level_id}': min_score is greater than max_score")
        for (_, high, first), (low, _, second) in pairwise(ranges):
            if low != high + 1:
                raise ValueError(f"levels '{first}' and '{second}' must follow each other without"
                                 " a gap or an overlap (the next min_score is the last max_score + 1)")
        for which in (START, END):
            low, high = self.score_range(which)
            if ranges[0][0] > low or ranges[-1][1] < high:
                raise ValueError(f"the levels' scores must cover every possible total {low}..{high}")
        if self.default_level is not None and self.default_level not in ids:
            raise ValueError(f"default_level names unknown level '{self.default_level}'")
        return self

    def questions_of(self, which: str) -> list[DiagnosticQuestion]:
        if which == END and self.again is not None:
            return self.again.questions
        return self.questions

    def options_of(self, question: DiagnosticQuestion) -> list[Option]:
        return question.options or self.options

    def score_range(self, which: str) -> tuple[int, int]:
        questions = self.questions_of(which)
        low = sum(min(o.score for o in self.options_of(q)) for q in questions)
        high = sum(max(o.score for o in self.options_of(q)) for q in questions)
        return low, high

    def chosen(self, question: DiagnosticQuestion, value: object) -> Option | None:
        """The option an answer names (`o<index>`, see models.diagnostic_form)."""
        options = self.options_of(question)
        text = str(value or "")
        if text.startswith("o") and text[1:].isdigit() and int(text[1:]) < len(options):
            return options[int(text[1:])]
        return None

    def score(self, which: str, answers: dict[str, object]) -> int:
        """The total of the chosen options."""
        total = 0
        for q in self.questions_of(which):
            option = self.chosen(q, answers.get(q.id))
            total += option.score if option else 0
        return total

    def line_scores(self, which: str, answers: dict[str, object]) -> dict[str, tuple[int, int]]:
        """Per line: (score, the most possible), so a tutor sees where the deficits are."""
        out: dict[str, tuple[int, int]] = {}
        for q in self.questions_of(which):
            if q.line is None:
                continue
            option = self.chosen(q, answers.get(q.id))
            score, most = out.get(q.line, (0, 0))
            out[q.line] = (score + (option.score if option else 0),
                           most + max(o.score for o in self.options_of(q)))
        return out

    def level_for(self, score: int) -> Level:
        for level in self.levels:
            if level.min_score <= score <= level.max_score:
                return level
        return self.levels[0] if score < self.levels[0].min_score else self.levels[-1]

    def level(self, level_id: str | None) -> Level | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)

    def rank(self, level_id: str | None) -> int | None:
        """The level's place from the lowest (0); None for no level."""
        ids = [lv.id for lv in sorted(self.levels, key=lambda lv: lv.min_score)]
        return ids.index(level_id) if level_id in ids else None

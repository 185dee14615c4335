"""Pydantic models of the programme file: the whole internship as editable data.

Everything a coordinator may want to change (stages, questions, dates, reminders,
escalation times, texts) lives here rather than in code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from scenarios.certificate import Certificate
from scenarios.diagnostic import END, START, Diagnostic
from scenarios.timespec import parse_duration, resolve_moment, validate_moment

LocalText = str | dict[str, str]
"""A text in the programme: one string (in the programme's language) or {ru: .., en: ..}."""

Moment = Annotated[str, AfterValidator(validate_moment)]


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]

QuestionKind = Literal[
    "text", "email", "choice", "scale", "file", "video", "link", "timezone", "consent"
]


def pick(text: LocalText | None, locale: str, fallback: str = "ru") -> str:
    """The text in the person's language, else the programme's, else any."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(locale) or text.get(fallback) or next(iter(text.values()), "")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    value: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,24}$")
    label: LocalText


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    kind: QuestionKind = "text"
    prompt: LocalText
    hint: LocalText | None = None
    required: bool = True
    min_length: int = Field(default=1, ge=0)
    max_length: int = Field(default=2000, ge=1, le=4000)
    pattern: str | None = None
    pattern_error: LocalText | None = None
    choices: list[Choice] = Field(default_factory=list)
    scale_min: int = 1
    scale_max: int = 5
    scale_labels: dict[int, LocalText] = Field(default_factory=dict)
    store_as: Literal["full_name", "email", "timezone", None] = None
    """Copy the answer onto the person (name and e-mail for the certificate, time zone)."""

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice question needs at least two choices")
        if self.kind != "choice" and self.choices:
            raise ValueError("choices are only for kind: choice")
        if self.kind == "scale" and not (0 <= self.scale_min < self.scale_max <= 10):
            raise ValueError("scale_min < scale_max, both within 0..10")
        if self.min_length > self.max_length:
            raise ValueError("min_length is greater than max_length")
        return self


class Form(Strict):
    questions: list[Question] = Field(min_length=1)
    summary: bool = True
    """Show all answers with 'submit' / 'edit' before the form is sent."""
    editable_after_submit: bool = False

    @model_validator(mode="after")
    def _unique_ids(self) -> Form:
        seen: set[str] = set()
        for q in self.questions:
            if q.id in seen:
                raise ValueError(f"question id '{q.id}' is used twice")
            seen.add(q.id)
        return self


class Event(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    title: LocalText
    starts_at: Moment
    duration_minutes: int = Field(default=90, ge=5, le=600)
    link: str = ""
    description: LocalText | None = None


class VideoRules(Strict):
    min_minutes: float = Field(default=10, ge=0)
    max_minutes: float = Field(default=15, gt=0)
    allow_out_of_range: bool = True


class Submission(Strict):
    """Work handed in for a tutor's review: team homework or a video."""

    per: Literal["team", "person"] = "person"
    accepts: list[Literal["text", "file", "link", "video"]] = Field(
        default_factory=lambda: ["text", "file", "link"]
    )
    video: VideoRules | None = None
    max_file_mb: int = Field(default=2048, ge=1)


class Material(Strict):
    title: LocalText
    url: str


class Deadline(Strict):
    """A deadline: `deadline: "start+27d 23:00"`, or with options
    `deadline: {at: "start+27d 23:00", local: true}`.

    With `local` the wall-clock time is read in each intern's own time zone («до 23:00 по
    вашему времени»): an evening deadline stays in the evening in Vladivostok instead of
    becoming 06:00 the next morning. Without it the deadline is one moment for everyone.
    """

    at: Moment
    local: bool = False


def _deadline(value: object) -> object:
    """The short form (a plain moment) is the usual one; checked here so its error names
    the `deadline` line itself."""
    if isinstance(value, str):
        return {"at": validate_moment(value)}
    return value


class StageVariant(Strict):
    """What a stage says and asks of interns at one level (`variants: {level: ...}`);
    a part left out is the stage's own (see scenarios/routes.py)."""

    announcement: LocalText | None = None
    instructions: LocalText | None = None
    submission: Submission | None = None
    materials: list[Material] | None = None
    prompts: list[LocalText] | None = None


class Stage(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    title: LocalText
    kind: Literal["application", "event", "form", "submission", "final"]
    opens_at: Moment | None = None
    """When the stage opens by itself; without it a coordinator opens it."""
    deadline: Annotated[Deadline | None, BeforeValidator(_deadline)] = None
    event: str | None = None
    announcement: LocalText | None = None
    before_event: LocalText | None = None
    """The announcement when the stage is opened (by /openstage) before its meeting, for a
    stage whose `announcement` speaks of the meeting as past ("thank you for joining")."""
    instructions: LocalText | None = None
    form: Form | None = None
    submission: Submission | None = None
    materials: list[Material] = Field(default_factory=list)
    prompts: list[LocalText] = Field(default_factory=list)
    for_levels: list[str] = Field(default_factory=list)
    """Only interns at these levels go through the stage (empty: everyone); see routes.py."""
    variants: dict[str, StageVariant] = Field(default_factory=dict)
    """Per-level texts and requirements of the stage, by level id."""

    @model_validator(mode="after")
    def _parts_match_kind(self) -> Stage:
        if self.kind in ("application", "form") and self.form is None:
            raise ValueError(f"a stage of kind '{self.kind}' needs a form")
        if self.kind == "submission" and self.submission is None:
            raise ValueError("a stage of kind 'submission' needs a submission section")
        if self.kind == "event" and not self.event:
            raise ValueError("a stage of kind 'event' names its event")
        if self.kind == "application" and (self.for_levels or self.variants):
            raise ValueError("the application comes before any level: no for_levels or variants")
        if self.submission is None and any(v.submission for v in self.variants.values()):
            raise ValueError("a variant's submission needs the stage's own submission section")
        if self.kind == "application" and self.deadline_local:
            raise ValueError("the application's deadline cannot be local: an applicant's time zone"
                             " is not known before the application")
        return self

    @property
    def deadline_local(self) -> bool:
        """The deadline is each intern's own wall-clock time (`local: true`)."""
        return self.deadline is not None and self.deadline.local


class QuietHours(Strict):
    start: str = Field(default="22:00", pattern=r"^\d{2}:\d{2}$")
    end: str = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")


class Reminders(Strict):
    before_event: list[Duration] = Field(default_factory=lambda: ["24h", "1h"])
    before_deadline: list[Duration] = Field(default_factory=lambda: ["48h"])
    deadline_morning: str | None = Field(default="09:00", pattern=r"^\d{2}:\d{2}$")
    silence_after: Duration | None = "3d"
    """A kind nudge after this long without a word from an intern in an open stage."""
    silence_escalate_after: Duration | None = "7d"
    """Still silent this long: the team's tutor is told (once per stage)."""
    overdue_after: Duration | None = "1h"
    """This long after a missed deadline the tutor is told and the intern gets the next step."""
    quiet_after_announcement: Duration = "12h"
    """A deadline reminder due this soon after the stage's own announcement (which names
    the deadline) is not sent: two messages saying the same thing read as spam."""


class Escalation(Strict):
    take_within_hours: float = Field(default=4, gt=0)
    answer_within_hours: float = Field(default=24, gt=0)
    max_open_per_intern: int = Field(default=10, ge=1)
    """Unclosed questions one intern may have at once (a guard against floods)."""


class TeamRules(Strict):
    min_size: int = Field(default=3, ge=1)
    max_size: int = Field(default=6, ge=1)
    mix_by: list[str] = Field(default_factory=lambda: ["region", "position"])
    """Application question ids whose answers automatic formation spreads across teams,
    most important first (the practice mixes cities, then positions). `level` (the
    diagnostic's level) spreads levels so stronger teachers help others."""
    group_by: Literal["level"] | None = None
    """`level`: teams are homogeneous by level instead (mixing still applies within)."""

    @model_validator(mode="after")
    def _order(self) -> TeamRules:
        if self.min_size > self.max_size:
            raise ValueError("min_size is greater than max_size")
        return self


class CoordinatorNotices(Strict):
    """How coordinators hear of new applications: a burst of 300 must not be 300 messages."""

    new_applications: Literal["digest", "each"] = "digest"
    """`digest`: the first application after a quiet spell comes at once with its card, the
    ones within the next window as one message when it closes; `each`: a card per application."""
    application_digest_minutes: int = Field(default=15, ge=1, le=1440)
    """The window: after a notice, new applications wait this long and come together."""


class Programme(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    title: LocalText
    topic: LocalText | None = None
    locale: Literal["ru", "en"] = "ru"
    timezone: str = "Europe/Moscow"
    starts_at: str
    privacy_policy_url: str = ""
    invitation: LocalText | None = None
    teams: TeamRules = TeamRules()
    quiet_hours: QuietHours = QuietHours()
    reminders: Reminders = Reminders()
    escalation: Escalation = Escalation()
    coordinators: CoordinatorNotices = CoordinatorNotices()
    completion: list[str] = Field(default_factory=list)
    """Stage ids that must be done for a certificate."""
    events: list[Event] = Field(default_factory=list)
    diagnostic: Diagnostic | None = None
    """The entry (and exit) diagnostic that sets each intern's level and route."""
    certificate: Certificate | None = None
    """What the bot issues to those who complete (scenarios/certificate.py); none: no certificates."""
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Programme:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{self.timezone}'") from exc
        validate_moment(self.starts_at)
        if self.starts_at.strip().startswith("start"):
            raise ValueError("starts_at must be a date, not an offset")
        if not self.stages or self.stages[0].kind != "application":
            raise ValueError("the first stage must be of kind 'application'")
        ids = [s.id for s in self.stages]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"stage ids used twice: {', '.join(sorted(dupes))}")
        event_ids = {e.id for e in self.events}
        for stage in self.stages:
            if stage.event and stage.event not in event_ids:
                raise ValueError(f"stage '{stage.id}' names unknown event '{stage.event}'")
        unknown = set(self.completion) - set(ids)
        if unknown:
            raise ValueError(f"completion names unknown stages: {', '.join(sorted(unknown))}")
        form = self.stages[0].form
        asked = {q.id for q in form.questions} if form else set()
        unknown = set(self.teams.mix_by) - asked - ({"level"} if self.diagnostic else set())
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(f"teams.mix_by names unknown application questions: {names}")
        self._check_levels(set(ids))
        return self

    def _check_levels(self, stage_ids: set[str]) -> None:
        """Level ids named by stages and teams exist; the diagnostic's stages exist."""
        known = {lv.id for lv in self.diagnostic.levels} if self.diagnostic else set()
        if self.teams.group_by == "level" and not self.diagnostic:
            raise ValueError("teams.group_by: level needs a diagnostic section")
        for stage in self.stages:
            unknown = (set(stage.for_levels) | set(stage.variants)) - known
            if unknown:
                raise ValueError(f"stage '{stage.id}' names unknown levels: {', '.join(sorted(unknown))}"
                                 + ("" if known else " (the programme has no diagnostic)"))
        if self.diagnostic is None:
            return
        for field, value in (("at", self.diagnostic.at), ("again_at", self.diagnostic.again_at)):
            if value not in (None, "approval") and value not in stage_ids:
                raise ValueError(f"diagnostic.{field} names unknown stage '{value}'")
        if self.diagnostic.again_at == "approval":
            raise ValueError("diagnostic.again_at names a stage (the exit sitting comes at the end)")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def start(self) -> datetime:
        return resolve_moment(self.starts_at, datetime.now(self.zone), self.zone)

    def moment(self, text: str | Deadline) -> datetime:
        """A moment of the file; a deadline's is its wall-clock time in the programme's zone
        (a local deadline's moment for one intern: handlers/internship/timetable.py)."""
        if isinstance(text, Deadline):
            text = text.at
        return resolve_moment(text, self.start, self.zone)

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def event(self, event_id: str) -> Event:
        for event in self.events:
            if event.id == event_id:
                return event
        raise KeyError(event_id)

    @property
    def application(self) -> Stage:
        return self.stages[0]

    def form(self, form_id: str) -> Form:
        if form_id in (START, END) and self.diagnostic is not None:
            return diagnostic_form(self.diagnostic, form_id)
        form = self.stage(form_id).form
        if form is None:
            raise KeyError(form_id)
        return form

    def reminder_offsets(self, kind: Literal["event", "deadline"]) -> list[timedelta]:
        raw = self.reminders.before_event if kind == "event" else self.reminders.before_deadline
        return [parse_duration(x) for x in raw]


def diagnostic_form(diagnostic: Diagnostic, which: str) -> Form:
    """A sitting of the diagnostic as a form of the engine: one choice question per item,
    its options as buttons (a choice's value is `o<index>`; scores stay in the
    programme, so a coordinator's fix of a score needs no change to stored answers)."""
    questions = [
        Question(id=q.id, kind="choice", prompt=q.prompt, hint=q.hint,
                 choices=[Choice(value=f"o{i}", label=o.label)
                          for i, o in enumerate(diagnostic.options_of(q))])
        for q in diagnostic.questions_of(which)
    ]
    return Form(questions=questions, summary=True)

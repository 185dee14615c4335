"""The `certificate:` section of the programme file: what the PDF says and how it is numbered.

A coordinator designs the certificate here (organisation, title, text, hours, signatories,
images, numbering, when it is issued), not in code; `python -m bot certificate-sample`
renders it. Mistakes are found at load time: an unknown placeholder in the text, a
numbering pattern without a sequence, an image that is not there.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Literal

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scenarios.timespec import validate_moment

LocalText = str | dict[str, str]

PLACEHOLDERS = ("name", "programme", "topic", "hours", "date_from", "date_to", "issued", "number", "issuer")
"""What the certificate's text may name ({{ name }}, ...); `hours` goes well with the
`plural` filter: {{ hours }} {{ hours | plural('час', 'часа', 'часов') }}."""
NUMBER_FIELDS = ("prefix", "year", "seq")
NUMBER_CHARS = re.compile(r"^[A-Za-z0-9\-_/.]+$")
"""A number is typed after /verify and sits in a URL: Latin letters, digits, - _ / . only."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

_parser = SandboxedEnvironment()
_parser.filters["plural"] = lambda count, *forms: forms[0]  # checked for real by the locale's rule


def placeholders_of(text: str) -> set[str]:
    """The names a certificate text uses; ValueError (with jinja's reason) when it does not parse."""
    try:
        return set(meta.find_undeclared_variables(_parser.parse(text)))
    except TemplateSyntaxError as exc:
        raise ValueError(f"the text is not a valid template: {exc.message}") from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signatory(Strict):
    name: LocalText
    position: LocalText


class Numbering(Strict):
    """`pattern` is a Python format string over `prefix`, `year` (of issue) and `seq`:
    `{prefix}-{year}-{seq:05d}` gives DPI-2026-00001. The sequence restarts for every
    value of what stands around it (a new year starts at 1 again)."""

    prefix: str = Field(default="DPI", pattern=r"^[A-Za-z0-9\-_]{0,16}$")
    pattern: str = "{prefix}-{year}-{seq:05d}"
    start: int = Field(default=1, ge=0)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
        except ValueError as exc:
            raise ValueError(f"not a valid pattern: {exc}") from None
        unknown = set(fields) - set(NUMBER_FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}: use {{prefix}}, {{year}} and {{seq}}")
        if fields.count("seq") != 1:
            raise ValueError("the pattern needs {seq} once (e.g. {prefix}-{year}-{seq:05d})")
        try:
            sample = value.format(prefix="DPI", year=2026, seq=1)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a valid pattern: {exc}") from None
        if not NUMBER_CHARS.match(sample):
            raise ValueError("a number may hold only Latin letters, digits and - _ / . (it is typed"
                             f" after /verify and goes into a link); this pattern gives '{sample}'")
        return value

    def format(self, year: int, seq: int) -> str:
        return self.pattern.format(prefix=self.prefix, year=year, seq=seq)

    def series(self, year: int) -> str:
        """What the sequence counts within: the prefix, and the year when the pattern has one
        (so a new year starts at 1 again, and a new prefix too)."""
        fields = {f for _, f, _, _ in string.Formatter().parse(self.pattern) if f}
        return f"{self.prefix}|{year}" if "year" in fields else self.prefix


class Certificate(Strict):
    issuer: LocalText
    """The issuing organisation, as printed at the top."""
    title: LocalText = {"ru": "Сертификат", "en": "Certificate"}
    subtitle: LocalText | None = None
    """A line under the title («о повышении квалификации»)."""
    text: LocalText
    """The body, with placeholders: {{ name }}, {{ programme }}, {{ hours }}, {{ date_from }}..."""
    hours: int = Field(ge=1, le=10_000)
    date_from: str | None = None
    """A moment of the programme (`start`, `2026-12-01`); default: the programme's start."""
    date_to: str | None = None
    """Default: the day the certificate is issued."""
    city: LocalText | None = None
    signatories: list[Signatory] = Field(default_factory=list, max_length=3)
    logo: str | None = None
    """An image next to the programme file (PNG or JPEG), printed at the top."""
    background: str | None = None
    """An image (PNG or JPEG) that fills the page under the text: a frame, a watermark."""
    numbering: Numbering = Numbering()
    issue: Literal["auto", "manual"] = "auto"
    """`auto`: once the completion requirements are met and the intern confirmed the name
    and e-mail; `manual`: when a coordinator issues them (/certificates)."""
    language: Literal["ru", "en"] | None = None
    """The language printed; default: the programme's."""
    file_name: str = Field(default="certificate-{number}.pdf", pattern=r"^[A-Za-z0-9_\-.{}]+\.pdf$")
    """The attachment's name; {number} is the certificate's number."""

    @field_validator("text", "title", "issuer")
    @classmethod
    def _known_placeholders(cls, value: LocalText) -> LocalText:
        for text in ([value] if isinstance(value, str) else list(value.values())):
            unknown = placeholders_of(text) - set(PLACEHOLDERS)
            if unknown:
                raise ValueError(f"unknown placeholders {sorted(unknown)}; known: {', '.join(PLACEHOLDERS)}")
        return value

    @field_validator("date_from", "date_to")
    @classmethod
    def _moment(cls, value: str | None) -> str | None:
        return validate_moment(value) if value is not None else None

    @field_validator("logo", "background")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith(IMAGE_SUFFIXES):
            raise ValueError("must be a .png or .jpg image")
        return value

    @model_validator(mode="after")
    def _name_in_text(self) -> Certificate:
        texts = [self.text] if isinstance(self.text, str) else list(self.text.values())
        if not all("name" in placeholders_of(t) for t in texts):
            raise ValueError("the certificate's text must print {{ name }}")
        return self

    def with_base(self, folder: Path) -> Certificate:
        """Image paths made absolute against the programme file's folder; missing ones refused."""
        update: dict[str, str] = {}
        for field in ("logo", "background"):
            value = getattr(self, field)
            if value is None:
                continue
            path = Path(value) if Path(value).is_absolute() else (folder / value)
            if not path.is_file():
                raise ValueError(f"certificate.{field}: no file {path}")
            update[field] = str(path.resolve())
        return self.model_copy(update=update) if update else self

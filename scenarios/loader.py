"""Load a programme file and report mistakes by field *and line*.

A coordinator edits YAML by hand; "stages.2.form.questions.0.kind: Input should be..."
is only useful with the line it points at, so we keep YAML node positions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scenarios.models import Programme

Loc = tuple[str | int, ...]


class ProgrammeError(Exception):
    """The programme file is wrong; `str()` is a readable list of problems with lines."""


def _positions(node: yaml.Node, path: Loc, out: dict[Loc, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            out[(*path, name)] = key.start_mark.line + 1
            _positions(value, (*path, name), out)
            out[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _positions(item, (*path, index), out)


def _line_for(loc: Loc, positions: dict[Loc, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        line = positions.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


def parse_programme(text: str, source: str = "<programme>") -> Programme:
    try:
        data: Any = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProgrammeError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProgrammeError(f"{source}:1: the file must be a mapping of programme fields")
    positions: dict[Loc, int] = {}
    if root is not None:
        _positions(root, (), positions)
    try:
        return Programme.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
            line = _line_for(loc, positions)
            field = ".".join(str(p) for p in loc) or "programme"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{source}:{line or 1}: {field}: {message}")
        raise ProgrammeError("\n".join(dict.fromkeys(problems))) from None


def _is_union_tag(part: str | int) -> bool:
    """Pydantic adds union member names (`str`, `dict[str,str]`) to locations; drop them."""
    return isinstance(part, str) and (part in {"str", "int"} or part.startswith("dict["))


def load_programme(path: Path | str) -> Programme:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgrammeError(f"{path}: cannot read the programme file: {exc.strerror}") from None
    programme = parse_programme(text, str(path))
    return _with_certificate_images(programme, path, text)


def _with_certificate_images(programme: Programme, path: Path, text: str) -> Programme:
    """The certificate's logo and background are paths next to the programme file: made
    absolute here, so rendering does not depend on the working folder; a missing one is
    an error with its line, like any other mistake in the file."""
    if programme.certificate is None:
        return programme
    try:
        certificate = programme.certificate.with_base(path.resolve().parent)
    except ValueError as exc:
        positions: dict[Loc, int] = {}
        root = yaml.compose(text)
        if root is not None:
            _positions(root, (), positions)
        field = str(exc).split(":")[0]
        line = _line_for(tuple(field.split(".")), positions)
        raise ProgrammeError(f"{path}:{line or 1}: {exc}") from None
    return programme.model_copy(update={"certificate": certificate})

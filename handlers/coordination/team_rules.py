"""The team formation rules as one pure function: same people in, same teams out.

Sizes: as few teams as `max_size` allows, sizes differing by at most one. Mixing:
each person joins the team with the fewest people sharing their first trait (city),
then their second (position), then the smallest team — so a city or a position is
spread across teams instead of clustering. People with the most common city are
placed first, while every team still has room for them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: int
    traits: tuple[str, ...] = ()
    """Normalised answers to mix by (see `normalise`), most important first."""


def normalise(answer: object) -> str:
    """"г. Казань, Республика Татарстан" and "казань" are the same city."""
    text = str(answer or "").split(",")[0].strip().casefold()
    for prefix in ("г.", "город "):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    return " ".join(text.split())


def team_sizes(count: int, min_size: int, max_size: int) -> list[int]:
    """Balanced sizes; a cohort smaller than `min_size` still makes one team."""
    if count <= 0:
        return []
    teams = max(1, math.ceil(count / max_size))
    base, extra = divmod(count, teams)
    return [base + 1] * extra + [base] * (teams - extra)


def form_teams(candidates: Sequence[Candidate], min_size: int, max_size: int) -> list[list[int]]:
    """Person ids per team, each list sorted; deterministic for the same input."""
    sizes = team_sizes(len(candidates), min_size, max_size)
    depth = max((len(c.traits) for c in candidates), default=0)
    frequency = [Counter(c.traits[i] for c in candidates if len(c.traits) > i) for i in range(depth)]

    def order(c: Candidate) -> tuple[object, ...]:
        first = c.traits[0] if c.traits else ""
        return (-frequency[0][first] if depth else 0, c.traits, c.person_id)

    teams: list[list[Candidate]] = [[] for _ in sizes]
    for person in sorted(candidates, key=order):
        def cost(index: int, person: Candidate = person) -> tuple[object, ...]:
            same = tuple(
                sum(1 for m in teams[index] if len(m.traits) > i and m.traits[i] == trait)
                for i, trait in enumerate(person.traits)
            )
            return (*same, len(teams[index]) / sizes[index], index)

        open_teams = [i for i in range(len(sizes)) if len(teams[i]) < sizes[i]]
        teams[min(open_teams, key=cost)].append(person)
    return [sorted(m.person_id for m in team) for team in teams]

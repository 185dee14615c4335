"""The pure team formation rules: sizes, mixing of cities and positions, determinism."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.settings import BUNDLED_PROGRAM
from handlers.coordination.team_rules import Candidate, form_teams, normalise, team_sizes
from scenarios.loader import ProgrammeError, parse_programme


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, []), (2, [2]), (3, [3]), (6, [6]), (7, [4, 3]), (13, [5, 4, 4]), (18, [6, 6, 6]),
     (19, [5, 5, 5, 4])],
)
def test_sizes_are_balanced_within_bounds(count: int, expected: list[int]) -> None:
    assert team_sizes(count, 3, 6) == expected


def test_every_size_respects_three_to_six_for_every_cohort_of_three_or_more() -> None:
    for count in range(3, 200):
        sizes = team_sizes(count, 3, 6)
        assert sum(sizes) == count
        assert all(3 <= s <= 6 for s in sizes), (count, sizes)
        assert max(sizes) - min(sizes) <= 1


def test_normalise_city_answers() -> None:
    assert normalise("г. Казань, Республика Татарстан") == "казань"
    assert normalise("  КАЗАНЬ ") == "казань"
    assert normalise(None) == ""


def test_cities_and_positions_are_spread_across_teams() -> None:
    cities = ["казань"] * 4 + ["пермь"] * 4 + ["омск"] * 4
    positions = ["учитель", "воспитатель", "методист", "учитель"] * 3
    people = [Candidate(i + 1, (c, p)) for i, (c, p) in enumerate(zip(cities, positions, strict=True))]
    teams = form_teams(people, 3, 6)
    assert [len(t) for t in teams] == [6, 6]
    assert sorted(pid for t in teams for pid in t) == list(range(1, 13))
    city_of = {c.person_id: c.traits[0] for c in people}
    position_of = {c.person_id: c.traits[1] for c in people}
    for team in teams:
        # four people per city over two teams: exactly two of each city in each team
        assert Counter(city_of[p] for p in team) == {"казань": 2, "пермь": 2, "омск": 2}
        assert len({position_of[p] for p in team}) == 3


def test_one_city_each_lands_in_a_different_team_when_there_are_enough_teams() -> None:
    people = [Candidate(i, ("москва" if i <= 3 else f"город{i}", "учитель")) for i in range(1, 13)]
    teams = form_teams(people, 3, 6)
    assert len(teams) == 2
    moscow = [sum(1 for p in t if p <= 3) for t in teams]
    assert sorted(moscow) == [1, 2]


def test_formation_is_deterministic_and_independent_of_input_order() -> None:
    people = [Candidate(i, (f"c{i % 5}", f"p{i % 3}")) for i in range(1, 31)]
    first = form_teams(people, 3, 6)
    assert first == form_teams(list(reversed(people)), 3, 6)
    assert len(first) == 5 and all(len(t) == 6 for t in first)


def test_people_without_answers_still_get_teams() -> None:
    teams = form_teams([Candidate(i) for i in range(1, 8)], 3, 6)
    assert [len(t) for t in teams] == [4, 3]


def test_mix_by_must_name_application_questions() -> None:
    text = BUNDLED_PROGRAM.read_text(encoding="utf-8").replace(
        "mix_by: [level, region, position]", "mix_by: [city, position]", 1)
    with pytest.raises(ProgrammeError, match="mix_by names unknown application questions: city"):
        parse_programme(text)

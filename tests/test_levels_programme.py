"""The diagnostic and routes in the programme file: validation, route checks, and teams by level."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from scenarios.diagnostic import START
from scenarios.loader import ProgrammeError, parse_programme
from scenarios.route_timeline import render_routes
from scenarios.routes import completion_for, personal, problems, route
from storage import levels, teams
from tests.cohort import seed_intern
from tests.conftest import make_chat

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "default_programme.yaml"
TEXT = BUNDLED.read_text(encoding="utf-8")


def test_bundled_diagnostic_and_routes() -> None:
    programme = parse_programme(TEXT)
    diagnostic = programme.diagnostic
    assert diagnostic is not None and 6 <= len(diagnostic.questions) <= 10
    assert {q.line for q in diagnostic.questions} == {"lessons", "out_of_class", "networking", "parents"}
    assert [lv.id for lv in diagnostic.levels] == ["template", "modify", "author"]
    assert diagnostic.score_range(START) == (0, 27)
    assert diagnostic.level_for(11).id == "template" and diagnostic.level_for(12).id == "modify"
    assert diagnostic.level_for(27).id == "author"
    assert [s.id for s in route(programme, "author")].count("course") == 1
    assert "course" not in [s.id for s in route(programme, "template")]
    assert "course" not in [s.id for s in route(programme, None)]  # the common route
    assert "course" in completion_for(programme, "author") and "course" not in completion_for(programme, None)
    video = programme.stage("video")
    template = personal(programme, video, "template").submission
    assert template is not None and template.video is not None and template.video.min_minutes == 5
    assert personal(programme, video, None) is video
    assert problems(programme) == []
    text = render_routes(programme)
    assert "Маршрут уровня «Авторская разработка»" in text and "Общий маршрут" in text
    assert "(только этого уровня)" in text and "5–15 мин (свой текст/требования уровня)" in text


@pytest.mark.parametrize(("old", "new", "error"), [
    ("max_score: 11", "max_score: 10", "without a gap or an overlap"),
    ("max_score: 27", "max_score: 26", "must cover every possible total 0..27"),
    ("for_levels: [author]", "for_levels: [expert]", "names unknown levels: expert"),
    ("again_at: final_meeting", "again_at: finale", "diagnostic.again_at names unknown stage 'finale'"),
])
def test_mistakes_are_named(old: str, new: str, error: str) -> None:
    assert old in TEXT
    with pytest.raises(ProgrammeError, match=error):
        parse_programme(TEXT.replace(old, new, 1))


def test_an_incomplete_route_is_reported() -> None:
    """A level whose route reaches no final stage fails check-program."""
    broken = TEXT.replace("  - id: final\n    kind: final\n", "  - id: final\n    kind: final\n"
                          "    for_levels: [author]\n", 1)
    found = problems(parse_programme(broken))
    assert "route 'template': no final stage" in found and "route 'author': no final stage" not in found


async def _levelled_cohort(app: App) -> dict[int, str]:
    plan = ["template"] * 3 + ["modify"] * 3 + ["author"] * 3
    ids: dict[int, str] = {}
    for n, level in enumerate(plan):
        pid = await seed_intern(app, f"t{n}", region="Казань")
        async with app.s.db.transaction() as conn:
            await levels.record_start(conn, pid, level, 0, app.s.clock.now())
        ids[pid] = level
    return ids


@pytest.mark.parametrize("group", [False, True])
async def test_teams_mix_or_group_by_level(settings: Settings, clock: FakeClock, group: bool) -> None:
    text = TEXT.replace("mix_by: [level, region, position]",
                        "mix_by: [level, region, position]\n  group_by: level" if group else
                        "mix_by: [level, region, position]", 1)
    text = text.replace("max_size: 6", "max_size: 3", 1)
    app, chat = await make_chat(settings, clock, programme=parse_programme(text))
    try:
        ids = await _levelled_cohort(app)
        await chat.say("/help", "alice")
        await chat.press("tm|auto")
        confirm = [b.payload for r in chat.new("alice") for row in r.buttons for b in row
                   if b.payload and b.payload.startswith("tm|auto|")]
        await chat.press(confirm[0])
        async with app.s.db.read() as conn:
            formed = [await teams.members(conn, t.id) for t in await teams.all_teams(conn)]
        assert len(formed) == 3
        for members in formed:
            kinds = {ids[m] for m in members}
            assert len(kinds) == (1 if group else 3), (group, [[ids[m] for m in t] for t in formed])
    finally:
        await app.stop()

"""The stage engine: restart in the middle of a form, back, edit, and validation rules."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.messages import FileInfo, Incoming
from bot.settings import BUNDLED_PROGRAM as BUNDLED
from bot.settings import Settings
from scenarios.loader import load_programme
from scenarios.models import Question
from scenarios.validation import Accepted, Rejected, validate
from storage import forms, outbox
from storage.db import fetchone
from tests.conftest import APPLICATION, make_chat


async def test_restart_in_the_middle_of_a_form_resumes_same_question(
    settings: Settings, clock: FakeClock
) -> None:
    app, chat = await make_chat(settings, clock)
    await chat.say("/start", "intern")
    for answer in APPLICATION[:3]:
        await chat.say(answer)
    assert "Вопрос 4 из 7" in chat.last().text
    await app.stop()

    app, chat = await make_chat(settings, clock)  # a new process on the same database file
    try:
        resumed = await chat.say("/start", "intern")
        assert "Продолжим" in resumed[0].text
        assert "Вопрос 4 из 7" in resumed[-1].text
        await chat.say(APPLICATION[3])
        await chat.say("/back")
        assert "Сейчас указано: Учитель начальных классов" in chat.last().text
        async with app.s.db.read() as conn:
            progress = await forms.get(conn, 1 + 1, "application")  # person 1 is alice
        assert progress is not None
        assert progress.answers["email"] == "maria@example.ru"
        assert progress.answers["organisation"] == APPLICATION[2]
    finally:
        await app.stop()


async def test_free_text_mid_form_is_an_answer_after_restart(
    settings: Settings, clock: FakeClock
) -> None:
    app, chat = await make_chat(settings, clock)
    await chat.say("/start", "intern")
    await chat.say(APPLICATION[0])
    await app.stop()
    app, chat = await make_chat(settings, clock)
    try:
        replies = await chat.say("maria@example.ru", "intern")
        assert "Вопрос 3 из 7" in replies[-1].text
    finally:
        await app.stop()


async def test_redelivered_update_is_handled_once(settings: Settings, clock: FakeClock) -> None:
    """And leaves no trace: its transaction is rolled back, the account not even marked seen."""
    app, chat = await make_chat(settings, clock)
    try:
        await chat.say("/start", "intern")
        update = Incoming("console", "intern", "intern", text=APPLICATION[0], update_ref="u-1")
        await app.core.handle(update)
        seen = await _last_seen(app, "intern")
        clock.advance(minutes=5)
        await app.core.handle(update)
        prompts = [r.text for r in chat.all("intern") if "Вопрос 2 из 7" in r.text]
        assert len(prompts) == 1
        assert await _last_seen(app, "intern") == seen
    finally:
        await app.stop()


async def test_a_new_persons_first_update_delivered_twice_is_handled_once(
    settings: Settings, clock: FakeClock
) -> None:
    """The first update of someone unknown: on PostgreSQL its claim goes with the account's
    statement, which finds no account, so the claim must be read from that statement too."""
    app, chat = await make_chat(settings, clock)
    try:
        update = Incoming("console", "newbie", "newbie", text="/start", update_ref="n-1")
        await app.core.handle(update)
        first = len(chat.all("newbie"))
        assert first > 0
        await app.core.handle(update)
        assert len(chat.all("newbie")) == first
        async with app.s.db.read() as conn:
            row = await fetchone(conn, "SELECT COUNT(*) AS n FROM accounts WHERE user_ref = 'newbie'")
        assert row is not None and row["n"] == 1
    finally:
        await app.stop()


async def test_an_update_claimed_before_its_writer_was_known_is_ignored(
    settings: Settings, clock: FakeClock
) -> None:
    """A claim without an account (the person erased their data, then the messenger sent an
    old update again): nothing is said and nobody is created."""
    app, chat = await make_chat(settings, clock)
    try:
        async with app.s.db.transaction() as conn:
            assert await outbox.claim_update(conn, "console", "old-1", clock.now())
        await app.core.handle(Incoming("console", "ghost", "ghost", text="/start", update_ref="old-1"))
        assert chat.all("ghost") == []
        async with app.s.db.read() as conn:
            row = await fetchone(conn, "SELECT COUNT(*) AS n FROM accounts WHERE user_ref = 'ghost'")
        assert row is not None and row["n"] == 0
    finally:
        await app.stop()


async def _last_seen(app: App, user: str) -> str:
    async with app.s.db.read() as conn:
        row = await fetchone(conn, "SELECT last_seen_at FROM accounts WHERE user_ref = ?", (user,))
    assert row is not None
    return str(row["last_seen_at"])


def _q(**fields: object) -> Question:
    return Question(id="q", prompt="?", **fields)  # type: ignore[arg-type]


def _text(text: str) -> Incoming:
    return Incoming("console", "u", "u", text=text)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("email", "Maria@Example.RU", Accepted("maria@example.ru")),
        ("email", "maria@example", Rejected("email")),
        ("email", "maria..x@example.ru", Rejected("email")),
        ("link", "rutube.ru/video/123", Accepted("https://rutube.ru/video/123")),
        ("link", "just words", Rejected("link")),
        ("text", "", Rejected("empty")),
        ("timezone", "UTC+7", Accepted("Asia/Krasnoyarsk")),
        ("timezone", "Asia/Tokyo", Accepted("Asia/Tokyo")),
        ("timezone", "utc+13", Accepted("Etc/GMT-13")),
        ("consent", "да", Accepted(True)),
        ("consent", "нет", Rejected("consent_needed")),
    ],
)
def test_validation_by_kind(kind: str, text: str, expected: object) -> None:
    assert validate(_q(kind=kind), _text(text), None, "ru") == expected


def test_scale_and_choice_buttons_and_typing() -> None:
    scale = _q(kind="scale", scale_min=1, scale_max=5)
    assert validate(scale, _text(""), "4", "ru") == Accepted(4)
    assert validate(scale, _text("9"), None, "ru") == Rejected("scale", {"min": 1, "max": 5})
    choice = _q(kind="choice", choices=[{"value": "yes", "label": {"ru": "Да"}},
                                        {"value": "no", "label": {"ru": "Нет"}}])
    assert validate(choice, _text("да"), None, "ru") == Accepted("yes")
    assert validate(choice, _text("2"), None, "ru") == Accepted("no")
    assert validate(choice, _text(""), "maybe", "ru") == Rejected("choose")
    sticker = Incoming("console", "u", "u", file=FileInfo(kind="sticker", file_id="s"))
    for q in (scale, choice, _q(kind="timezone"), _q(kind="consent")):  # not "write text"
        assert validate(q, sticker, None, "ru") == Rejected("choose"), q.kind
    assert validate(_q(kind="text"), sticker, None, "ru") == Rejected("not_text", {"what": "sticker"})


def test_length_limits_and_pattern() -> None:
    q = _q(kind="text", min_length=3, max_length=10, pattern=r"^\D+$")
    assert validate(q, _text("ab"), None, "ru") == Rejected("too_short", {"min": 3})
    assert validate(q, _text("a" * 11), None, "ru").key == "too_long"  # type: ignore[union-attr]
    assert validate(q, _text("abc1"), None, "ru") == Rejected("pattern")


def test_video_question_accepts_videos_and_links_only() -> None:
    q = _q(kind="video")
    video = Incoming("tg", "u", "u", file=FileInfo("video", "f1", 10_000, "video/mp4", 700))
    accepted = validate(q, video, None, "ru")
    assert isinstance(accepted, Accepted) and accepted.value["duration"] == 700
    voice = Incoming("tg", "u", "u", file=FileInfo("voice", "f2", 100, "audio/ogg", 20))
    assert validate(q, voice, None, "ru") == Rejected("not_video", {"what": "voice"})
    link = validate(q, _text("https://vk.com/video-1_2"), None, "ru")
    assert link == Accepted({"kind": "link", "url": "https://vk.com/video-1_2"})
    doc_video = Incoming("tg", "u", "u", file=FileInfo("document", "f3", 1, "video/quicktime"))
    assert isinstance(validate(q, doc_video, None, "ru"), Accepted)


def test_bundled_programme_loads() -> None:
    programme = load_programme(BUNDLED)
    assert [s.id for s in programme.stages][:2] == ["application", "problematisation"]
    assert len(programme.form("reflection").questions) == 8

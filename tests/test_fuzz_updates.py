"""Fuzz drill: random updates from a few people, a coordinator among them, in random order.

Texts of any unicode, 100 KB texts and payloads, unknown and malformed button data
(with `|`), buttons the person really got, files of every kind with odd sizes and
durations, things we cannot read (location, poll...), and re-delivered updates go
through the real Core. After every update:

* no handler crashed: the "try again later" fallback was never sent and the core
  logged no error (it would have caught the exception and answered politely);
* the update was answered: at least one reply reached that person, and nothing is
  left pending in the outbox. The one deliberate exception: an update a messenger
  RE-DELIVERS (same update id) is ignored: no reply, nothing written;
* the state is valid: form steps inside the form, statuses known, the dialog points
  at a form in progress, at most one live application per person, every button
  payload within Telegram's 64 bytes.

`HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_updates.py` runs a longer random search.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.clock import FakeClock
from bot.context import Ctx
from bot.messages import FileInfo, FileKind, Incoming, Reply
from bot.settings import Settings
from tests.conftest import APPLICATION

settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long", max_examples=3000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PLATFORM = "fuzz"
USERS = ["u1", "u2", "alice"]
"""alice is a coordinator (settings), so approvals and rejections are fuzzed too."""
HUGE = 100_000
FORM_STATUSES = {"in_progress", "review", "submitted"}
APP_STATUSES = {"pending", "approved", "rejected", "withdrawn"}


# --- what a person can do -----------------------------------------------------------------
@dataclass(frozen=True)
class Act:
    user: str
    incoming: dict[str, Any]
    press: int | None = None
    """Press button number `press` (modulo) of the last message this person got."""
    redeliver: bool = False
    """Send this person's previous update again, with the same update id."""
    sensible: bool = False
    """Answer the current question the way a careful person would, so runs get deep into
    the forms (review, submit, the coordinator's card) and random acts hit those states."""


users = st.sampled_from(USERS)
plausible = st.sampled_from([
    *APPLICATION, "2", "1", "yes", "да", "нет", "МСК+2", "UTC+5", "https://vk.com/video1",
    "not-an-email@", "", "   ", "{{ 7*7 }}", "{% raw %}", "<b>x</b>", "/start", "/help", "/back",
    "/applications", "/fuzz_reflection", "/unknown", "/start code", "/", "/START@bot",
])
texts = st.one_of(
    plausible,
    st.text(max_size=300),
    st.sampled_from(["я" * HUGE, "/" + "a" * HUGE, "|" * HUGE, "🙂" * (HUGE // 2)]),
)
payloads = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda prefix, args: "|".join([prefix, *args]),
        st.sampled_from(["f", "app", "apply", "cal", "", "x"]),
        st.lists(st.one_of(st.sampled_from(
            ["application", "reflection", "0", "3", "7", "99", "-1", "ok", "no", "noreason",
             "a:1", "a:yes", "a:no", "a:99", "e:0", "e:42", "e:x", "submit", "edit", "back", "skip", "1"]
        ), st.text(max_size=10)), max_size=5),
    ),
    st.just("f|application|0|" + "a:" * (HUGE // 2)),
)
sizes = st.one_of(st.none(), st.integers(-1, 10), st.integers(0, 10**11))
files = st.builds(
    FileInfo,
    kind=st.sampled_from(get_args(FileKind)),
    file_id=st.text(max_size=20),
    size=sizes,
    mime=st.sampled_from([None, "", "video/mp4", "video/quicktime", "image/png", "application/pdf",
                          "application/x-unknown", "audio/ogg"]),
    duration=st.one_of(st.none(), st.integers(-5, 10**7)),
    name=st.one_of(st.none(), st.text(max_size=40), st.just("x" * 1000 + ".pdf")),
)
extras = st.fixed_dictionaries({}, optional={
    "language_code": st.sampled_from([None, "", "ru", "en", "EN-us", "de", "zz_ZZ"]),
    "display_name": st.one_of(st.none(), st.text(max_size=50)),
    "reply_to_ref": st.one_of(st.none(), st.text(max_size=10)),
})
acts = st.one_of(
    st.builds(lambda u, t, e: Act(u, {"text": t, **e}), users, texts, extras),
    st.builds(lambda u, t, e: Act(u, {"text": t, **e}), users, plausible, extras),
    st.builds(lambda u, n: Act(u, {}, press=n), users, st.integers(0, 20)),
    st.builds(lambda u, n: Act(u, {}, press=n), users, st.integers(0, 20)),
    st.builds(lambda u, p: Act(u, {"payload": p}), users, payloads),
    st.builds(lambda u, f, t: Act(u, {"file": f, "text": t}), users, files, st.one_of(st.none(), plausible)),
    st.builds(lambda u, k: Act(u, {"unsupported": k}), users,
              st.sampled_from(["location", "contact", "poll", "dice", "venue", "game"])),
    st.builds(lambda u: Act(u, {}, redeliver=True), users),
)
runs = st.builds(lambda u, k: [Act(u, {}, sensible=True)] * k, users, st.integers(1, 12))
"""A person answering sensibly for a while: without runs random acts rarely finish a form."""
decided = st.builds(
    lambda u, k: [Act(u, {}, sensible=True)] * 10 + [Act("alice", {}, sensible=True)] * k,
    st.sampled_from(["u1", "u2"]), st.integers(1, 4),
)
"""An intern applies and the coordinator looks at the applications and decides."""
scripts = st.lists(st.one_of(acts.map(lambda a: [a]), runs, decided), min_size=1, max_size=20).map(
    lambda chunks: [act for chunk in chunks for act in chunk]
)

SENSIBLE = {
    "text": "Иванова Мария Петровна", "email": "maria@example.ru", "timezone": "МСК",
    "consent": "да", "choice": "1", "file": "https://disk.example.ru/plan", "video": "https://vk.com/video1",
    "link": "https://example.ru",
}


# --- the bot under test -----------------------------------------------------------------------
class Recorder:
    platform = PLATFORM

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        self.sent.append((chat_ref, reply))
        return str(len(self.sent))


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def open_reflection(ctx: Ctx) -> None:
    """Test-only: the survey opens at once, so the fuzz reaches the second form too."""
    await ctx.services.forms.start(ctx, "reflection")


async def play(script: list[Act]) -> None:
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_path=Path(":memory:"), coordinators=[(PLATFORM, "alice")], default_locale="ru",
    )
    app = await App(config, clock=FakeClock()).start(background=False)
    app.s.router.command("fuzz_reflection", open_reflection)
    recorder = Recorder()
    app.s.delivery.register(recorder)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    sorry = {app.s.texts.get(lang, "common.try_again_later") for lang in ("ru", "en")}
    last: dict[str, Incoming] = {}
    try:
        for number, act in enumerate(script):
            incoming = await build(app, act, number, recorder, last)
            if incoming is None:
                continue
            redelivered = act.redeliver
            before = len(recorder.sent)
            rows_before = await count(app, "outbox")
            await app.core.handle(incoming)
            new = recorder.sent[before:]
            context = f"update {number}: {describe(incoming)}"
            assert not errors.records, f"{context}: {errors.records[0].getMessage()}"
            assert not [r for _, r in new if r.text in sorry], f"{context}: 'try again' was sent"
            if redelivered:
                assert new == [], f"{context}: a re-delivered update was answered again"
                assert await count(app, "outbox") == rows_before
            else:
                assert any(chat == act.user for chat, _ in new), f"{context}: no reply"
                last[act.user] = incoming
            await check_state(app, context)
    finally:
        logging.getLogger().removeHandler(errors)
        await app.stop()


async def build(
    app: App, act: Act, number: int, recorder: Recorder, last: dict[str, Incoming]
) -> Incoming | None:
    if act.redeliver:
        return last.get(act.user)
    fields = dict(act.incoming)
    if act.sensible:
        fields = await sensible(app, act.user, number, recorder)
    if act.press is not None:
        mine = [r for chat, r in recorder.sent if chat == act.user]
        buttons = [b for row in (mine[-1].buttons if mine else []) for b in row if b.payload]
        if not buttons:
            fields["text"] = "/start"
        else:
            fields["payload"] = buttons[act.press % len(buttons)].payload
    return Incoming(
        platform=PLATFORM, user_ref=act.user, chat_ref=act.user, update_ref=f"upd{number}",
        message_ref=f"m{number}", **fields,
    )


async def decide(recorder: Recorder, number: int) -> dict[str, Any]:
    """The coordinator opens the applications, then approves or rejects the last card."""
    mine = [r for chat, r in recorder.sent if chat == "alice"]
    decisions = [b.payload for b in (mine[-1].buttons[0] if mine and mine[-1].buttons else [])]
    if decisions and decisions[0].startswith("app|"):
        return {"payload": decisions[number % len(decisions)]}
    return {"text": "/applications"}


async def sensible(app: App, user: str, number: int, recorder: Recorder) -> dict[str, Any]:
    async with app.s.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT d.kind, d.ref, f.status, f.step FROM accounts a"
            " JOIN dialog_state d ON d.person_id = a.person_id"
            " LEFT JOIN form_progress f ON f.person_id = a.person_id AND f.form_id = d.ref"
            " WHERE a.platform = ? AND a.user_ref = ?", (PLATFORM, user),
        )
    if not rows:
        if user == "alice":
            return await decide(recorder, number)
        return {"text": ("/start", "/fuzz_reflection")[number % 2]}
    kind, ref, status, step = rows[0]
    if kind != "form":
        return {"text": "Не подходит по теме"}  # the coordinator's rejection reason
    if status == "review":
        return {"payload": f"f|{ref}|{step}|submit"}
    question = app.s.programme.form(ref).questions[step]
    if question.kind == "scale":
        return {"text": str(question.scale_max)}
    return {"text": SENSIBLE.get(question.kind, "Ответ")}


def describe(incoming: Incoming) -> str:
    """The update, with long texts cut, for an assertion message."""
    short = replace(
        incoming, text=(incoming.text or "")[:60] or None, payload=(incoming.payload or "")[:60] or None
    )
    return repr(short)


async def count(app: App, table: str) -> int:
    async with app.s.db.read() as conn:
        return (await conn.execute_fetchall(f"SELECT COUNT(*) FROM {table}"))[0][0]


async def check_state(app: App, context: str) -> None:
    programme, router = app.s.programme, app.s.router
    async with app.s.db.read() as conn:
        progress = await conn.execute_fetchall("SELECT * FROM form_progress")
        dialogs = await conn.execute_fetchall("SELECT * FROM dialog_state")
        apps = await conn.execute_fetchall("SELECT * FROM applications")
        outbox = await conn.execute_fetchall("SELECT * FROM outbox")
    forms = {(r["person_id"], r["form_id"]): r for r in progress}
    for row in progress:
        questions = programme.form(row["form_id"]).questions
        assert row["status"] in FORM_STATUSES, context
        assert 0 <= row["step"] < len(questions), f"{context}: step {row['step']} of {row['form_id']}"
        assert set(json.loads(row["answers"])) <= {q.id for q in questions}, context
    for row in dialogs:
        assert row["kind"] in router.dialogs, f"{context}: unknown dialog {row['kind']}"
        if row["kind"] == "form":
            form = forms.get((row["person_id"], row["ref"]))
            assert form is not None and form["status"] != "submitted", f"{context}: dialog on a closed form"
    live: dict[int, int] = {}
    for row in apps:
        assert row["status"] in APP_STATUSES, context
        if row["status"] in ("pending", "approved"):
            live[row["person_id"]] = live.get(row["person_id"], 0) + 1
    assert all(n == 1 for n in live.values()), f"{context}: two live applications for one person"
    for row in outbox:
        assert row["status"] == "sent", f"{context}: outbox row {row['id']} is {row['status']}"
        reply = Reply.from_json(json.loads(row["body"]))
        for button_row in reply.buttons:
            for button in button_row:
                assert len(button.payload.encode()) <= 64, f"{context}: payload {button.payload[:80]!r}"


@given(scripts)
def test_random_updates_never_crash_and_leave_a_valid_state(script: list[Act]) -> None:
    asyncio.run(play(script))

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
* nothing a person writes is lost: a message outside any dialog (text, any file, a
  thing we cannot read) from someone who is not staff is kept to be sent as a question,
  or answered with a clear word of why it cannot be (issue 13, point 1);
* the state is valid: form steps inside the form, statuses known, the dialog points
  at a form in progress, at most one live application per person, every button
  payload within Telegram's 64 bytes.

MAX goes in one step further out: random raw JSON as the MAX Bot API would send it
(messages with any attachment, button presses with stale or malformed payloads, «Начать»
with any start payload, update types we do not handle, fields missing or of the wrong
type, garbage in the batch) is parsed by maxapi exactly as the adapter parses it and
mapped by `messengers.max.mapping`; neither may raise, what is mapped must be a
well-formed MAX `Incoming`, and the core must answer it as above.

`HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_updates.py` runs a longer random search.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_args

import maxapi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from maxapi.methods.types.getted_updates import process_update_request
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated

from bot.app import App
from bot.clock import FakeClock
from bot.context import Ctx
from bot.messages import FileInfo, FileKind, Incoming, Reply
from bot.settings import Settings
from messengers.max import mapping
from messengers.max.adapter import make_bot
from tests.conftest import APPLICATION

settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long", max_examples=3000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

PLATFORM = "fuzz"
USERS = ["u1", "u2", "alice"]
COORDINATORS = {"alice"}
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
    def __init__(self, platform: str = PLATFORM) -> None:
        self.platform = platform
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        self.sent.append((chat_ref, reply))
        return str(len(self.sent))


class Errors(logging.Handler):
    """Errors logged by our code; `ignore` is a library's folder whose errors are its own
    business (maxapi logs a garbage event it skips as an error: the library doing its job)."""

    def __init__(self, ignore: Path | None = None) -> None:
        super().__init__(logging.ERROR)
        self.ignore = ignore
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.ignore is not None and Path(record.pathname).is_relative_to(self.ignore):
            return
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
    last: dict[str, Incoming] = {}
    try:
        for number, act in enumerate(script):
            incoming = await build(app, act, number, recorder, last)
            if incoming is None:
                continue
            await answered(app, incoming, act.redeliver, recorder, errors, f"update {number}")
            if not act.redeliver:
                last[act.user] = incoming
    finally:
        logging.getLogger().removeHandler(errors)
        await app.stop()


async def answered(
    app: App, incoming: Incoming, redelivered: bool, recorder: Recorder, errors: Errors, where: str
) -> None:
    """`incoming` through the core: answered without a crash (or, re-delivered, ignored)."""
    sorry = {app.s.texts.get(lang, "common.try_again_later") for lang in ("ru", "en")}
    before = len(recorder.sent)
    rows_before = await count(app, "outbox")
    free = not redelivered and await writes_outside_a_dialog(app, incoming)
    kept_before = await count(app, "kept_messages")
    await app.core.handle(incoming)
    new = recorder.sent[before:]
    context = f"{where}: {describe(incoming)}"
    if free:
        kept_now = await count(app, "kept_messages")
        why = {app.s.texts.get(lang, key, limit=0, length=0)[:20]
               for lang in ("ru", "en") for key in ("tickets.bad_input", "tickets.empty_input",
                                                    "tickets.too_long")}
        explained = any(chat == incoming.chat_ref and r.text[:20] in why for chat, r in new)
        assert kept_now == kept_before + 1 or explained, f"{context}: neither kept nor explained"
    assert not errors.records, f"{context}: {errors.records[0].getMessage()}"
    assert not [r for _, r in new if r.text in sorry], f"{context}: 'try again' was sent"
    if redelivered:
        assert new == [], f"{context}: a re-delivered update was answered again"
        assert await count(app, "outbox") == rows_before
    else:
        assert any(chat == incoming.chat_ref for chat, _ in new), f"{context}: no reply"
    await check_state(app, context)


async def writes_outside_a_dialog(app: App, incoming: Incoming) -> bool:
    """A message (not a button, a command, a key's words or a reply to one of ours) from a
    person who is in no dialog and is not staff: what issue 13 says must never be lost."""
    text = (incoming.text or "").strip()
    if incoming.payload is not None or text.startswith("/") or incoming.reply_to_ref:
        return False
    if not text and incoming.file is None and incoming.unsupported is None:
        return False
    if incoming.file is None and app.s.router.key_payload(text) is not None:
        return False
    async with app.s.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT (SELECT COUNT(*) FROM dialog_state d WHERE d.person_id = a.person_id),"
            " (SELECT COUNT(*) FROM roles r WHERE r.person_id = a.person_id"
            "  AND r.role IN ('tutor', 'coordinator'))"
            " FROM accounts a WHERE a.platform = ? AND a.user_ref = ?",
            (incoming.platform, incoming.user_ref),
        )
    if not rows:
        return incoming.user_ref not in COORDINATORS  # a newcomer: no dialog, no role yet
    in_dialog, staff = rows[0]
    return not in_dialog and not staff


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


async def decide(recorder: Recorder, number: int, coordinator: str = "alice") -> dict[str, Any]:
    """The coordinator opens the applications, then approves or rejects the last card."""
    mine = [r for chat, r in recorder.sent if chat == coordinator]
    decisions = [b.payload for b in (mine[-1].buttons[0] if mine and mine[-1].buttons else [])]
    if decisions and decisions[0].startswith("app|"):
        return {"payload": decisions[number % len(decisions)]}
    return {"text": "/applications"}


async def sensible(
    app: App, user: str, number: int, recorder: Recorder, platform: str = PLATFORM, coordinator: str = "alice"
) -> dict[str, Any]:
    async with app.s.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT d.kind, d.ref, f.status, f.step FROM accounts a"
            " JOIN dialog_state d ON d.person_id = a.person_id"
            " LEFT JOIN form_progress f ON f.person_id = a.person_id AND f.form_id = d.ref"
            " WHERE a.platform = ? AND a.user_ref = ?", (platform, user),
        )
    if not rows:
        if user == coordinator:
            return await decide(recorder, number, coordinator)
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


# --- MAX: raw platform JSON through maxapi's parser and the adapter's mapping ------------------
Json = dict[str, Any]
MAX_USERS = [2002, 2003, 1001]
MAX_COORDINATOR = "1001"
"""Named `max:1001` in the settings (as in tests/e2e/max.py): approvals are fuzzed too."""
MAX_TOKEN = "max-fuzz-token-0123456789"
NOWHERE = "http://127.0.0.1:9"
"""The bot's API address: nothing listens there, and parsing must not need it."""
MAX_BOT_ID = 900_001
DIALOG_OFFSET = 100_000_000_000
"""A dialog has a chat id of its own, distinct from its user's id, as on the platform."""
EPOCH_MS = 1_750_000_000_000
MAX_EXAMPLES = 30 if PROFILE == "ci" else settings().max_examples
"""Every example starts an app (a quarter of a second, most of it reading the locales'
YAML): 30 longer scripts keep the default run under ten seconds."""
WHATEVER = "x-"
"""Attachment types the generator makes up start with this, so they never name a real one."""


@dataclass(frozen=True)
class MaxAct:
    user: int
    kind: str
    """message, callback, started, other (an update type we do not map), junk (not an
    update at all), redeliver (this person's previous update again) or sensible."""
    fields: dict[str, Any] = field(default_factory=dict)
    press: int | None = None
    """A press of button number `press` (modulo) of the last message this person got."""
    breakage: tuple[int, str] | None = None
    """Spoil one field of the JSON (see `spoil`): the library must skip, not raise."""


def max_user(user_id: int, name: str | None = None, is_bot: bool = False) -> Json:
    first, _, last = (name or "").partition(" ")
    return {"user_id": user_id, "first_name": first, "last_name": last or None, "is_bot": is_bot,
            "name": name, "last_activity_time": EPOCH_MS}


def recipient(user_id: int, chat_type: str, of_bot: bool = False) -> Json:
    if chat_type != "dialog":
        return {"chat_id": -(70_000_000 + user_id), "chat_type": chat_type}
    return {"chat_id": DIALOG_OFFSET + user_id, "chat_type": "dialog",
            "user_id": user_id if of_bot else MAX_BOT_ID}


def message_json(
    user: int, number: int, *, text: str | None = None, attachments: list[Json] | None = None,
    chat_type: str = "dialog", is_bot: bool = False, name: str | None = None,
    reply_to: str | None = None, locale: str | None = "ru",
) -> Json:
    message: Json = {
        "sender": max_user(user, name, is_bot), "recipient": recipient(user, chat_type),
        "timestamp": EPOCH_MS + number,
        "body": {"mid": f"mid.{number:032x}", "seq": number, "text": text,
                 "attachments": attachments or [], "markup": []},
    }
    if reply_to is not None:
        message["link"] = {"type": "reply", "sender": max_user(MAX_BOT_ID, "Bot", True),
                           "chat_id": DIALOG_OFFSET + user, "message": {"mid": reply_to, "seq": 1}}
    return {"update_type": "message_created", "timestamp": EPOCH_MS + number, "message": message,
            "user_locale": locale}


def callback_json(
    user: int, number: int, *, payload: str | None, on_message: bool = True,
    chat_type: str = "dialog", locale: str | None = "ru",
) -> Json:
    update: Json = {
        "update_type": "message_callback", "timestamp": EPOCH_MS + number, "user_locale": locale,
        "callback": {"timestamp": EPOCH_MS + number, "callback_id": f"cb.{number:012d}",
                     "payload": payload, "user": max_user(user, "Мария Иванова")},
    }
    if on_message:  # the bot's message the button was on (absent when it was deleted)
        update["message"] = {
            "sender": max_user(MAX_BOT_ID, "Bot", True), "recipient": recipient(user, chat_type, True),
            "timestamp": EPOCH_MS, "body": {"mid": f"mid.bot{number}", "seq": 1, "text": "Вопрос"},
        }
    return update


def started_json(
    user: int, number: int, *, payload: str | None = None, name: str | None = None,
    locale: str | None = "ru",
) -> Json:
    update: Json = {"update_type": "bot_started", "timestamp": EPOCH_MS + number,
                    "chat_id": DIALOG_OFFSET + user, "user": max_user(user, name), "user_locale": locale}
    if payload is not None:
        update["payload"] = payload
    return update


def other_json(user: int, number: int, *, update_type: str) -> Json:
    """An update type the adapter does not ask for (or one nobody knows), shaped loosely."""
    return {"update_type": update_type, "timestamp": EPOCH_MS + number, "chat_id": DIALOG_OFFSET + user,
            "user": max_user(user), "user_id": user, "message_id": f"mid.{number:032x}"}


def spoil(event: Json, breakage: tuple[int, str]) -> None:
    """Drop one field anywhere in the JSON, or give it a null or a value of the wrong type."""
    places: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            places.append((node, key))
            walk(value)

    walk(event)
    which, how = breakage
    container, key = places[which % len(places)]
    if how == "drop":
        del container[key]
    else:
        container[key] = {"null": None, "str": "x", "int": 7, "list": []}[how]


max_users = st.sampled_from(MAX_USERS)
names = st.one_of(st.none(), st.text(max_size=30))
locales = st.sampled_from([None, "", "ru", "ru-RU", "en", "en-US", "de_DE", "zz"])
urls = st.sampled_from(["https://files.max.example/f/1", "", "not a url", "https://x.example/" + "a" * 3000])
tokens = st.one_of(st.none(), st.text(max_size=12))
durations = st.one_of(st.none(), st.integers(-5, 10**7))
chat_types = st.sampled_from(["dialog", "dialog", "dialog", "chat", "channel"])


def kind(name: str, **parts: st.SearchStrategy[Any]) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries({"type": st.just(name), **parts})


buttons = st.fixed_dictionaries({"type": st.just("callback"), "text": st.text(min_size=1, max_size=10),
                                 "payload": st.text(max_size=20)})
attachments = st.one_of(
    kind("file", payload=st.fixed_dictionaries({"url": urls, "token": tokens}), filename=names, size=sizes),
    kind("image", payload=st.fixed_dictionaries(
        {"photo_id": st.integers(0, 2**40), "token": st.text(max_size=12), "url": urls})),
    kind("video", payload=st.fixed_dictionaries({"url": urls, "token": tokens}), token=tokens,
         duration=durations, width=st.integers(0, 4000), height=st.integers(0, 4000)),
    kind("audio", payload=st.fixed_dictionaries({"url": urls, "token": tokens}),
         transcription=st.one_of(st.none(), st.text(max_size=40))),
    kind("sticker", payload=st.fixed_dictionaries({"url": urls, "code": st.text(max_size=10)}),
         width=st.just(128), height=st.just(128)),
    kind("location", latitude=st.floats(-90, 90), longitude=st.floats(-180, 180)),
    kind("contact", payload=st.fixed_dictionaries({}, optional={
        "vcf_info": st.text(max_size=60), "max_info": st.builds(max_user, max_users, names)})),
    kind("share", payload=st.fixed_dictionaries({"url": urls}, optional={"token": tokens}),
         title=names, description=names),
    kind("inline_keyboard", payload=st.fixed_dictionaries(
        {"buttons": st.lists(st.lists(buttons, min_size=1, max_size=3), max_size=3)})),
    st.fixed_dictionaries({"type": st.text(max_size=10).map(lambda t: WHATEVER + t), "payload": st.just({})}),
)
max_payloads = st.one_of(st.none(), st.just(""), payloads, st.sampled_from(
    ["app|1|ok", "app|999|fix", "apply", "menu", "hw|1", "tk|1|s", "ev|list", "bc|1|now", "||", "a" * 1024]))
start_payloads = st.one_of(st.none(), st.just(""), st.text(max_size=60), st.sampled_from(
    ["inv-ABCDEFGHIJ", "inv-", "link-123456", "link-", "-", "x" * 5000]))
breakages = st.one_of(st.none(), st.none(), st.tuples(
    st.integers(0, 10**6), st.sampled_from(["drop", "null", "str", "int", "list"])))
UNMAPPED = ["bot_stopped", "bot_added", "message_edited", "message_removed", "dialog_muted", "user_added",
            "chat_title_changed", "message_reactions", "on_started"]
"""Update types the adapter does not ask for (maxapi knows most, the last two it does not)."""
junk = st.sampled_from([None, 0, "update", [], {}, {"update_type": None}, {"update_type": "message_created"},
                        {"update_type": "message_callback", "timestamp": 1}, {"updates": []}])
max_acts = st.one_of(
    st.builds(lambda u, f, b: MaxAct(u, "message", f, breakage=b), max_users, st.fixed_dictionaries(
        {"text": st.one_of(st.none(), texts, plausible)},
        optional={"attachments": st.lists(attachments, max_size=3), "chat_type": chat_types,
                  "is_bot": st.sampled_from([False, False, True]), "name": names,
                  "reply_to": st.one_of(st.integers(1, 40).map(str), st.text(max_size=8)), "locale": locales},
    ), breakages),
    st.builds(lambda u, f, b: MaxAct(u, "callback", f, breakage=b), max_users, st.fixed_dictionaries(
        {"payload": max_payloads},
        optional={"on_message": st.booleans(), "chat_type": chat_types, "locale": locales},
    ), breakages),
    st.builds(lambda u, n: MaxAct(u, "callback", press=n), max_users, st.integers(0, 20)),
    st.builds(lambda u, f, b: MaxAct(u, "started", f, breakage=b), max_users, st.fixed_dictionaries(
        {"payload": start_payloads}, optional={"name": names, "locale": locales}), breakages),
    st.builds(lambda u, t: MaxAct(u, "other", {"update_type": t}), max_users,
              st.one_of(st.text(max_size=15), st.sampled_from(UNMAPPED))),
    st.builds(lambda u, j: MaxAct(u, "junk", {"value": j}), max_users, junk),
    st.builds(lambda u: MaxAct(u, "redeliver"), max_users),
)
max_runs = st.builds(lambda u, k: [MaxAct(u, "sensible")] * k, max_users, st.integers(1, 12))
max_scripts = st.lists(st.one_of(max_acts.map(lambda a: [a]), max_runs), min_size=1, max_size=16).map(
    lambda chunks: [act for chunk in chunks for act in chunk]
)


async def max_event(app: App, act: MaxAct, number: int, recorder: Recorder) -> Any:
    """The act as the JSON the platform would send: a fresh update with ids from `number`."""
    user, fields = act.user, copy.deepcopy(act.fields)  # `spoil` must not touch the example
    kind_ = act.kind
    if kind_ == "sensible":
        wanted = await sensible(app, str(user), number, recorder, mapping.PLATFORM, MAX_COORDINATOR)
        kind_, fields = ("callback", wanted) if "payload" in wanted else ("message", wanted)
    if act.press is not None:
        mine = [r for chat, r in recorder.sent if chat == str(user)]
        pressable = [b.payload for row in (mine[-1].buttons if mine else []) for b in row if b.payload]
        fields["payload"] = pressable[act.press % len(pressable)] if pressable else "menu"
    if kind_ == "junk":
        return fields["value"]
    build = {"message": message_json, "callback": callback_json, "started": started_json,
             "other": other_json}[kind_]
    event = build(user, number, **fields)
    if act.breakage is not None:
        spoil(event, act.breakage)
    return event


def intact(act: MaxAct) -> bool:
    """Well-formed JSON of an update type we handle: the library must parse it."""
    made_up = any(str(a.get("type", "")).startswith(WHATEVER) for a in act.fields.get("attachments") or [])
    return act.kind in ("message", "callback", "started", "sensible") and act.breakage is None and not made_up


def must_map(update: Any) -> bool:
    """Whether a person said or pressed something the core must hear."""
    if isinstance(update, BotStarted):
        return True
    if isinstance(update, MessageCallback):
        in_dialog = update.message is None or update.message.recipient.chat_type == "dialog"
        return bool(update.callback.payload) and in_dialog
    if isinstance(update, MessageCreated):
        message, body = update.message, update.message.body
        said = body is not None and bool(
            body.text or any(str(a.type) != "inline_keyboard" for a in body.attachments or []))
        person = message.sender is not None and not message.sender.is_bot
        return person and message.recipient.chat_type == "dialog" and said
    return False


def check_mapped(update: Any, incoming: Incoming | None, context: str) -> None:
    assert (incoming is not None) == must_map(update), f"{context}: mapped to {incoming!r}"
    if incoming is None:
        return
    assert incoming.platform == "max", context
    assert incoming.user_ref.isdigit() and incoming.user_ref == incoming.chat_ref, context
    assert incoming.user_ref == str(mapping.user_key(update)), f"{context}: handled in another's order"
    assert incoming.update_ref, context
    if isinstance(update, MessageCreated) and update.message.body and update.message.body.text:
        assert incoming.text == update.message.body.text, f"{context}: the text was changed"
    if isinstance(update, MessageCallback):
        assert incoming.payload == update.callback.payload, f"{context}: the payload was changed"


async def play_max(script: list[MaxAct]) -> None:
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_path=Path(":memory:"), coordinators=[(mapping.PLATFORM, MAX_COORDINATOR)],
        default_locale="ru",
    )
    app = await App(config, clock=FakeClock()).start(background=False)
    recorder = Recorder(mapping.PLATFORM)
    app.s.delivery.register(recorder)
    bot = make_bot(MAX_TOKEN, NOWHERE)  # the adapter's own client, as it parses /updates
    errors = Errors(ignore=Path(maxapi.__file__).parent)
    logging.getLogger().addHandler(errors)
    seen: set[str] = set()
    last: dict[int, Any] = {}
    try:
        for number, act in enumerate(script, start=1):
            if act.kind == "redeliver" and act.user not in last:
                continue
            event = last[act.user] if act.kind == "redeliver" else await max_event(app, act, number, recorder)
            last[act.user] = event
            event = json.loads(json.dumps(event))  # exactly what can come over the wire
            context = f"update {number} ({act.kind}): {json.dumps(event, ensure_ascii=False)[:300]}"
            updates = await process_update_request({"updates": [event], "marker": number}, bot)
            assert len(updates) == (1 if intact(act) else len(updates)) and len(updates) <= 1, \
                f"{context}: parsed as {updates!r}"
            for update in updates:
                incoming = mapping.incoming_of(update)
                check_mapped(update, incoming, context)
                if incoming is not None:
                    redelivered = incoming.update_ref in seen
                    seen.add(incoming.update_ref)
                    await answered(app, incoming, redelivered, recorder, errors, context)
        assert bot.session is None, "parsing updates made a request to the API"
    finally:
        logging.getLogger().removeHandler(errors)
        await bot.close_session()
        await app.stop()


@settings(max_examples=MAX_EXAMPLES)
@given(max_scripts)
def test_random_max_updates_parse_map_and_are_answered(script: list[MaxAct]) -> None:
    asyncio.run(play_max(script))

"""Every command, button prefix and role-bound dialogue the router registers, for every role.

Driven from the router's own tables: the policy below must name each route exactly as
the running app registers it (a new command, button or dialogue fails the first tests
until someone decides who may use it), and each route is then tried by a coordinator, a
tutor, an intern and a stranger. Whoever holds none of the route's roles gets exactly
the polite refusal and nothing else happens — no other message, no dialogue begun;
whoever holds one reaches the handler (no refusal, no crash).

The check is the server's, not a messenger's: the last test asks the same of MAX
accounts, over HTTP through the real maxapi client and the fake MAX Bot API, with the
coordinator named `max:1001` in the settings.
"""

from __future__ import annotations

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.router import Route
from bot.settings import Settings
from storage import dialogs, persons
from storage.db import fetchone
from storage.dialogs import Dialog
from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat
from tests.e2e.max import COORDINATOR, MaxChat, max_chat

ANYONE = frozenset({"coordinator", "tutor", "intern", ""})
"""No role needed: "" is a stranger who has not even applied yet."""
C = frozenset({"coordinator"})
T = frozenset({"tutor"})
I = frozenset({"intern"})  # noqa: E741
STAFF = C | T
MEMBERS = C | T | I

COMMANDS: dict[str, frozenset[str]] = {
    # for everyone: each acts on the person's own data only
    "start": ANYONE, "help": ANYONE, "back": ANYONE, "link": ANYONE, "myteam": ANYONE,
    "mydata": ANYONE, "forget": ANYONE,
    # interns
    "menu": I, "ask": I,
    # everyone in the programme
    "events": MEMBERS,
    # tutors (their own teams and tickets) and coordinators
    "teams": STAFF, "progress": STAFF, "ticket": STAFF,
    # the web panel: a one-time sign-in link, the Mini App button (web/ checks roles again)
    "web": STAFF, "panel": STAFF,
    "reviews": T, "queue": T,
    # coordinators
    "applications": C, "invite": C, "roles": C, "newteam": C, "broadcast": C, "broadcasts": C,
    "export": C, "move": C, "pause": C, "resume": C, "schedule": C, "openstage": C,
    "absences": C, "tickets": C, "ticketstats": C,
    # learning paths: an intern's own diagnostic; levels of one's teams (a tutor) or all;
    # the bank of solutions is for everyone in the programme
    "diagnostic": I, "levels": STAFF, "bank": MEMBERS,
    # certificates: anyone may check a number (it shows only what the certificate says);
    # issuing, resending and revoking are the coordinators'
    "verify": ANYONE, "certificates": C,
}
PAYLOADS: dict[str, frozenset[str]] = {
    # for everyone, because each handler acts on the presser's own records only: their
    # form (f), their rejected or returned application (apply, appfix), their erasure
    # request (fg), leaving their own ticket dialogue (askno), sending or dropping the
    # messages the bot kept for them (kept)
    "f": ANYONE, "apply": ANYONE, "appfix": ANYONE, "fg": ANYONE, "askno": ANYONE, "kept": ANYONE,
    "go": I, "menu": I, "hw": I, "vid": I, "fin": I, "ask": I, "askok": I,
    "ev": MEMBERS,
    "pg": STAFF, "tk": STAFF,
    "rev": T,
    "app": C, "apb": C, "apl": C, "inv": C, "rv": C, "tm": C, "bc": C, "mv": C, "open": C, "fgc": C,
    # learning paths: the intern's own sittings (dg) and bank consent (bq); levels (lv) for
    # staff, a level change (lvs) and hiding a work (bkh) for coordinators; marking a work
    # exemplary (bkx) for staff; browsing the bank (bk) for everyone in the programme
    "dg": I, "bq": I, "lv": STAFF, "lvs": C, "bk": MEMBERS, "bkx": STAFF, "bkh": C,
    "crt": C,
}
EXAMPLES: dict[str, list[str]] = {
    # realistic arguments besides the bare prefix (which every handler must survive)
    "app": ["app|1|ok", "app|1|fix"], "apb": ["apb|ok|1"],
    "apl": ["apl|p|0", "apl|t|1|0", "apl|a|0", "apl|ok|0", "apl|y|ok", "apl|x"],
    "inv": ["inv|tutor", "inv|x|ABCDEFGHIJ"],
    "crt": ["crt|prev", "crt|all", "crt|allok|2", "crt|pick|rv|0", "crt|again|DPI-2026-00001",
            "crt|rv|DPI-2026-00001", "crt|no"],
    "rv": ["rv|2|tutor", "rv|2|tutor|yes"], "tm": ["tm|auto", "tm|move", "tm|mv|3|1"],
    "bc": ["bc|1|a|all", "bc|1|now"], "mv": ["mv|cancel"], "open": ["open|homework"],
    "fgc": ["fgc|3|ok"], "pg": ["pg|all", "pg|1"], "tk": ["tk|1|s", "tk|1|c"],
    "rev": ["rev|1|ok", "rev|1|ret"], "ev": ["ev|list"], "kept": ["kept|send", "kept|drop"],
    "dg": ["dg|go|start", "dg|go|end"], "bq": ["bq|1|yes", "bq|1|line|lessons"],
    "lv": ["lv|2", "lv|p|0"], "lvs": ["lvs|2|author"],
    "bk": ["bk|-|-|-|0", "bk|o|1|-|-|-|0", "bk|f|l|-|-|-|0"],
    "bkx": ["bkx|1"], "bkh": ["bkh|1"],
}
DIALOGS: dict[str, frozenset[str]] = {
    # a dialogue is routed by its kind, not by a role: those begun with a role must check
    # it again when the answer comes, because the role may have been revoked in between
    "bc_text": C, "bc_when": C, "reject_reason": C, "fix_reason": C, "app_select": C, "move_when": C,
    "review_comment": T, "tk_reply": STAFF,
    # the person's own work: forms, homework, video, a question
    "form": ANYONE, "homework": I, "video": I, "ask": I,
}
PERSONAS = {"alice": "coordinator", "tom": "tutor", "ivan": "intern", "nobody": ""}


def test_every_command_is_in_the_policy_with_its_roles(chat: ConsoleChat) -> None:
    registered = {name: _who(route) for name, route in chat.app.s.router.commands.items()}
    assert registered == COMMANDS


def test_every_button_prefix_is_in_the_policy_with_its_roles(chat: ConsoleChat) -> None:
    registered = {prefix: _who(route) for prefix, route in chat.app.s.router.payloads.items()}
    assert registered == PAYLOADS


def test_every_dialogue_is_in_the_policy(chat: ConsoleChat) -> None:
    assert set(chat.app.s.router.dialogs) == set(DIALOGS)


def _who(route: Route) -> frozenset[str]:
    return ANYONE if route.roles is None else route.roles


@pytest.fixture
async def people(chat: ConsoleChat) -> ConsoleChat:
    await seed_intern(chat.app, "ivan")  # person 2
    await make_tutor(chat.app, "tom")  # person 3
    await chat.say("/help", "nobody")
    await chat.say("/help", "alice")
    return chat


def _refusal(app: App, roles: frozenset[str]) -> str:
    texts = app.s.texts
    names = ", ".join(texts.get("ru", f"common.roles.{r}") for r in sorted(roles))
    return texts.get("ru", "common.not_allowed", role=names)


async def _outbox_rows(app: App) -> int:
    async with app.s.db.read() as conn:
        row = await fetchone(conn, "SELECT COUNT(*) AS n FROM outbox")
    return int(row["n"]) if row else 0


async def _dialog(app: App, user: str, platform: str = "console") -> Dialog | None:
    async with app.s.db.read() as conn:
        account = await persons.find_account(conn, platform, user)
        assert account is not None
        return await dialogs.get(conn, account.person_id)


async def _check(chat: ConsoleChat, roles: frozenset[str], user: str, act) -> None:  # type: ignore[no-untyped-def]
    """`act()` as `user`: refused with exactly one message and no effect, or let through."""
    app = chat.app
    chat.as_user(user)
    chat.new(user)
    before_rows, before_dialog = await _outbox_rows(app), await _dialog(app, user)
    await act()
    replies = [r.text for r in chat.new(user)]
    refusal = _refusal(app, roles - {""}) if roles != ANYONE else None
    sorry = app.s.texts.get("ru", "common.try_again_later")
    if PERSONAS[user] in roles:
        assert replies, f"{user}: no answer at all"
        assert sorry not in replies, f"{user}: the handler failed"
        assert all("доступна только" not in text for text in replies), f"{user} was refused: {replies}"
    else:
        assert replies == [refusal], f"{user} was not refused: {replies}"
        assert await _outbox_rows(app) == before_rows + 1, f"{user}: something else was written"
        assert await _dialog(app, user) == before_dialog, f"{user}: a dialogue was begun"


@pytest.mark.parametrize("name", sorted(COMMANDS))
async def test_command_for_each_role(people: ConsoleChat, name: str) -> None:
    for user in PERSONAS:
        await _check(people, COMMANDS[name], user, lambda: people.adapter.type(f"/{name}"))


@pytest.mark.parametrize("prefix", sorted(PAYLOADS))
async def test_button_for_each_role(people: ConsoleChat, prefix: str) -> None:
    for payload in [prefix, *EXAMPLES.get(prefix, [])]:
        for user in PERSONAS:
            await _check(people, PAYLOADS[prefix], user,
                         lambda payload=payload: people.press(payload))


@pytest.mark.parametrize("kind", sorted(k for k, roles in DIALOGS.items() if roles <= STAFF))
async def test_dialogue_answered_without_its_role_is_refused(people: ConsoleChat, kind: str) -> None:
    """As if the dialogue was begun with the role, which was then revoked."""
    app = people.app
    for user, role in PERSONAS.items():
        if role in DIALOGS[kind]:
            continue
        async with app.s.db.transaction() as conn:
            account = await persons.find_account(conn, "console", user)
            assert account is not None
            await dialogs.put(conn, account.person_id, Dialog(kind, "1"), app.s.clock.now())
        people.new(user)
        before = await _outbox_rows(app)
        replies = [r.text for r in await people.say("Текст ответа", user)]
        assert await _dialog(app, user) is None, f"{kind}: {user} is still in the dialogue"
        assert all("Текст ответа" not in t for t in replies)
        assert await _outbox_rows(app) == before + len(replies), f"{kind}: someone else was told"
        refused = ("доступна только", "недоступен вам")
        assert any(r in t for r in refused for t in replies), f"{kind}: {user} got {replies}"


MAX_PERSONAS = {4004: "", 2002: "intern", 3003: "tutor", COORDINATOR: "coordinator"}
"""A stranger, an intern, a tutor and the coordinator named `max:1001` in the settings;
holders are tried in this order, so the coordinator's buttons (which revoke roles and
erase people) come last."""


def _role_bound() -> list[tuple[str, frozenset[str]]]:
    """Every command (as typed) and button payload (bare and realistic) that needs a role."""
    commands = [(f"/{name}", roles) for name, roles in sorted(COMMANDS.items()) if roles != ANYONE]
    buttons = [(payload, roles) for prefix, roles in sorted(PAYLOADS.items()) if roles != ANYONE
               for payload in [prefix, *EXAMPLES.get(prefix, [])]]
    return commands + buttons


async def _max_check(mx: MaxChat, user: int, route: str, roles: frozenset[str]) -> None:
    """`route` typed or pressed in MAX by `user`: refused exactly as on the console, or let through."""
    app, fake = mx.app, mx.fake
    before_rows, before_dialog = await _outbox_rows(app), await _dialog(app, str(user), "max")
    typed = route.startswith("/")
    replies = await (mx.say(user, route) if typed else mx.press_data(user, route))
    where = f"max:{user} ({MAX_PERSONAS[user] or 'stranger'}) {route}"
    if not typed:
        pressed = fake.updates[-1]["callback"]["callback_id"]
        assert fake.answered(pressed), f"{where}: the button press was not answered"
    if MAX_PERSONAS[user] in roles:
        assert replies, f"{where}: no answer at all"
        assert app.s.texts.get("ru", "common.try_again_later") not in replies, f"{where}: the handler failed"
        assert all("доступна только" not in text for text in replies), f"{where} was refused: {replies}"
    else:
        assert replies == [_refusal(app, roles)], f"{where} was not refused: {replies}"
        assert await _outbox_rows(app) == before_rows + 1, f"{where}: something else was written"
        assert await _dialog(app, str(user), "max") == before_dialog, f"{where}: a dialogue was begun"


async def test_max_accounts_are_refused_and_let_through_alike(settings: Settings, clock: FakeClock) -> None:
    """One app for every route (a fresh one each would cost seconds): all refusals first,
    while nobody has done anything, then the holders. Rates are not under test here, so
    neither the fake nor the adapter holds its hundreds of requests to MAX's 30 a second."""
    async with max_chat(settings, clock, adapter_kw={"requests_per_s": 10_000}, rate_limit=None) as mx:
        await seed_intern(mx.app, "2002", platform="max")
        await make_tutor(mx.app, "3003", platform="max")
        for user in MAX_PERSONAS:
            assert await mx.say(user, "/help")
        routes = _role_bound()
        for route, roles in routes:
            for user, role in MAX_PERSONAS.items():
                if role not in roles:
                    await _max_check(mx, user, route, roles)
        for user, role in MAX_PERSONAS.items():
            for route, roles in routes:
                if role in roles:
                    await _max_check(mx, user, route, roles)
        assert all(c["ok"] for c in mx.fake.calls()), [c for c in mx.fake.calls() if not c["ok"]][:3]

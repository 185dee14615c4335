"""Every command, button prefix and role-bound dialogue the router registers, for every role.

Driven from the router's own tables: the policy below must name each route exactly as
the running app registers it (a new command, button or dialogue fails the first tests
until someone decides who may use it), and each route is then tried by a coordinator, a
tutor, an intern and a stranger. Whoever holds none of the route's roles gets exactly
the polite refusal and nothing else happens — no other message, no dialogue begun;
whoever holds one reaches the handler (no refusal, no crash).
"""

from __future__ import annotations

import pytest

from bot.app import App
from bot.router import Route
from storage import dialogs, persons
from storage.db import fetchone
from storage.dialogs import Dialog
from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat

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
    "reviews": T, "queue": T,
    # coordinators
    "applications": C, "invite": C, "roles": C, "newteam": C, "broadcast": C, "broadcasts": C,
    "export": C, "move": C, "pause": C, "resume": C, "schedule": C, "openstage": C,
    "absences": C, "tickets": C, "ticketstats": C,
}
PAYLOADS: dict[str, frozenset[str]] = {
    # for everyone, because each handler acts on the presser's own records only: their
    # form (f), their rejected or returned application (apply, appfix), their erasure
    # request (fg), leaving their own ticket dialogue (askno)
    "f": ANYONE, "apply": ANYONE, "appfix": ANYONE, "fg": ANYONE, "askno": ANYONE,
    "go": I, "menu": I, "hw": I, "vid": I, "fin": I, "ask": I, "askok": I,
    "ev": MEMBERS,
    "pg": STAFF, "tk": STAFF,
    "rev": T,
    "app": C, "apb": C, "inv": C, "rv": C, "tm": C, "bc": C, "mv": C, "open": C, "fgc": C,
}
EXAMPLES: dict[str, list[str]] = {
    # realistic arguments besides the bare prefix (which every handler must survive)
    "app": ["app|1|ok", "app|1|fix"], "apb": ["apb|ok|1"], "inv": ["inv|tutor", "inv|x|ABCDEFGHIJ"],
    "rv": ["rv|2|tutor", "rv|2|tutor|yes"], "tm": ["tm|auto", "tm|move", "tm|mv|3|1"],
    "bc": ["bc|1|a|all", "bc|1|now"], "mv": ["mv|cancel"], "open": ["open|homework"],
    "fgc": ["fgc|3|ok"], "pg": ["pg|all", "pg|1"], "tk": ["tk|1|s", "tk|1|c"],
    "rev": ["rev|1|ok", "rev|1|ret"], "ev": ["ev|list"],
}
DIALOGS: dict[str, frozenset[str]] = {
    # a dialogue is routed by its kind, not by a role: those begun with a role must check
    # it again when the answer comes, because the role may have been revoked in between
    "bc_text": C, "bc_when": C, "reject_reason": C, "fix_reason": C, "move_when": C,
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


async def _dialog(app: App, user: str) -> Dialog | None:
    async with app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", user)
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

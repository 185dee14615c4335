"""Where an update goes: a command, a button payload, or the dialog the person is in.

Roles are checked here, on the server, for every command and button, so a feature
cannot forget to check them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from storage import dialogs
from storage.dialogs import Dialog

if TYPE_CHECKING:
    from bot.context import Ctx

Handler = Callable[["Ctx"], Awaitable[None]]
DialogHandler = Callable[["Ctx", Dialog], Awaitable[None]]
ReplyHook = Callable[["Ctx"], Awaitable[bool]]
"""Gets a message sent as a messenger reply to one of ours; True when it handled it."""


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    roles: frozenset[str] | None = None
    """None: anyone. Otherwise the person needs one of these roles."""


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.payloads: dict[str, Route] = {}
        self.dialogs: dict[str, DialogHandler] = {}
        self.deep_links: dict[str, Handler] = {}
        self.reply_hooks: list[ReplyHook] = []
        self.idle_handler: Handler | None = None
        """What answers a message that no command, button or dialog takes (see `on_idle`)."""
        self.keys: dict[str, str] = {}
        """Label of a persistent keyboard key -> its payload: a Telegram reply keyboard
        sends only the label's text, so the core turns it back into the button press."""

    def command(self, name: str, handler: Handler, roles: set[str] | None = None) -> None:
        self.commands[name.lstrip("/").lower()] = Route(handler, _roles(roles))

    def payload(self, prefix: str, handler: Handler, roles: set[str] | None = None) -> None:
        if "|" in prefix:
            raise ValueError("payload prefixes cannot contain '|'")
        self.payloads[prefix] = Route(handler, _roles(roles))

    def dialog(self, kind: str, handler: DialogHandler) -> None:
        self.dialogs[kind] = handler

    def reply_to(self, hook: ReplyHook) -> None:
        """A reply to a bot message may belong to a conversation (a ticket): it wins over
        the person's dialog, because the person chose that message explicitly."""
        self.reply_hooks.append(hook)

    def key(self, label: str, payload: str) -> None:
        self.keys[key_text(label)] = payload

    def key_payload(self, text: str) -> str | None:
        """The payload of the persistent key whose label this text is, typed or tapped."""
        key = key_text(text)
        return self.keys.get(key) if key else None

    def on_idle(self, handler: Handler) -> None:
        """One feature answers what nothing else takes (a question typed out of the blue, a
        photo, a stale button's aftermath): without it the core answers with /help."""
        self.idle_handler = handler

    def deep_link(self, prefix: str, handler: Handler) -> None:
        """`/start <prefix>...` (Telegram deep links, typed invite codes)."""
        self.deep_links[prefix] = handler


_KEY_EDGES = re.compile(r"^[\W_]+|[\s.!?]+$")


def key_text(text: str) -> str:
    """A key's label as people type it too: no leading emoji, no case, no final dot, so
    «что дальше?» finds «👉 Что дальше»."""
    return _KEY_EDGES.sub("", text).casefold()


def _roles(roles: set[str] | None) -> frozenset[str] | None:
    return frozenset(roles) if roles else None


class HasRoles(Protocol):
    """Whoever acts: a chat update's `Ctx` or a signed-in panel viewer (web/)."""

    @property
    def roles(self) -> set[str]: ...


def allowed(route: Route, ctx: HasRoles) -> bool:
    """The one role check of every command, button, page and form."""
    return route.roles is None or bool(route.roles & ctx.roles)


def described_commands(
    router: Router, has: Callable[[str], bool], roles: set[str] | frozenset[str]
) -> list[str]:
    """Commands open to these roles that have a `commands.<name>` text, in registration order.

    WHY: /help and the messengers' command menus list the same commands from the same
    data, so a feature makes its command visible everywhere by adding one text line
    (in its own locale file), and a command nobody described stays out of sight.
    """
    return [
        name
        for name, route in router.commands.items()
        if has(f"commands.{name}") and (route.roles is None or bool(route.roles & roles))
    ]


async def dialog_allowed(ctx: Ctx, roles: set[str]) -> bool:
    """For a dialog handler that acts with a role: dialogs are routed by their kind, not
    by role, so one begun before the role was revoked ends here with the usual refusal."""
    if roles & ctx.roles:
        return True
    await dialogs.clear(ctx.conn, ctx.person.id)
    await ctx.services.core.refuse(ctx, frozenset(roles))
    return False

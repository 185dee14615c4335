"""The panel under test: the real App, the Telegram adapter on the fake Bot API, the panel
served on 127.0.0.1, a real aiohttp client with its own cookie jar, and (for browser
tests) Debian's headless Chromium driven by Playwright.

`panel_env` gives a `PanelEnv`; `env.client()` a signed-out browser-like HTTP client;
`await env.sign_in(client, user_id)` signs a Telegram user in the way people do (/web in
the chat, then the one-time link). Interns and applications are made directly in
storage (`env.intern(...)`), since what is under test is the panel, not the form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from messengers.registry import panel_sign_ins
from storage import applications, persons, teams
from tests.e2e.telegram import TelegramChat, telegram_chat
from web.panel import Panel

VK_SECRET = "vk-test-app-secret"
CHROMIUM = Path("/usr/bin/chromium")
LINK = re.compile(r"https?://\S+/login/[A-Za-z0-9_-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def nonce_of(html: str) -> str:
    found = NONCE.search(html)
    assert found, "no nonce in the form"
    return found.group(1)


def telegram_init_data(token: str, user_id: int, auth_date: datetime, *, language_code: str = "ru",
                       first_name: str = "Test") -> str:
    """Init data as Telegram signs it for a Mini App (core.telegram.org/bots/webapps):
    the fields sorted into `k=v` lines, HMAC-SHA256 keyed by HMAC("WebAppData", token)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": first_name, "language_code": language_code},
                           separators=(",", ":")),
        "auth_date": str(int(auth_date.timestamp())),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def vk_launch_params(secret: str, user_id: int, ts: datetime) -> str:
    """Launch parameters as VK signs them: the vk_* pairs sorted, HMAC-SHA256, base64url."""
    params = {"vk_user_id": str(user_id), "vk_app_id": "51234567", "vk_ts": str(int(ts.timestamp())),
              "vk_language": "ru", "vk_platform": "desktop_web"}
    signed = urlencode(sorted(params.items()))
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    params["sign"] = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return urlencode(params)


@dataclass
class PanelEnv:
    app: App
    chat: TelegramChat
    panel: Panel
    clock: FakeClock
    base: str
    clients: list[aiohttp.ClientSession] = field(default_factory=list)

    def client(self) -> aiohttp.ClientSession:
        # unsafe=True: the jar keeps cookies of an IP address (127.0.0.1), as browsers do
        http = aiohttp.ClientSession(self.base, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.clients.append(http)
        return http

    async def login_link(self, user_id: int) -> str:
        """The one-time link the bot answers to /web in this Telegram chat."""
        texts = await self.chat.say(user_id, "/web")
        found = [m.group(0) for t in texts for m in [LINK.search(t)] if m]
        assert found, f"no link in {texts}"
        return found[-1]

    async def sign_in(self, http: aiohttp.ClientSession, user_id: int) -> str:
        """Sign in by /web and its link; returns the first page's HTML."""
        path = "/" + (await self.login_link(user_id)).split("/", 3)[3]
        async with http.get(path) as page:
            assert page.status == 200
        async with http.post(path) as signed:
            assert signed.status == 200, await signed.text()
            return await signed.text()

    async def person(self, user_id: int, name: str | None = None, *, role: str | None = None) -> int:
        """A Telegram user known to the bot (as if they had written to it), with a role."""
        now = self.clock.now()
        async with self.app.s.db.transaction() as conn:
            account, _ = await persons.ensure_account(
                conn, now, platform="telegram", user_ref=str(user_id), chat_ref=str(user_id),
                display_name=name, language_code="ru", locale="ru",
            )
            if name:
                await persons.update_person(conn, account.person_id, full_name=name)
            if role:
                await persons.grant_role(conn, account.person_id, role, now)
        return account.person_id

    async def intern(self, user_id: int, name: str, *, region: str = "Казань",
                     organisation: str = "МБОУ СОШ № 5") -> int:
        """A pending application of a Telegram user; returns the application id."""
        person_id = await self.person(user_id, name)
        answers: dict[str, Any] = {"full_name": name, "email": f"u{user_id}@example.ru",
                                   "organisation": organisation, "position": "Учитель",
                                   "region": region, "timezone": "Europe/Moscow", "consent": True}
        async with self.app.s.db.transaction() as conn:
            return await applications.create(conn, person_id, answers, self.clock.now())

    async def team(self, name: str, tutor_id: int | None, members: list[int]) -> int:
        async with self.app.s.db.transaction() as conn:
            team_id = await teams.create(conn, name, self.clock.now(), tutor_id=tutor_id)
            for member in members:
                await persons.grant_role(conn, member, "intern", self.clock.now())
                await teams.put_member(conn, team_id, member, self.clock.now())
        return team_id


@pytest.fixture
async def panel_env(settings: Settings, clock: FakeClock) -> AsyncIterator[PanelEnv]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={
        "web_listen": f"127.0.0.1:{port}", "web_public_url": base, "vk_app_secret": VK_SECRET,
    })
    async with telegram_chat(settings, clock) as chat:
        checks = panel_sign_ins(chat.app.settings)
        panel = Panel(chat.app.s, sign_ins=checks)
        await panel.start()
        env = PanelEnv(chat.app, chat, panel, clock, base)
        try:
            yield env
        finally:
            for http in env.clients:
                await http.close()
            await panel.stop()


# --- the browser ------------------------------------------------------------------------------

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
MARKER_ENV = "BROWSER_TESTS_MARKER"
"""When set, the number of browser tests that really ran is written to this file (.ci/run
fails when it is 0: a CI whose browser tests were silently skipped proves nothing)."""


def _count_browser_test() -> None:
    marker = os.environ.get(MARKER_ENV)
    if not marker:
        return
    path = Path(marker)
    count = int(path.read_text() or 0) if path.exists() else 0
    path.write_text(str(count + 1))


NO_CHROMIUM = ("Chromium is not installed: the panel's browser tests need it. "
               "Install with: apt-get install -y chromium chromium-driver")
_skipped_for_chromium: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say it at the end of `make test`, where it is seen, not only in a skip reason."""
    if _skipped_for_chromium:
        terminalreporter.write_line(f"{len(_skipped_for_chromium)} browser tests skipped. {NO_CHROMIUM}",
                                    yellow=True)


@pytest.fixture
async def browser(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Headless Chromium (Debian's /usr/bin/chromium) with a fresh profile, via Playwright."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(NO_CHROMIUM)
        _skipped_for_chromium.append(request.node.nodeid)
        pytest.skip(NO_CHROMIUM)
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        message = "Playwright is missing: .venv/bin/pip install -e '.[dev]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=BROWSER_ARGS, viewport={"width": 1280, "height": 800}, locale="ru-RU",
        )
        try:
            yield context
        finally:
            await context.close()
    _count_browser_test()


SCREENSHOTS = Path(os.environ.get("PANEL_SCREENSHOTS", "/tmp/panel-screenshots"))
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


async def screenshots(page: Any, name: str) -> list[Path]:
    """The page at a phone's and a desktop's size, each checked not blank (more than one
    colour, and a good share of pixels not the background's)."""
    from PIL import Image  # matplotlib's dependency, already installed

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    for size, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"panel-{name}-{size}.png"
        await page.screenshot(path=str(path))
        with Image.open(path) as image:
            rgb = image.convert("RGB")
            colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 8, f"{path} is blank"
        background = max(colours)[0]
        assert background < 0.97 * width * height, f"{path} is nearly one colour"
        shots.append(path)
    return shots

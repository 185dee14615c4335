"""Which adapters a run starts: every messenger with a token, else the local console."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from bot.app import App
from bot.delivery import Messenger
from bot.settings import Settings
from bot.sign_in import SignInCheck
from storage import adapter_state


class Adapter(Messenger, Protocol):
    async def run(self) -> None:
        """Take updates until `stop()` (or until the messenger refuses the token)."""
        ...

    async def stop(self) -> None:
        """Stop taking updates; return once the update in hand is handled."""
        ...

    async def close(self) -> None:
        """Release connections, after the outbox stopped sending."""
        ...


def build_adapters(app: App) -> list[Adapter]:
    adapters: list[Adapter] = []
    settings = app.settings
    if settings.telegram_bot_token:
        from messengers.telegram import TelegramAdapter
        from messengers.telegram.menu import build_menus

        adapters.append(TelegramAdapter(
            app.core, token=settings.telegram_bot_token, api_url=settings.telegram_api_url,
            webhook_url=settings.telegram_webhook_url, webhook_secret=settings.telegram_webhook_secret,
            webhook_listen=settings.telegram_webhook_listen, menus=lambda: build_menus(app.s),
            messages_per_s=settings.telegram_messages_per_s,
        ))
    if settings.vk_group_token:
        from messengers.vk import VkAdapter

        adapters.append(VkAdapter(
            app.core, token=settings.vk_group_token, api_url=settings.vk_api_url,
            api_version=settings.vk_api_version, group_id=settings.vk_group_id,
            requests_per_s=settings.vk_requests_per_s, ts_store=_state_store(app, "vk.longpoll_ts"),
        ))
    if settings.max_bot_token:
        from messengers.max import MaxAdapter
        from messengers.max.menu import command_list

        adapters.append(MaxAdapter(
            app.core, token=settings.max_bot_token, api_url=settings.max_api_url,
            requests_per_s=settings.max_requests_per_s, marker_store=_state_store(app, "max.marker"),
            webhook_url=settings.max_webhook_url, webhook_secret=settings.max_webhook_secret,
            webhook_listen=settings.max_webhook_listen, commands=lambda: command_list(app.s),
        ))
    if not adapters:
        from messengers.console import ConsoleAdapter

        adapters.append(ConsoleAdapter(app.core, user=app.settings.console_user,
                                       files_dir=console_files_dir(app.settings.database_path)))
    if settings.smtp_enabled:  # a channel of the outbox, not a place people write from
        adapters.append(email_adapter(settings))
    return adapters


def email_adapter(settings: Settings) -> Adapter:
    from messengers.email import EmailAdapter, SmtpConfig

    return EmailAdapter(SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender,
        user=settings.smtp_user, password=settings.smtp_password, security=settings.smtp_security,
        max_per_minute=settings.smtp_max_per_minute, timeout_s=settings.smtp_timeout_s,
    ))


def panel_sign_ins(settings: Settings) -> dict[str, SignInCheck]:
    """The Mini App sign-in checks the panel accepts: each messenger checks its own signature."""
    checks: dict[str, SignInCheck] = {}
    if settings.telegram_bot_token:
        from messengers.telegram.webapp import init_data_check

        checks["telegram"] = init_data_check(settings.telegram_bot_token)
    if settings.vk_app_secret:
        from messengers.vk.launch_params import launch_params_check

        checks["vk"] = launch_params_check(settings.vk_app_secret)
    return checks


def _state_store(
    app: App, key: str
) -> tuple[Callable[[], Awaitable[str | None]], Callable[[str], Awaitable[None]]]:
    """(load, save) of one adapter position in the database: adapters never touch SQL."""

    async def load() -> str | None:
        async with app.s.db.read() as conn:
            return await adapter_state.get(conn, key)

    async def save(value: str) -> None:
        async with app.s.db.statement() as conn:
            await adapter_state.put(conn, key, value, app.clock.now())

    return load, save


def console_files_dir(database_path: Path) -> Path:
    """Files the console shows are saved beside the database: `data/console-files/` by default."""
    return database_path.parent / "console-files"

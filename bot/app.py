"""Assembling the bot: settings, storage, programme, texts, core and delivery.

`App` is what `python -m bot run` starts and what tests build with a fake clock,
so tests exercise exactly the production wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.clock import Clock, SystemClock
from bot.core import Core
from bot.delivery import Delivery
from bot.features import register_all
from bot.i18n import Texts
from bot.instance import Instance
from bot.retention import Retention
from bot.scheduler import Scheduler
from bot.services import Services
from bot.settings import Settings
from scenarios.engine import FormEngine
from scenarios.loader import load_programme
from scenarios.models import Programme
from storage import persons
from storage.connection import make_database

log = logging.getLogger(__name__)


class App:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        programme: Programme | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._programme = programme
        self.services: Services | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def s(self) -> Services:
        if self.services is None:
            raise RuntimeError("App.start() has not run")
        return self.services

    @property
    def core(self) -> Core:
        return self.s.core

    async def start(self, *, background: bool = True) -> App:
        programme = self._programme or load_programme(self.settings.program_file)
        db = make_database(self.settings.database_url, self.settings.database_path,
                           busy_timeout_ms=self.settings.database_busy_timeout_ms,
                           pool_size=self.settings.database_pool_size)
        await db.open()
        texts = Texts(default=self.settings.default_locale)
        services = Services(self.settings, programme, texts, self.clock, db)
        services.delivery = Delivery(db, self.clock)
        services.forms = FormEngine()
        services.core = Core(services)
        services.scheduler = Scheduler(services)
        services.router.payload("f", services.forms.on_payload)
        services.router.dialog("form", services.forms.on_dialog)
        register_all(services)
        services.scheduler.add("outbox_retention", Retention())
        services.instance = Instance(services, self.settings.instance_name)
        services.delivery.instance = self.settings.instance_name
        services.delivery.claim_seconds = self.settings.outbox_claim_seconds
        self.services = services
        await self._seed_coordinators()
        warm_up = await services.instance.start(background=background)
        if background:
            self._tasks.append(asyncio.create_task(self._deliver(warm_up), name="outbox"))
            services.scheduler.start()
        return self

    async def _deliver(self, warm_up: float) -> None:
        """The outbox loop, once the other instances (if any) have heard of this one and
        split the messengers' rates with it (bot/instance.py)."""
        if warm_up:
            await asyncio.sleep(warm_up)
        await self.s.delivery.run()

    async def _seed_coordinators(self) -> None:
        """Create the coordinators from settings up front, so they hear of the first application.

        In Telegram and VK private chats the chat id equals the user id, so the
        account can be addressed before the coordinator has written to the bot.
        """
        now = self.clock.now()
        async with self.s.db.transaction() as conn:
            for platform, ref in self.settings.coordinators:
                account, _ = await persons.ensure_account(
                    conn, now, platform=platform, user_ref=ref, chat_ref=ref,
                    display_name=None, language_code=None, locale=self.settings.default_locale,
                )
                await persons.grant_role(conn, account.person_id, "coordinator", now)

    async def stop(self) -> None:
        if self.services is not None:
            self.services.scheduler.shutdown()
            await self.services.instance.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.services is not None:
            await self.services.db.close()

    async def __aenter__(self) -> App:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

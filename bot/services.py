"""The shared pieces every feature needs, assembled once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.i18n import Texts
from bot.router import Router
from bot.settings import Settings
from scenarios.models import Programme
from storage.connection import Database

if TYPE_CHECKING:
    from bot.core import Core
    from bot.delivery import Delivery
    from bot.instance import Instance
    from bot.scheduler import Scheduler
    from scenarios.engine import FormEngine


@dataclass
class Services:
    settings: Settings
    programme: Programme
    texts: Texts
    clock: Clock
    db: Database
    router: Router = field(default_factory=Router)
    delivery: Delivery = field(init=False)
    forms: FormEngine = field(init=False)
    core: Core = field(init=False)
    scheduler: Scheduler = field(init=False)
    instance: Instance = field(init=False)

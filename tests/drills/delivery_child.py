"""Child process of the delivery drill: enqueue a notice to 1,000 people and deliver it.

`python -m tests.drills.delivery_child DATABASE LOG_DIR`. Every run does the whole
job: make sure the 1,000 recipients exist, write the notice for each through
`bot.context.notify` (idempotency keys make a second run write nothing new), then
let `Delivery` send whatever is still pending. The messenger stands for the remote
server: it logs every send attempt and every message it accepts, deduplicating by
the `idem` the outbox gives it, as VK does with `random_id`. Both logs are appended
with os.write + fsync, so what they say survives the SIGKILL the drill sends.

`python -m tests.drills.delivery_child DATABASE LOG_DIR MAX_API_URL` delivers through
the real MAX adapter instead (maxapi over HTTP) to the fake MAX Bot API the drill
serves at that URL; that server keeps its own record of what it accepted, and, like
the real MAX, it has no idempotency key to drop a repeat by.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.app import App
from bot.context import notify
from bot.messages import Reply
from bot.settings import Settings
from messengers.max import MaxAdapter
from storage import persons
from tests.e2e.max import TOKEN

PLATFORM = "drill"
RECIPIENTS = 1000
LATENCY_S = 0.001
"""A network round trip, so the drill's kill lands while messages are still going out."""
MAX_FIRST_USER = 5_000_000
"""MAX recipients are user ids: 5,000,000 and up."""
MAX_REQUESTS_PER_S = 1000.0
"""The drill's fake MAX has no rate limit: at MAX's 30 a second 1,000 notices would take
half a minute, and the pace is not what the drill is about."""


class RemoteServer:
    platform = PLATFORM

    def __init__(self, folder: Path) -> None:
        self.attempts = os.open(folder / "attempts.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        delivered = folder / "delivered.log"
        self.accepted = (
            {line.split()[0] for line in delivered.read_text().splitlines()}
            if delivered.exists() else set()
        )
        self.delivered = os.open(delivered, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        await asyncio.sleep(LATENCY_S)
        _append(self.attempts, f"{idem} {chat_ref}\n")
        key = str(idem)
        if key not in self.accepted:
            _append(self.delivered, f"{idem} {chat_ref}\n")
            self.accepted.add(key)
        return f"m{idem}"


def _append(fd: int, line: str) -> None:
    os.write(fd, line.encode())
    os.fsync(fd)


def recipients(max_api_url: str | None) -> list[str]:
    if max_api_url:
        return [str(MAX_FIRST_USER + n) for n in range(RECIPIENTS)]
    return [f"r{n}" for n in range(RECIPIENTS)]


async def main(database: Path, folder: Path, max_api_url: str | None = None) -> None:
    settings = Settings(_env_file=None, database_path=database, coordinators=[])  # type: ignore[call-arg]
    app = await App(settings).start(background=False)
    adapter: MaxAdapter | None = None
    if max_api_url:
        adapter = MaxAdapter(app.core, token=TOKEN, api_url=max_api_url, requests_per_s=MAX_REQUESTS_PER_S)
        app.s.delivery.register(adapter)
    else:
        app.s.delivery.register(RemoteServer(folder))
    platform = adapter.platform if adapter is not None else PLATFORM
    now = app.clock.now()
    async with app.s.db.transaction() as conn:
        people = []
        for ref in recipients(max_api_url):
            account, _ = await persons.ensure_account(
                conn, now, platform=platform, user_ref=ref, chat_ref=ref,
                display_name=None, language_code="ru", locale="ru",
            )
            people.append(account.person_id)
        for person in people:
            await notify(conn, app.s, person, f"drill:notice:{person}",
                         lambda lang: Reply("Завтра в 17:00 — итоговая конференция."),
                         now=now, kind="broadcast")
    print("enqueued", flush=True)
    while await app.s.delivery.run_once():
        pass
    print("delivered", flush=True)
    await app.stop()
    if adapter is not None:
        await adapter.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4]))

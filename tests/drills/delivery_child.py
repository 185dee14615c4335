"""Child process of the delivery drill: enqueue a notice to 1,000 people and deliver it.

`python -m tests.drills.delivery_child DATABASE LOG_DIR`. Every run does the whole
job: make sure the 1,000 recipients exist, write the notice for each through
`bot.context.notify` (idempotency keys make a second run write nothing new), then
let `Delivery` send whatever is still pending. The messenger stands for the remote
server: it logs every send attempt and every message it accepts, deduplicating by
the `idem` the outbox gives it, as VK does with `random_id`. Both logs are appended
with os.write + fsync, so what they say survives the SIGKILL the drill sends.
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
from storage import persons

PLATFORM = "drill"
RECIPIENTS = 1000
LATENCY_S = 0.001
"""A network round trip, so the drill's kill lands while messages are still going out."""


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


async def main(database: Path, folder: Path) -> None:
    settings = Settings(_env_file=None, database_path=database, coordinators=[])  # type: ignore[call-arg]
    app = await App(settings).start(background=False)
    app.s.delivery.register(RemoteServer(folder))
    now = app.clock.now()
    async with app.s.db.transaction() as conn:
        people = []
        for n in range(RECIPIENTS):
            account, _ = await persons.ensure_account(
                conn, now, platform=PLATFORM, user_ref=f"r{n}", chat_ref=f"r{n}",
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


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))

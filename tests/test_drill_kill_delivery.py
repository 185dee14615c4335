"""Fault drill: SIGKILL in the middle of delivering a notice to 1,000 recipients.

The child (tests/drills/delivery_child.py) is killed once a few hundred messages are
out, then run again. Every recipient must get the message exactly once. The outbox
alone is at-least-once with a window of ONE message: the row being sent when the
process died was accepted by the server but not yet marked sent, so it is sent again
after the restart; the `idem` the outbox passes (the row id, the same across
restarts) lets the server drop that repeat, as VK does with `random_id`.

Over MAX the child delivers through the real MAX adapter (maxapi, HTTP) to the fake MAX
Bot API served by this test. MAX takes no idempotency key, so nothing drops the repeat:
what the outbox promises there is at-least-once with a window of the adapter's
`max_inflight` (the calls under way at once, each of which the kill can catch accepted
but not yet marked sent). Every recipient must have the notice, and at most that many
have it twice.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot.settings import PACKAGE_ROOT
from messengers.max import MaxAdapter
from tests.drills.delivery_child import RECIPIENTS, recipients
from tests.drills.process import WAIT_S, clean_env
from tests.e2e.max import TOKEN
from tests.fakes.max_server import FakeMaxServer

KILL_AFTER = 300


def start_child(database: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.drills.delivery_child", str(database), str(folder)],
        cwd=PACKAGE_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


async def start_max_child(database: Path, folder: Path, api_url: str) -> asyncio.subprocess.Process:
    """The child on MAX; asyncio's, so this test's loop keeps serving the fake meanwhile."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.drills.delivery_child", str(database), str(folder), api_url,
        cwd=PACKAGE_ROOT, env=clean_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_mid_broadcast_every_recipient_gets_it_exactly_once(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    delivered_log, attempts_log = tmp_path / "delivered.log", tmp_path / "attempts.log"

    child = start_child(database, tmp_path)
    deadline = time.monotonic() + WAIT_S
    while len(lines(delivered_log)) < KILL_AFTER:
        assert child.poll() is None, f"child ended early: {child.communicate()[1][-1500:]}"
        assert time.monotonic() < deadline, "the child never got going"
        time.sleep(0.005)
    child.kill()
    assert child.wait(timeout=WAIT_S) == -9
    child.communicate()
    at_kill = len(lines(delivered_log))
    assert KILL_AFTER <= at_kill < RECIPIENTS, "the kill must land mid-way"

    child = start_child(database, tmp_path)
    out, err = child.communicate(timeout=WAIT_S * 2)
    assert child.returncode == 0, err[-1500:]
    assert "delivered" in out

    delivered = [line.split() for line in lines(delivered_log)]
    recipients = Counter(chat for _, chat in delivered)
    assert len(delivered) == RECIPIENTS
    assert set(recipients) == {f"r{n}" for n in range(RECIPIENTS)}
    assert max(recipients.values()) == 1, "someone got the notice twice"

    attempts = Counter(line.split()[0] for line in lines(attempts_log))
    repeated = [idem for idem, count in attempts.items() if count > 1]
    assert len(repeated) <= 1, f"more than the one in-flight message was sent again: {repeated}"
    assert max(attempts.values()) <= 2

    conn = sqlite3.connect(database)
    try:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        keys = conn.execute("SELECT COUNT(DISTINCT idem_key) FROM outbox").fetchone()[0]
    finally:
        conn.close()
    assert statuses == {"sent": RECIPIENTS}, "the second run wrote no new notices and sent every one"
    assert keys == RECIPIENTS


def outbox_state(database: Path) -> tuple[dict[str, int], int]:
    conn = sqlite3.connect(database)
    try:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        keys = conn.execute("SELECT COUNT(DISTINCT idem_key) FROM outbox").fetchone()[0]
    finally:
        conn.close()
    return statuses, keys


async def test_sigkill_mid_broadcast_over_max_everyone_gets_it_at_most_inflight_twice(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with FakeMaxServer(token=TOKEN, rate_limit=None) as fake:
        def accepted() -> int:
            return sum(1 for c in fake.calls("sendMessage") if c["ok"])

        child = await start_max_child(database, tmp_path, fake.base_url)
        try:
            await fake.wait_for(lambda: accepted() >= KILL_AFTER or child.returncode is not None, WAIT_S)
        finally:
            if child.returncode is None:
                child.kill()
        _, err = await child.communicate()
        assert child.returncode == -9, f"child ended early: {err.decode()[-1500:]}"
        at_kill = accepted()
        assert KILL_AFTER <= at_kill < RECIPIENTS, "the kill must land mid-way"

        child = await start_max_child(database, tmp_path, fake.base_url)
        out, err = await asyncio.wait_for(child.communicate(), WAIT_S * 2)
        assert child.returncode == 0, err.decode()[-1500:]
        assert b"delivered" in out

        received = {ref: fake.messages_to(int(ref)) for ref in recipients(fake.base_url)}
        calls = fake.calls("sendMessage")
    assert all(c["ok"] for c in calls), "no send failed, so every attempt is a message below"
    assert len(calls) == sum(len(got) for got in received.values())
    assert all(m["body"]["text"] == "Завтра в 17:00 — итоговая конференция."
               for got in received.values() for m in got)
    missing = [ref for ref, got in received.items() if not got]
    assert not missing, f"{len(missing)} recipients never got the notice"
    twice = {ref: len(got) for ref, got in received.items() if len(got) > 1}
    assert all(n == 2 for n in twice.values()), f"a notice was sent three times or more: {twice}"
    assert len(twice) <= MaxAdapter.max_inflight, (
        f"{len(twice)} repeats, more than the {MaxAdapter.max_inflight} calls that can be under way "
        f"when the process dies: {sorted(twice)}"
    )
    assert outbox_state(database) == ({"sent": RECIPIENTS}, RECIPIENTS)


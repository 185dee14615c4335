"""Fault drill: SIGKILL in the middle of delivering a notice to 1,000 recipients.

The child (tests/drills/delivery_child.py) is killed once a few hundred messages are
out, then run again. Every recipient must get the message exactly once. The outbox
alone is at-least-once with a window of ONE message: the row being sent when the
process died was accepted by the server but not yet marked sent, so it is sent again
after the restart; the `idem` the outbox passes (the row id, the same across
restarts) lets the server drop that repeat, as VK does with `random_id`.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot.settings import PACKAGE_ROOT
from tests.drills.delivery_child import RECIPIENTS
from tests.drills.process import WAIT_S, clean_env

KILL_AFTER = 300


def start_child(database: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.drills.delivery_child", str(database), str(folder)],
        cwd=PACKAGE_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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

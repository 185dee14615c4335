"""Tokens must never reach the logs, whatever library formats the line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logging_setup import setup_logging
from bot.settings import Settings

TG_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
VK_TOKEN = "vk1.a.SECRETsecretSECRETsecretSECRET"


@pytest.fixture
def log_stream(tmp_path: Path) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_path=tmp_path / "x.sqlite3",
        telegram_bot_token=TG_TOKEN,
        vk_group_token=VK_TOKEN,
        vk_group_id=1,
        log_level="INFO",
    )
    setup_logging(settings)
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_tokens_are_masked_in_messages_and_arguments(log_stream: io.StringIO) -> None:
    log = logging.getLogger("aiohttp.client")
    log.info("POST https://api.telegram.org/bot%s/sendMessage failed", TG_TOKEN)
    log.warning("GET https://api.vk.com/method/messages.send?access_token=%s&v=5.199", VK_TOKEN)
    log.error("token was %s", VK_TOKEN)
    out = log_stream.getvalue()
    assert TG_TOKEN not in out and VK_TOKEN not in out
    assert "/bot***/sendMessage" in out
    assert out.count("***") == 3


def test_scheduler_ticks_do_not_flood_the_log(log_stream: io.StringIO) -> None:
    logging.getLogger("apscheduler.executors.default").info('Running job "Scheduler.tick"')
    logging.getLogger("bot").info("started")
    out = log_stream.getvalue()
    assert "Scheduler.tick" not in out
    assert "started" in out


def test_tracebacks_are_masked_too(log_stream: io.StringIO) -> None:
    """An exception's text is printed by the formatter, after any filter ran: mask it there."""
    try:
        try:
            raise ConnectionError(f"POST https://api.telegram.org/bot{TG_TOKEN}/getUpdates failed")
        except ConnectionError as exc:
            raise ValueError("input_value='maria.ivanova@example.ru' is not valid") from exc
    except ValueError:
        logging.getLogger("bot.core").exception("handler failed on an update from %s", "telegram")
    out = log_stream.getvalue()
    assert "Traceback" in out and "handler failed on an update from telegram" in out
    assert TG_TOKEN not in out and "maria.ivanova@example.ru" not in out
    assert "/bot***/getUpdates" in out and "***@***" in out

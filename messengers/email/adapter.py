"""Outbox rows of platform "email" sent over SMTP with aiosmtplib.

A row's reply is a mail: its first line is the subject, the rest the body, its file the
attachment. The adapter keeps one connection open between messages and opens a new one
after any failure.

What the outbox should do with a failure follows SMTP's own split: a 4xx reply, a
timeout or a dropped connection is temporary (retried with backoff); a 5xx about the
recipient or the message, or an address that is not one, is permanent (marked failed and
listed to the coordinators). A refused login or sender is our configuration, not the
intern's address: temporary, so the mail goes once the operator fixes the settings.

Exactly once: the outbox marks a row sent only after the server accepted it, so a crash
before that resends it. For the narrow window after the server's "250 OK" and before the
row is marked, the Message-ID is derived from the outbox row, so mail clients that
collapse duplicates by Message-ID show one. The password is never logged or repr'd.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

from bot.messages import DeliveryError, Reply

log = logging.getLogger(__name__)

ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"
    max_per_minute: int = 60
    timeout_s: float = 30.0

    @property
    def real_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.security, 25)


class EmailAdapter:
    platform = "email"
    rate_per_s = None
    """Paced here, per minute (SMTP_MAX_PER_MINUTE), not by the outbox's per-second window."""
    per_chat_interval = 0.0
    max_inflight = 1

    def __init__(self, config: SmtpConfig, *, monotonic=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.config = config
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()
        self._sent_at: deque[float] = deque()
        self._monotonic = monotonic
        self._stopped = asyncio.Event()

    # -- the adapter's life (it takes no updates: it only sends) ----------------------------
    async def run(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        async with self._lock:
            await self._disconnect()

    # -- sending ---------------------------------------------------------------------------
    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        address = chat_ref.strip()
        if not ADDRESS.match(address):
            raise DeliveryError("not an e-mail address", permanent=True)
        message = self.compose(address, reply, idem)
        async with self._lock:
            await self._pace()
            try:
                client = await self._connected()
                errors, _ = await client.send_message(message)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [r.code for r in exc.recipients]
                raise DeliveryError(f"recipient refused ({', '.join(map(str, codes))})",
                                    permanent=all(c >= 500 for c in codes)) from None
            except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as exc:
                await self._disconnect()
                log.warning("the mail server refused our login or sender (%s): check the SMTP_* settings",
                            exc.code)
                raise DeliveryError(f"login or sender refused ({exc.code})") from None
            except aiosmtplib.SMTPResponseException as exc:
                await self._disconnect()
                raise DeliveryError(f"mail server answered {exc.code}", permanent=exc.code >= 500) from None
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._disconnect()
                raise DeliveryError(f"mail server unreachable: {type(exc).__name__}") from None
            self._sent_at.append(self._monotonic())
        if errors:  # with one recipient a refusal raises above; kept for the record
            raise DeliveryError("recipient refused", permanent=True)
        return str(message["Message-ID"])

    def compose(self, address: str, reply: Reply, idem: int | None) -> EmailMessage:
        subject, _, body = reply.text.partition("\n")
        message = EmailMessage()
        name, sender = parseaddr(self.config.sender)
        message["From"] = formataddr((name, sender)) if name else sender
        message["To"] = address
        message["Subject"] = subject.strip()
        message["Date"] = formatdate(usegmt=True)
        domain = sender.rpartition("@")[2] or "localhost"
        token = hashlib.sha256(f"{idem}|{address}|{subject}".encode()).hexdigest()[:16]
        message["Message-ID"] = f"<internbot.{idem or 0}.{token}@{domain}>"
        message.set_content(body.strip() + "\n", charset="utf-8")
        file = reply.file
        if file is not None and file.data is not None:
            maintype, _, subtype = (file.mime or "application/octet-stream").partition("/")
            message.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=file.name)
        return message

    async def _pace(self) -> None:
        """At most `max_per_minute` messages in any minute: wait for the oldest to age out."""
        limit = self.config.max_per_minute
        while True:
            now = self._monotonic()
            while self._sent_at and now - self._sent_at[0] >= 60:
                self._sent_at.popleft()
            if len(self._sent_at) < limit:
                return
            await asyncio.sleep(max(0.01, 60 - (now - self._sent_at[0])))

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host, port=config.real_port, timeout=config.timeout_s,
            use_tls=config.security == "ssl", start_tls=config.security == "starttls",
        )
        await client.connect()
        if config.user:
            await client.login(config.user, config.password)
        self._client = client
        return client

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()

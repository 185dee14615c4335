"""Settings from the environment and `.env`, validated once at start-up.

Names are fixed (deployments and tests rely on them); a wrong value stops the bot
with one line that names the setting instead of a traceback.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_PROGRAM = PACKAGE_ROOT / "scenarios" / "default_programme.yaml"

PUBLIC_BOT_API = "https://api.telegram.org"
TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
"""What aiogram accepts as a bot token: checked here, so a typo is one line, not a traceback."""
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""Telegram's rule for `secret_token` in setWebhook."""

PLATFORM_ALIASES = {"tg": "telegram", "telegram": "telegram", "vk": "vk", "max": "max", "console": "console"}
MAX_SECRET = re.compile(r"^[A-Za-z0-9_-]{5,256}$")
"""MAX's rule for the webhook `secret` (POST /subscriptions)."""


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    telegram_bot_token: str = Field(default="", repr=False)
    telegram_api_url: str = PUBLIC_BOT_API
    telegram_bot_username: str = ""
    """Without the @; when set, invitations and /link codes also come as t.me deep links."""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = Field(default="", repr=False, validate_default=True)
    telegram_webhook_listen: str = "0.0.0.0:8080"
    telegram_messages_per_s: float = Field(default=30.0, gt=0, le=1000)
    """Telegram takes about 30 messages/s per bot; more only with paid broadcasts enabled."""
    vk_group_token: str = Field(default="", repr=False)
    vk_group_id: int | None = None
    vk_api_url: str = "https://api.vk.com/method/"
    vk_api_version: str = "5.199"
    vk_requests_per_s: float = Field(default=20.0, gt=0, le=20)
    max_bot_token: str = Field(default="", repr=False)
    max_api_url: str = ""
    """Empty: the platform's own address (the client library knows it); set for a test server."""
    max_webhook_url: str = ""
    max_webhook_secret: str = Field(default="", repr=False, validate_default=True)
    max_webhook_listen: str = "0.0.0.0:8081"
    max_requests_per_s: float = Field(default=30.0, gt=0, le=30)
    database_path: Path = Path("data/internbot.sqlite3")
    database_url: str = Field(default="", repr=False)
    """postgresql://user:password@host:5432/db selects PostgreSQL; empty: the SQLite file."""
    database_pool_size: int = Field(default=8, ge=1, le=100)
    """PostgreSQL connections per instance: transactions of different chats run side by side."""
    database_busy_timeout_ms: int = Field(default=5000, ge=0, le=60000)
    instance_name: str = Field(default_factory=lambda: socket.gethostname() or "bot")
    """This process among several on one database; stable across restarts, so a restarted
    instance takes back its own claims at once. Set it when two run on one host."""
    outbox_claim_seconds: float = Field(default=120.0, ge=1, le=3600)
    """How long an instance's claim on an outbox row lasts before another takes it over."""
    outbox_retention_days: int = Field(default=90, ge=0, le=3650)
    """Days a sent message's text is kept (personal data no longer than needed); 0 keeps it."""
    program_file: Path = BUNDLED_PROGRAM
    coordinators: Annotated[list[tuple[str, str]], NoDecode] = Field(default_factory=list)
    default_locale: Literal["ru", "en"] = "ru"
    default_timezone: str = "Europe/Moscow"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    privacy_policy_url: str = ""
    console_user: str = "intern"
    web_listen: str = ""
    """host:port of the coordinators' web panel (served by the bot itself); empty = no panel."""
    web_public_url: str = ""
    """The panel's address as people open it (https behind a proxy; http only for localhost)."""
    vk_app_secret: str = Field(default="", repr=False)
    """The VK Mini App's protected key: checks the signed launch parameters of the panel."""

    smtp_host: str = ""
    """The mail server for certificates by e-mail; empty: certificates go to the chat only."""
    smtp_port: int = Field(default=0, ge=0, le=65535)
    """0: the usual port of SMTP_SECURITY (587 starttls, 465 ssl, 25 none)."""
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_from: str = Field(default="", validate_default=True)
    """The sender, e.g. `Интернатура <noreply@example.org>`; default: SMTP_USER."""
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_max_per_minute: int = Field(default=60, ge=1)
    """Messages a minute at most: mail providers block senders who go faster than agreed."""
    smtp_timeout_s: float = Field(default=30.0, gt=0, le=600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("coordinators", mode="before")
    @classmethod
    def _parse_coordinators(cls, value: object) -> object:
        """Accept `tg:123,vk:456,console:alice` so one env line lists every coordinator."""
        if not isinstance(value, str):
            return value
        result: list[tuple[str, str]] = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            platform, sep, ref = item.partition(":")
            platform = PLATFORM_ALIASES.get(platform.strip().lower(), "")
            if not sep or not platform or not ref.strip():
                raise ValueError(
                    f"'{item}' is not platform:id (platform is tg, vk, max or console)"
                )
            result.append((platform, ref.strip()))
        return result

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (use e.g. Europe/Moscow)") from exc
        return value

    @field_validator("telegram_api_url", "vk_api_url", "telegram_webhook_url", "max_api_url",
                     "max_webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_https(cls, value: str, info: ValidationInfo) -> str:
        """Telegram's own servers call only HTTPS webhooks (a self-hosted Bot API may not)."""
        public = info.data.get("telegram_api_url", PUBLIC_BOT_API).rstrip("/") == PUBLIC_BOT_API
        if value.startswith("http://") and public:
            raise ValueError("Telegram calls webhooks over HTTPS only: use an https:// address")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        """Never echo the value: it is a secret, and the line goes to a terminal or a log."""
        if value and not TELEGRAM_TOKEN.match(value):
            raise ValueError("does not look like a bot token from @BotFather (digits, a colon, then letters)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str, info: ValidationInfo) -> str:
        """A webhook without its secret would accept updates from anyone on the internet."""
        if info.data.get("telegram_webhook_url") and not value:
            raise ValueError("TELEGRAM_WEBHOOK_URL is set: set this too (1-256 of A-Z a-z 0-9 _ -)")
        if value and not WEBHOOK_SECRET.match(value):
            raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
        return value

    @field_validator("max_webhook_url")
    @classmethod
    def _max_webhook_https(cls, value: str, info: ValidationInfo) -> str:
        """MAX's own servers post to HTTPS webhooks only (a test server may use http)."""
        if value.startswith("http://") and not info.data.get("max_api_url"):
            raise ValueError("MAX calls webhooks over HTTPS only: use an https:// address")
        return value

    @field_validator("max_bot_token")
    @classmethod
    def _max_token_shape(cls, value: str) -> str:
        """A token pasted with its quotes or a line break is refused here, never echoed."""
        if value and (len(value) < 16 or any(c.isspace() or c in "\"'" for c in value)):
            raise ValueError("does not look like a MAX bot token (copy it again from the partners' platform)")
        return value

    @field_validator("max_webhook_secret")
    @classmethod
    def _max_webhook_secret(cls, value: str, info: ValidationInfo) -> str:
        """A webhook without its secret would accept updates from anyone on the internet."""
        if info.data.get("max_webhook_url") and not value:
            raise ValueError("MAX_WEBHOOK_URL is set: set this too (5-256 of A-Z a-z 0-9 _ -)")
        if value and not MAX_SECRET.match(value):
            raise ValueError("must be 5-256 characters of A-Z a-z 0-9 _ - (MAX's rule)")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        """Never echoed: the URL usually carries the password."""
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://user:password@host:5432/db address")
        return value

    @field_validator("vk_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        if not re.fullmatch(r"\d+\.\d+", value):
            raise ValueError(f"'{value}' is not a VK API version (e.g. 5.199)")
        return value

    @field_validator("telegram_webhook_listen", "max_webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        _host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"'{value}' is not host:port (e.g. 127.0.0.1:8080)")
        return value

    @field_validator("web_listen")
    @classmethod
    def _web_listen(cls, value: str) -> str:
        _host, sep, port = value.rpartition(":")
        if value and (not sep or not port.isdigit() or not 0 <= int(port) <= 65535):
            raise ValueError(f"'{value}' is not host:port (e.g. 127.0.0.1:8080)")
        return value

    @field_validator("web_public_url")
    @classmethod
    def _web_public_url(cls, value: str) -> str:
        """Sign-in cookies travel over this address: plain http only where it never leaves the machine."""
        value = value.rstrip("/")
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"):
            return value
        raise ValueError("must be an https:// address (http:// only for localhost or 127.0.0.1)")

    @property
    def web_secure_cookies(self) -> bool:
        return not self.web_public_url.startswith("http://")

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _lower_security(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("smtp_from")
    @classmethod
    def _sender(cls, value: str, info: ValidationInfo) -> str:
        address = value.rpartition("<")[2].rstrip(">").strip() if value else ""
        if value and "@" not in address:
            raise ValueError("is not an e-mail address (e.g. Интернатура <noreply@example.org>)")
        if info.data.get("smtp_host") and not value and "@" not in info.data.get("smtp_user", ""):
            raise ValueError("SMTP_HOST is set: set the sender address too")
        return value

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def smtp_sender(self) -> str:
        return self.smtp_from or self.smtp_user

    def is_coordinator(self, platform: str, user_ref: str) -> bool:
        return (platform, user_ref) in self.coordinators


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per wrong setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"Setting {name}: {message}")
        raise SettingsError("; ".join(lines)) from None

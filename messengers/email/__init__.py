"""E-mail as one more delivery channel of the outbox (platform "email", chat_ref = address)."""

from messengers.email.adapter import EmailAdapter, SmtpConfig

__all__ = ["EmailAdapter", "SmtpConfig"]

"""Telegram Mini App init data -> the person it vouches for, checked by aiogram.

WHY here: the HMAC with the key derived from the bot token is Telegram's rule and
aiogram already implements it (`safe_parse_webapp_init_data`); the panel receives this
check through `bot.sign_in.SignInCheck` and never imports aiogram.
"""

from __future__ import annotations

from aiogram.utils.web_app import safe_parse_webapp_init_data

from bot.sign_in import BadSignature, SignedUser, SignInCheck

MAX_INIT_DATA = 8192


def init_data_check(token: str) -> SignInCheck:
    def check(init_data: str) -> SignedUser:
        if not init_data or len(init_data) > MAX_INIT_DATA:
            raise BadSignature("no init data")
        try:
            data = safe_parse_webapp_init_data(token, init_data)
        except (ValueError, TypeError) as exc:  # a bad hash, or fields pydantic refuses
            raise BadSignature("init data is not signed by this bot") from exc
        if data.user is None:
            raise BadSignature("init data names no user")
        name = " ".join(filter(None, [data.user.first_name, data.user.last_name])) or None
        return SignedUser("telegram", str(data.user.id), data.auth_date,
                          data.user.language_code, name)

    return check

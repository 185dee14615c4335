"""VK Mini App launch parameters -> the person they vouch for, checked as VK specifies.

VK signs the `vk_*` query parameters: sorted by name, joined as a query string,
HMAC-SHA256 with the app's protected key, base64url without padding = `sign`.
(vk_api has no helper for it, so it is written here, beside the rest of VK.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from bot.sign_in import BadSignature, SignedUser, SignInCheck

MAX_PARAMS = 8192


def sign(params: dict[str, str], secret: str) -> str:
    """VK's signature of the `vk_*` parameters (tests sign launch parameters with it too)."""
    ordered = urlencode(sorted((k, v) for k, v in params.items() if k.startswith("vk_")))
    digest = hmac.new(secret.encode("utf-8"), ordered.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def launch_params_check(secret: str) -> SignInCheck:
    def check(query: str) -> SignedUser:
        if not secret or not query or len(query) > MAX_PARAMS:
            raise BadSignature("no launch parameters")
        params = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
        given = params.get("sign", "")
        if not given or not hmac.compare_digest(sign(params, secret), given):
            raise BadSignature("launch parameters are not signed with this app's key")
        user = params.get("vk_user_id", "")
        if not user.isdigit():
            raise BadSignature("launch parameters name no user")
        ts = params.get("vk_ts", "")
        signed_at = datetime.fromtimestamp(int(ts), UTC) if ts.isdigit() else None
        language = params.get("vk_language")
        return SignedUser("vk", user, signed_at, language, None)

    return check

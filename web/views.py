"""jinja2 templates of the panel, rendered off the event loop.

WHY a thread: a table of a few hundred rows takes milliseconds to render, and the
chat engine shares this loop; `asyncio.to_thread` keeps those milliseconds off it.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.i18n import Texts, plural_filter


class Views:
    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self.env = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    async def render(self, name: str, lang: str, **context: Any) -> str:
        template = self.env.get_template(name)
        texts = self.texts

        def t(key: str, /, **params: Any) -> str:
            return texts.get(lang, key, **params)

        context.update(t=t, lang=lang, plural=plural_filter(lang), nonce=_nonce)
        return await asyncio.to_thread(template.render, **context)


def _nonce() -> str:
    """A form's one-time id: posting the same form twice acts once (web/acting.py)."""
    return secrets.token_urlsafe(16)

"""User-facing texts from `locales/<lang>/*.yaml`, rendered with jinja2.

Each feature keeps its own file (`common.yaml`, `application.yaml`, ...), so features
can grow their texts without touching each other's. Keys are dotted (`app.ask_email`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.settings import PACKAGE_ROOT

LOCALES_DIR = PACKAGE_ROOT / "locales"
LANGUAGES = ("ru", "en")


def _flatten(prefix: str, data: Any, out: dict[str, str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(data)


class Texts:
    def __init__(self, folder: Path = LOCALES_DIR, default: str = "ru") -> None:
        self.default = default
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._texts: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            for file in sorted((folder / lang).glob("*.yaml")):
                _flatten("", yaml.safe_load(file.read_text(encoding="utf-8")) or {}, merged)
            self._texts[lang] = merged
        self._compiled: dict[tuple[str, str], Any] = {}

    def language_for(self, code: str | None) -> str:
        """Follow the messenger's language code when we speak it, else the default."""
        if code:
            short = code.lower().split("-")[0].split("_")[0]
            if short in self._texts:
                return short
        return self.default

    def has(self, key: str, lang: str = "ru") -> bool:
        return key in self._texts.get(lang, {})

    def keys(self, lang: str) -> set[str]:
        return set(self._texts.get(lang, {}))

    def get(self, lang: str, key: str, /, **params: Any) -> str:
        lang = lang if lang in self._texts else self.default
        source = self._texts[lang].get(key)
        if source is None:
            source = self._texts[self.default].get(key)
        if source is None:
            raise KeyError(f"no text '{key}' in locales/{lang}")
        compiled = self._compiled.get((lang, key))
        if compiled is None:
            compiled = self._env.from_string(source)
            self._compiled[(lang, key)] = compiled
        return str(compiled.render(**params)).strip()

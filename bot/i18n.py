"""User-facing texts from `locales/<lang>/*.yaml`, rendered with jinja2.

Each feature keeps its own file (`common.yaml`, `application.yaml`, ...), so features
can grow their texts without touching each other's. Keys are dotted (`app.ask_email`).

A number next to a word goes through the `plural` filter, so each language states its own
forms and the choice follows the CLDR plural rules (Babel) instead of «команд(ы)»:

    {{ n }} {{ n | plural("команда", "команды", "команд") }}   ru: one, few, many
    {{ n }} {{ n | plural("team", "teams") }}                  en: one, other

The filter gives the word only, so the same forms serve a verb or an adjective that must
agree with the count («{{ n | plural("Создана", "Созданы", "Создано") }} {{ n }} …»).
Giving a language the wrong number of forms is an error the locale tests catch.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.settings import PACKAGE_ROOT

LOCALES_DIR = PACKAGE_ROOT / "locales"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: the locales are read at every
start (every test builds an App), ten times faster than the pure-Python one."""
LANGUAGES = ("ru", "en")

PLURAL_CATEGORIES: dict[str, tuple[str, ...]] = {"ru": ("one", "few", "many"), "en": ("one", "other")}
"""The forms a text gives `plural`, in this order. CLDR's further category for Russian
fractions ("other": 1,5 команды) reads as "few", so texts never need a fourth form."""
FALLBACK_CATEGORY = {"ru": "few", "en": "other"}


def plural_filter(lang: str) -> Callable[..., str]:
    """The `plural` filter of one language: the form for a count, by Babel's CLDR rules."""
    categories = PLURAL_CATEGORIES[lang]
    rule = Locale.parse(lang).plural_form

    def plural(count: Any, *forms: str) -> str:
        if len(forms) != len(categories):
            raise ValueError(f"plural in '{lang}' takes {len(categories)} forms "
                             f"({', '.join(categories)}), got {len(forms)}: {forms}")
        try:
            number = Decimal(str(count).strip())
        except InvalidOperation as exc:
            raise ValueError(f"plural needs a number, got {count!r}") from exc
        category = rule(abs(number))
        if category not in categories:
            category = FALLBACK_CATEGORY[lang]
        return forms[categories.index(category)]

    return plural


def _flatten(prefix: str, data: Any, out: dict[str, str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(data)


class Texts:
    def __init__(self, folder: Path = LOCALES_DIR, default: str = "ru") -> None:
        self.default = default
        self._envs: dict[str, SandboxedEnvironment] = {}
        for lang in LANGUAGES:
            env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
            env.filters["plural"] = plural_filter(lang)
            self._envs[lang] = env
        self._texts: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            for file in sorted((folder / lang).glob("*.yaml")):
                _flatten("", yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER) or {}, merged)
            self._texts[lang] = merged
        self._compiled: dict[tuple[str, str], Any] = {}
        """A template per text, or the text itself when it has no placeholder: rendering
        costs tens of µs, and the buttons and hints of every answer are plain texts."""

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

    def source(self, lang: str, key: str) -> str:
        """The text as written in the locale file (tests read which texts count things)."""
        return self._texts[lang][key]

    def get(self, lang: str, key: str, /, **params: Any) -> str:
        lang = lang if lang in self._texts else self.default
        source = self._texts[lang].get(key)
        if source is None:
            lang = self.default  # the default language's text with its own plural forms
            source = self._texts[lang].get(key)
        if source is None:
            raise KeyError(f"no text '{key}' in locales/{lang}")
        compiled = self._compiled.get((lang, key))
        if compiled is None:
            compiled = self._envs[lang].from_string(source) if "{" in source else source.strip()
            self._compiled[(lang, key)] = compiled
        if isinstance(compiled, str):
            return compiled
        return str(compiled.render(**params)).strip()

    def first(self, lang: str, keys: list[str], /, **params: Any) -> str:
        """The first of `keys` the locale has: a specific wording, else the general one
        (e.g. a status said one way for a reviewed work and another for a form)."""
        for key in keys[:-1]:
            if self.has(key, lang) or self.has(key, self.default):
                return self.get(lang, key, **params)
        return self.get(lang, keys[-1], **params)

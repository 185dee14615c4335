"""Every text exists in both languages and is valid jinja2, so no user meets a KeyError."""

from __future__ import annotations

from jinja2.sandbox import SandboxedEnvironment

from bot.i18n import LANGUAGES, Texts


def test_every_key_in_every_language_and_each_text_parses() -> None:
    texts = Texts()
    keys = {lang: texts.keys(lang) for lang in LANGUAGES}
    assert keys["ru"] == keys["en"], keys["ru"] ^ keys["en"]
    env = SandboxedEnvironment()
    for lang in LANGUAGES:
        for key in keys[lang]:
            env.parse(texts._texts[lang][key])  # a syntax error names the key in the traceback

"""From the programme's `certificate:` section and a registry row to the sheet the PDF prints.

The texts of the certificate are the coordinator's (programme file); the small labels
around them (№, «Дата выдачи», how to verify) are ours, in locales/<lang>/certificates.yaml.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from bot.i18n import Texts, plural_filter
from bot.settings import Settings
from handlers.certificates.pdf import Sheet, Signature
from scenarios.certificate import Certificate
from scenarios.models import Programme, pick

NAME_MARK = "\x00NAME\x00"
DEEP_LINK = re.compile(r"^[A-Za-z0-9_\-]{1,50}$")
"""What Telegram takes after ?start=: a number of only these goes into a deep link."""


@dataclass(frozen=True, slots=True)
class Facts:
    """One certificate's own data (from the registry row)."""

    number: str
    name: str
    issued_at: datetime


def language(programme: Programme) -> str:
    cert = programme.certificate
    return (cert.language if cert and cert.language else None) or programme.locale


def verify_target(settings: Settings, number: str) -> tuple[str, str | None]:
    """(what the QR code holds, the page's address or None): the web page when the panel
    has a public address; else a Telegram link that runs /verify; else the command itself."""
    if settings.web_public_url:
        url = f"{settings.web_public_url.rstrip('/')}/verify/{number}"
        return url, url
    if settings.telegram_bot_username and DEEP_LINK.match(f"verify-{number}"):
        return f"https://t.me/{settings.telegram_bot_username}?start=verify-{number}", None
    return f"/verify {number}", None


def date_text(texts: Texts, lang: str, moment: datetime) -> str:
    months = texts.get(lang, "cert.months").split(",")
    return texts.get(lang, "cert.date", day=moment.day, month=months[moment.month - 1].strip(),
                     year=moment.year)


def sheet(
    programme: Programme, settings: Settings, texts: Texts, facts: Facts,
) -> Sheet:
    cert = programme.certificate
    assert cert is not None, "the programme has no certificate section"
    lang = language(programme)
    zone = programme.zone
    issued_local = facts.issued_at.astimezone(zone)
    date_from = programme.moment(cert.date_from) if cert.date_from else programme.start
    date_to = programme.moment(cert.date_to) if cert.date_to else issued_local
    context = {
        "name": NAME_MARK, "programme": pick(programme.title, lang), "topic": pick(programme.topic, lang),
        "hours": cert.hours, "number": facts.number,
        "date_from": date_text(texts, lang, date_from.astimezone(zone)),
        "date_to": date_text(texts, lang, date_to.astimezone(zone)),
        "issued": date_text(texts, lang, issued_local),
        "issuer": pick(cert.issuer, lang),
    }

    def fill(text: str) -> str:
        return " ".join(_template(lang, text).render(context).split())

    body = fill(pick(cert.text, lang))
    before, _, after = body.partition(NAME_MARK)
    target, url = verify_target(settings, facts.number)
    verify = (texts.get(lang, "cert.pdf.verify_web", url=url) if url
              else texts.get(lang, "cert.pdf.verify_bot", number=facts.number))
    city = pick(cert.city, lang) if cert.city else ""
    return Sheet(
        issuer=fill(pick(cert.issuer, lang)).replace(NAME_MARK, facts.name),
        title=fill(pick(cert.title, lang)).replace(NAME_MARK, facts.name),
        subtitle=pick(cert.subtitle, lang) if cert.subtitle else "",
        before_name=before.strip(), name=facts.name, after_name=after.replace(NAME_MARK, facts.name).strip(),
        number_line=texts.get(lang, "cert.pdf.number", number=facts.number),
        date_line=texts.get(lang, "cert.pdf.issued", date=issued_local.strftime("%d.%m.%Y"), city=city),
        verify_line=verify, qr_target=target,
        signatures=tuple(Signature(pick(s.name, lang), pick(s.position, lang)) for s in cert.signatories),
        logo=cert.logo, background=cert.background, issued_at=facts.issued_at, lang=lang,
    )


def file_name(cert: Certificate, number: str) -> str:
    return cert.file_name.replace("{number}", re.sub(r"[^A-Za-z0-9_\-.]", "-", number))


@functools.lru_cache(maxsize=64)
def _template(lang: str, text: str) -> Template:
    """Compiled once: compiling was four fifths of building a sheet, and a bulk issue fills
    the same few texts thousands of times."""
    return _env(lang).from_string(text)


_ENVS: dict[str, SandboxedEnvironment] = {}


def _env(lang: str) -> SandboxedEnvironment:
    """The coordinator's text is template code from a file: sandboxed, strict about names."""
    env = _ENVS.get(lang)
    if env is None:
        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        env.filters["plural"] = plural_filter(lang)
        _ENVS[lang] = env
    return env

"""Counted texts read right: every text that puts a number next to a word goes through the
`plural` filter (CLDR rules by Babel), renders for 1, 2, 5, 11, 21, 22, 25 in Russian and
English, and real screens show the right forms over the console, Telegram and VK.

WHY a table of sample parameters: a counted text is found automatically (it uses
`plural`), and one added without an entry here fails `test_every_counted_text_has_sample_params`,
so nobody ships a counted text that was never rendered.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jinja2 import nodes

from bot.app import App
from bot.clock import FakeClock
from bot.i18n import LANGUAGES, Texts, plural_filter
from bot.settings import Settings
from storage import stages, teams
from tests.cohort import make_tutor, seed_cohort, seed_intern
from tests.conftest import ConsoleChat
from tests.e2e.telegram import COORDINATOR as TG_COORDINATOR
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import COORDINATOR as VK_COORDINATOR
from tests.e2e.vk import vk_chat

COUNTS = (1, 2, 5, 11, 21, 22, 25)

WHEN = "среда, 16 декабря, 23:00"
SAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    # the parameters each counted text needs besides its counts (the counts get 1, 2, 5...)
    "app.ask_reason_bulk": {},
    "app.bulk_approved": {},
    "app.bulk_hint": {},
    "app.bulk_rejected": {},
    "app.pending_count": {"shown": 1},
    "bank.title": {"page": 1, "pages": 3},
    "levels.change_same": {"end": "Модификация шаблона", "start_score": 12},
    "levels.offer_end": {"title": "Диагностика"},
    "levels.offer_start": {"title": "Диагностика"},
    "levels.result": {"level": "Модификация шаблона", "score": 12},
    "levels.result_end": {"level": "Модификация шаблона", "score": 12},
    "levels.title": {},
    "apps.confirm_approve": {"numbers": "№1, №2"},
    "apps.confirm_reject": {"numbers": "№1, №2"},
    "apps.decided_by_others": {},
    "apps.page_title": {"first": 1, "last": 1},
    "panel.apps.confirm_approve": {},
    "panel.apps.confirm_reject": {},
    "panel.apps.confirm_return": {},
    "panel.apps.decided_by_others": {},
    "panel.apps.returned": {},
    "panel.bc.confirm_later": {"when": "25.11.2026 18:00", "zone": "Europe/Moscow"},
    "panel.bc.confirm_now": {},
    "panel.bc.confirm_urgent": {},
    "panel.exports.counts": {},
    "panel.people.loose": {},
    "panel.progress.people": {},
    "panel.timeline.reminders": {},
    "bc.cancelled_queued": {"id": 7},
    "bc.confirm_at": {"when": WHEN},
    "bc.preview": {"text": "Привет"},
    "bc.pv.quiet": {"start": "22:00", "end": "08:00", "total": 30, "when": WHEN},
    "bc.pv.quiet_at": {"start": "22:00", "end": "08:00", "total": 30, "when": WHEN},
    "bc.queued": {"id": 7, "start": "22:00", "end": "08:00"},
    "bc.queued_urgent": {"id": 7},
    "bc.report": {"id": 7, "sent": 1, "failed": 0, "unreachable": 0, "cancelled": 0},
    "bc.scheduled": {"id": 7, "when": WHEN},
    "bc.too_long": {"max": 4000},
    "cert.admin.confirm_all": {"smtp": True},
    "cert.admin.issuing": {"smtp": True},
    "coord.sched.line_deadline": {"slot": "2 дн.", "title": "ДЗ", "when": WHEN},
    "coord.sched.line_event": {"slot": "1 ч", "title": "Встреча", "when": WHEN},
    "coord.sched.line_morning": {"morning": "09:00", "spread": True, "title": "ДЗ", "when": WHEN},
    "coord.sched.line_overdue": {"title": "ДЗ", "when": WHEN},
    "coord.sched.line_silence": {"title": "ДЗ", "when": WHEN},
    "digest.new": {"pending": 30},
    "export.ready": {},
    "form.error.too_long": {},
    "form.error.too_short": {},
    "help.where_coordinator": {},
    "help.where_tutor": {"teams": "Команда A"},
    "hw.draft_kept": {},
    "hw.too_many": {},
    "invite.created": {"code": "inv-abc", "link": "", "role": "Тьютор"},
    "link.code": {"code": "123456"},
    "menu.draft": {},
    "mydata.form": {"form": "Анкета"},
    "mydata.messages": {},
    "progress.overdue": {"stage": "ДЗ", "names": "Анна, Борис", "more": 0},
    "progress.step_line": {"form": "Анкета", "step": 3},
    "progress.title": {"scope": "все интерны"},
    "progress.tickets": {},
    "rem.tutor_silent": {"name": "Анна", "stage": "ДЗ", "state": "—", "team": "A", "when": WHEN},
    "review.waiting_count": {},
    "rolesadm.open_invites": {},
    "sched.moved": {"title": "ДЗ", "when": WHEN},
    "sched.told": {},
    "stage.opened_by_you": {"title": "Видео"},
    "teams.formed": {},
    "teams.line": {"team": "A", "tutor": "tom"},
    "teams.proposal": {"min": 1},
    "teams.tutor_set": {"team": "A", "tutor": "tom"},
    "teams.without_team": {},
    "teams.you_member": {"mates": "Борис", "team": "A", "tutor": "tom"},
    "teams.you_tutor": {"members": "Анна, Борис", "team": "A"},
    "tickets.all_title": {"escalated": 0},
    "tickets.attention_title": {},
    "tickets.card_more": {},
    "tickets.queue_title": {},
    "tickets.stats_first_answer": {"mean": "1 ч", "median": "1 ч"},
    "tickets.too_long": {"limit": 4000},
    "tickets.too_many": {},
    "vid.out_of_range": {"min": 1, "minutes": 30},
    "vid.out_of_range_allowed": {"min": 1, "minutes": 30},
    "vid.start": {"min": 1},
}

# Checked by hand: (key, lang) -> the phrase for each count.
EXPECTED: dict[tuple[str, str], dict[int, str]] = {
    ("teams.formed", "ru"): {1: "создана 1 команда", 2: "созданы 2 команды", 5: "создано 5 команд",
                             11: "создано 11 команд", 21: "создана 21 команда", 22: "созданы 22 команды",
                             25: "создано 25 команд"},
    ("teams.formed", "en"): {1: "1 team created", 2: "2 teams created", 5: "5 teams created",
                             11: "11 teams created", 21: "21 teams created", 22: "22 teams created",
                             25: "25 teams created"},
    ("teams.proposal", "ru"): {1: "Предлагаю 1 команду из 1 интерна", 2: "Предлагаю 2 команды из 2 интернов",
                               5: "Предлагаю 5 команд из 5 интернов",
                               11: "Предлагаю 11 команд из 11 интернов",
                               21: "Предлагаю 21 команду из 21 интерна",
                               22: "Предлагаю 22 команды из 22 интернов",
                               25: "Предлагаю 25 команд из 25 интернов"},
    ("stage.opened_by_you", "ru"): {1: "получит 1 интерн.", 2: "получат 2 интерна.", 5: "получат 5 интернов.",
                                    11: "получат 11 интернов.", 21: "получит 21 интерн.",
                                    22: "получат 22 интерна.", 25: "получат 25 интернов."},
    ("stage.opened_by_you", "en"): {1: "1 intern gets", 2: "2 interns get", 5: "5 interns get",
                                    11: "11 interns get", 21: "21 interns get", 22: "22 interns get",
                                    25: "25 interns get"},
    ("bc.preview", "ru"): {1: "получит 1 человек.", 2: "получат 2 человека.", 5: "получат 5 человек.",
                           11: "получат 11 человек.", 21: "получит 21 человек.", 22: "получат 22 человека.",
                           25: "получат 25 человек."},
    ("bc.preview", "en"): {1: "1 person will", 2: "2 people will", 5: "5 people will", 11: "11 people will",
                           21: "21 people will", 22: "22 people will", 25: "25 people will"},
    ("tickets.card_more", "ru"): {1: "ещё 1 сообщение.", 2: "ещё 2 сообщения.", 5: "ещё 5 сообщений.",
                                  11: "ещё 11 сообщений.", 21: "ещё 21 сообщение.", 22: "ещё 22 сообщения.",
                                  25: "ещё 25 сообщений."},
    ("rem.tutor_silent", "ru"): {1: "уже 1 день", 2: "уже 2 дня", 5: "уже 5 дней", 11: "уже 11 дней",
                                 21: "уже 21 день", 22: "уже 22 дня", 25: "уже 25 дней"},
    ("rem.tutor_silent", "en"): {1: "for 1 day ", 2: "for 2 days", 5: "for 5 days", 11: "for 11 days",
                                 21: "for 21 days", 22: "for 22 days", 25: "for 25 days"},
    ("sched.told", "ru"): {1: "для 1 интерна.", 2: "для 2 интернов.", 5: "для 5 интернов.",
                           11: "для 11 интернов.", 21: "для 21 интерна.", 22: "для 22 интернов.",
                           25: "для 25 интернов."},
    ("teams.you_member", "ru"): {1: "В команде 1 человек:", 2: "В команде 2 человека:",
                                 5: "В команде 5 человек:", 11: "В команде 11 человек:",
                                 21: "В команде 21 человек:", 22: "В команде 22 человека:",
                                 25: "В команде 25 человек:"},
    ("app.bulk_approved", "ru"): {1: "Одобрена 1 заявка.", 2: "Одобрены 2 заявки.", 5: "Одобрено 5 заявок.",
                                  11: "Одобрено 11 заявок.", 21: "Одобрена 21 заявка.",
                                  22: "Одобрены 22 заявки.", 25: "Одобрено 25 заявок."},
    ("review.waiting_count", "en"): {1: "1 submission is", 2: "2 submissions are", 5: "5 submissions are",
                                     11: "11 submissions are", 21: "21 submissions are",
                                     22: "22 submissions are", 25: "25 submissions are"},
}

WORKAROUND = re.compile(r"\w\((а|ы|и|её|его|на|ов|s|es)\)")
"""«принял(а)», «команд(ы)», «team(s)»: what the plural filter and rephrasing replace."""
LABELLED_COUNT = re.compile(
    r"(интернов|заявок|команд|сообщений|вопросов|ответов|частей|получателей|приглашений|обращений"
    r"|Recipients|Interns told|Applications approved|Applications rejected)\s*[:—]\s*\{\{", re.IGNORECASE)
"""«интернов: {{ n }}»: a genitive plural before a count that can be 1."""


def counted_keys(texts: Texts) -> dict[str, set[str]]:
    """Every text using `plural` in either language, with the variables it counts."""
    found: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        env = texts._envs[lang]
        for key in texts.keys(lang):
            tree = env.parse(texts.source(lang, key))
            filters = [f for f in tree.find_all(nodes.Filter) if f.name == "plural"]
            if filters:
                names = found.setdefault(key, set())
                for f in filters:  # `n | plural(...)`: the variables inside what is counted
                    names.update(n.name for n in [f.node, *f.node.find_all(nodes.Name)]
                                 if isinstance(n, nodes.Name))
    return found


def render(texts: Texts, lang: str, key: str, counted: set[str], n: int) -> str:
    params = {**SAMPLE_PARAMS[key], **dict.fromkeys(counted, n)}
    return texts.get(lang, key, **params)


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts()


def test_the_filter_follows_cldr(texts: Texts) -> None:
    ru, en = plural_filter("ru"), plural_filter("en")
    forms = ("команда", "команды", "команд")
    got = {n: ru(n, *forms) for n in (0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 1000)}
    assert got == {0: "команд", 1: "команда", 2: "команды", 4: "команды", 5: "команд", 11: "команд",
                   12: "команд", 14: "команд", 21: "команда", 22: "команды", 25: "команд", 101: "команда",
                   111: "команд", 1000: "команд"}
    assert ru(1.5, *forms) == "команды" and ru("21", *forms) == "команда" and ru(-1, *forms) == "команда"
    assert [en(n, "team", "teams") for n in (0, 1, 2, 21)] == ["teams", "team", "teams", "teams"]
    with pytest.raises(ValueError, match="takes 3 forms"):
        ru(2, "команда", "команды")
    with pytest.raises(ValueError, match="takes 2 forms"):
        en(2, "team", "teams", "teams")
    with pytest.raises(ValueError, match="needs a number"):
        en("many", "team", "teams")
    # through the locale texts: each language its own forms
    assert texts.get("ru", "teams.formed", teams=21).startswith("Готово: создана 21 команда.")
    assert texts.get("en", "teams.formed", teams=1).startswith("Done: 1 team created.")


def test_every_counted_text_has_sample_params(texts: Texts) -> None:
    found = counted_keys(texts)
    assert len(found) >= 50, sorted(found)
    missing = sorted(set(found) - set(SAMPLE_PARAMS))
    assert not missing, f"counted texts without sample params in tests/test_plurals.py: {missing}"
    stale = sorted(set(SAMPLE_PARAMS) - set(found))
    assert not stale, f"sample params for texts that no longer count anything: {stale}"


def test_every_counted_text_renders_for_every_count_in_both_languages(texts: Texts) -> None:
    for key, counted in sorted(counted_keys(texts).items()):
        if key not in SAMPLE_PARAMS:
            continue  # reported by the test above
        for lang in LANGUAGES:
            for n in COUNTS:
                text = render(texts, lang, key, counted, n)
                assert str(n) in text, (key, lang, n, text)
                assert not WORKAROUND.search(text), (key, lang, n, text)


@pytest.mark.parametrize(("key", "lang"), sorted(EXPECTED))
def test_a_sample_reads_right_for_every_count(texts: Texts, key: str, lang: str) -> None:
    counted = counted_keys(texts)[key]
    for n, phrase in EXPECTED[(key, lang)].items():
        assert phrase in render(texts, lang, key, counted, n), (key, lang, n)
    assert set(EXPECTED[(key, lang)]) == set(COUNTS)


def test_no_text_uses_a_workaround(texts: Texts) -> None:
    bad = [(lang, key, texts.source(lang, key)) for lang in LANGUAGES for key in sorted(texts.keys(lang))
           if WORKAROUND.search(texts.source(lang, key)) or LABELLED_COUNT.search(texts.source(lang, key))]
    assert bad == []


def test_stage_statuses_need_no_agreement_with_the_title(texts: Texts) -> None:
    """A stage's title is the programme's data of any gender: no neuter/masculine participle
    («принято», «не начат») may follow it."""
    statuses = [texts.get("ru", k) for k in texts.keys("ru")
                if k.startswith(("myprogress.status.", "myprogress.status_of."))]
    assert len(statuses) >= 10
    gendered = re.compile(r"(^|\s)(не )?(начат|принято|отправлено|выполнено|возвращено)(\s|$)")
    for status in statuses:
        assert not gendered.search(status), status


# --- real screens --------------------------------------------------------------------------

async def _team(app: App, name: str, members: list[int], tutor: int | None = None) -> int:
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        team_id = await teams.create(conn, name, now)
        for pid in members:
            await teams.put_member(conn, team_id, pid, now)
        if tutor is not None:
            await teams.set_tutor(conn, team_id, tutor)
    return team_id


async def test_myteam_alone_says_so_and_with_mates_counts_the_reader(chat: ConsoleChat) -> None:
    """The bug: «Участники: —.» for a team whose only member is the reader."""
    (anna,) = await seed_cohort(chat.app, 1)
    await _team(chat.app, "Северяне", [anna])
    alone = (await chat.say("/myteam", "i1"))[-1].text
    assert "Пока в команде только вы" in alone and "—." not in alone and "Участники" not in alone

    more = await seed_cohort(chat.app, 2, prefix="m")
    tutor = await make_tutor(chat.app, "tom")
    await _team(chat.app, "Южане", more, tutor)
    mine = (await chat.say("/myteam", "m1"))[-1].text
    assert "В команде 2 человека: вы, Интерн m2." in mine and "Тьютор: tom." in mine


async def test_team_proposal_and_formation_read_right(chat: ConsoleChat) -> None:
    await seed_cohort(chat.app, 8)
    listing = (await chat.say("/teams", "alice"))[-1].text
    assert "Без команды остаются 8 одобренных интернов." in listing
    await chat.press("tm|auto")
    proposal = chat.last("alice").text
    assert "Предлагаю 2 команды из 8 интернов (по 3–6 человек," in proposal
    await chat.press(chat.last("alice").buttons[0][0].payload)
    assert "Готово: созданы 2 команды." in chat.last("alice").text
    await chat.app.s.delivery.run_once()
    announcement = chat.last("i1").text
    assert "В команде 4 человека: вы, " in announcement


async def test_intern_progress_statuses_agree_with_any_stage_title(chat: ConsoleChat) -> None:
    (pid,) = await seed_cohort(chat.app, 1)
    now = chat.app.s.clock.now()
    async with chat.app.s.db.transaction() as conn:
        await stages.set_status(conn, pid, "problematisation", "submitted", now)
        await stages.set_status(conn, pid, "homework", "accepted", now)
        await stages.set_status(conn, pid, "video", "submitted", now)
    chat.as_user("i1")
    await chat.press("menu|progress")
    text = chat.last("i1").text
    assert "• Заявка: заявка одобрена ✅" in text
    assert "• Домашнее задание команды: тьютор принял работу ✅" in text
    assert "• Видеоролик мероприятия: ждёт проверки тьютора" in text
    assert "• Проблематизация и погружение: ответы отправлены ✅" in text
    assert "• Рефлексивная анкета: ещё впереди" in text
    assert "принято" not in text and "не начат" not in text


async def test_broadcast_preview_and_myteam_over_telegram(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        app = tg.app
        ids = [await seed_intern(app, ref, name=name, platform="telegram")
               for ref, name in (("3001", "Анна"), ("3002", "Борис"))]
        await _team(app, "Команда A", ids)
        await tg.say(TG_COORDINATOR, "/broadcast")
        await tg.say(TG_COORDINATOR, "{{ name }}, привет")
        preview = (await tg.press(TG_COORDINATOR, "👥 Всем интернам"))[-1]
        assert preview.startswith("Сообщение получат 2 человека. Так его увидит первый из них:")
        queued = await tg.press(TG_COORDINATOR, "📤 Отправить сейчас (2)")
        assert "отправляется: 2 сообщения." in queued[-1]
        mine = (await tg.say(3001, "/myteam"))[-1]
        assert "В команде 2 человека: вы, Борис." in mine


async def test_broadcast_preview_and_myteam_over_vk(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        app = vk.app
        (dina,) = [await seed_intern(app, "4001", name="Дина", platform="vk")]
        await _team(app, "Команда B", [dina])
        await vk.say(VK_COORDINATOR, "/broadcast")
        await vk.say(VK_COORDINATOR, "{{ name }}, привет")
        preview = (await vk.press(VK_COORDINATOR, "👥 Всем интернам"))[-1]
        assert preview.startswith("Сообщение получит 1 человек. Так его увидит первый из них:")
        queued = await vk.press(VK_COORDINATOR, "📤 Отправить сейчас (1)")
        assert "отправляется: 1 сообщение." in queued[-1]
        mine = (await vk.say(4001, "/myteam"))[-1]
        assert "Пока в команде только вы" in mine and "—." not in mine

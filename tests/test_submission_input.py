"""Reading homework and videos from what a messenger delivered; quiet hours per person."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.local_time import quiet_until, zone_of
from bot.messages import FileInfo, Incoming
from scenarios.models import QuietHours, Submission, VideoRules
from scenarios.submission_input import Item, in_range, parse_minutes, read_video, read_work
from scenarios.validation import Rejected

HOMEWORK = Submission(per="team", accepts=["text", "file", "link"])
LINKS_ONLY = Submission(per="team", accepts=["link"])
VIDEO = Submission(per="person", accepts=["video", "link"], video=VideoRules())
GB = 1024 ** 3


def msg(text: str | None = None, **file: object) -> Incoming:
    info = FileInfo(**file) if file else None  # type: ignore[arg-type]
    return Incoming("console", "u", "u", text=text, file=info)


def test_homework_takes_texts_links_and_files_and_refuses_the_rest() -> None:
    assert read_work(msg("Наш план"), HOMEWORK) == Item({"kind": "text", "text": "Наш план"})
    assert read_work(msg("disk.yandex.ru/d/x"), HOMEWORK).value == {  # type: ignore[union-attr]
        "kind": "link", "url": "https://disk.yandex.ru/d/x"}
    item = read_work(msg(kind="photo", file_id="p1", size=1000), HOMEWORK)
    assert isinstance(item, Item) and item.value["kind_of"] == "photo" and item.value["file_id"] == "p1"
    assert read_work(msg(kind="voice", file_id="v"), HOMEWORK) == Rejected("not_work", {"what": "voice"})
    assert read_work(msg(kind="sticker", file_id="s"), HOMEWORK) == Rejected("not_work", {"what": "sticker"})
    assert read_work(msg(kind="document", file_id="d", size=3 * GB), HOMEWORK) == Rejected(
        "too_big", {"max_mb": 2048})
    assert read_work(msg("   "), HOMEWORK) == Rejected("empty")
    location = Incoming("console", "u", "u", unsupported="location")
    assert read_work(location, HOMEWORK) == Rejected("unsupported")
    assert read_work(msg("просто текст"), LINKS_ONLY) == Rejected("need_link")
    assert read_work(msg(kind="document", file_id="d"), LINKS_ONLY) == Rejected("no_files")


def test_video_file_duration_link_and_refusals() -> None:
    item = read_video(msg(kind="video", file_id="v", duration=754, size=GB), VIDEO)
    assert isinstance(item, Item) and item.minutes == 12.6
    as_doc = read_video(msg(kind="document", file_id="d", mime="video/quicktime"), VIDEO)
    assert isinstance(as_doc, Item) and as_doc.minutes is None
    link = read_video(msg("https://rutube.ru/video/1/"), VIDEO)
    assert isinstance(link, Item) and link.minutes is None and link.value["kind"] == "link"
    voice = msg(kind="voice", file_id="v", duration=5)
    assert read_video(voice, VIDEO) == Rejected("not_video", {"what": "voice"})
    assert read_video(msg(kind="document", file_id="d", mime="application/pdf"), VIDEO) == Rejected(
        "not_video", {"what": "document"})
    assert read_video(msg(kind="video", file_id="v", size=2 * GB + 1), VIDEO) == Rejected(
        "too_big", {"max_mb": 2048})
    assert read_video(msg("видео будет завтра"), VIDEO) == Rejected("need_video")


def test_minutes_are_read_kindly_and_checked_against_the_range() -> None:
    assert parse_minutes("12") == 12 and parse_minutes("12,5") == 12.5
    assert parse_minutes("12 мин") == 12 and parse_minutes("14 minutes") == 14
    assert parse_minutes("12:30") == 12.5
    assert parse_minutes("12:75") is None and parse_minutes("десять") is None and parse_minutes("0") is None
    rules = VideoRules(min_minutes=10, max_minutes=15)
    assert in_range(10, rules) and in_range(15, rules)
    assert not in_range(9.9, rules) and not in_range(16, rules)


def test_quiet_hours_follow_the_persons_zone() -> None:
    evening_msk = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 19:00 MSK, 02:00 Vladivostok
    assert quiet_until(evening_msk, ZoneInfo("Europe/Moscow"), QuietHours()) is None
    wake = quiet_until(evening_msk, ZoneInfo("Asia/Vladivostok"), QuietHours())
    assert wake is not None and wake.astimezone(UTC) == datetime(2026, 12, 8, 22, 0, tzinfo=UTC)
    late = datetime(2026, 12, 8, 20, 30, tzinfo=UTC)  # 23:30 MSK: wakes tomorrow 08:00 MSK
    wake = quiet_until(late, zone_of(None, "Europe/Moscow"), QuietHours())
    assert wake is not None and wake.astimezone(UTC) == datetime(2026, 12, 9, 5, 0, tzinfo=UTC)
    assert quiet_until(late, ZoneInfo("Europe/Moscow"), QuietHours(start="13:00", end="15:00")) is None

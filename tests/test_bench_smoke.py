"""The benchmarks at toy size, so `make bench` cannot rot between runs.

Not a measurement: each benchmark runs end to end on a handful of people and must
return its figures (the engine bench itself checks every intern got through).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import __main__ as runner
from bench import (
    bench_aiogram_floor,
    bench_applications,
    bench_broadcast,
    bench_broadcast_fanout,
    bench_engine,
    bench_memory,
    bench_scheduler,
)
from bench.registry import BENCHMARKS, FIGURES


async def test_engine_bench_runs_interns_through_both_forms() -> None:
    figures = await bench_engine.run(interns=8, paced_rate=1_000_000)
    assert figures["engine_updates"] == 8 * len(bench_engine.SCRIPT)
    assert figures["engine_updates_per_s"] > 0 and figures["engine_p99_ms"] > 0
    runs = figures["engine_p99_ms_runs"]
    assert len(runs) == bench_engine.PACED_RUNS and sorted(runs)[len(runs) // 2] == figures["engine_p99_ms"]  # type: ignore[arg-type]


async def test_applications_bench_counts_a_coordinators_messages() -> None:
    figures = await bench_applications.run(interns=12)
    assert figures["coordinator_messages_300_applications"] == 2  # the first card, then the digest
    assert figures["coordinator_messages_each_application"] == 12


async def test_aiogram_floor_answers_every_update() -> None:
    figures = await bench_aiogram_floor.run(interns=8)
    assert figures["aiogram_floor_updates"] == 8 * len(bench_engine.SCRIPT)


async def test_memory_bench_measures_the_bot_with_its_real_adapters_in_a_child() -> None:
    figures = await bench_memory.run(persons=120, idle_seconds=0)
    assert figures["memory_persons"] == 120
    assert figures["memory_adapters"] == "telegram,vk,max"
    assert 0 < figures["rss_mb_10k_idle"] <= figures["rss_mb_10k_broadcast_peak"]  # type: ignore[operator]


async def test_scheduler_bench_plans_and_ticks() -> None:
    figures = await bench_scheduler.run(reminders=260, ticks=3)
    assert 200 <= figures["scheduler_reminders_stored"] <= 260  # whole plans of ~25 rows
    assert figures["scheduler_busy_tick_outbox_rows"] > 0
    assert figures["scheduler_tick_ms_100k"] > 0  # type: ignore[operator]


async def test_broadcast_bench_delivers_everyone_on_both_messengers() -> None:
    figures = await bench_broadcast.run(recipients=40, max_recipients=40)
    assert figures["vk_delivered"] == 40 and figures["vk_rate_errors"] == 0
    assert figures["max_delivered"] == 40 and figures["max_429_count"] == 0
    assert figures["telegram_429_count"] == 0 and figures["telegram_broadcast_per_s"] > 0  # type: ignore[operator]


async def test_broadcast_fanout_bench_writes_a_row_per_intern(monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers.coordination import broadcasts

    monkeypatch.setattr(broadcasts, "BATCH", 20)
    figures = await bench_broadcast_fanout.run(persons=100)
    assert figures["broadcast_rows"] == 98 and figures["broadcast_batches"] == 5
    assert figures["broadcast_batch_max_ms"] > 0  # type: ignore[operator]


def test_result_file_has_every_figure_and_says_which_are_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "latest.json")
    monkeypatch.setattr(runner, "BENCHMARKS", ["tests.test_bench_smoke"])
    assert runner.main([]) == 0
    result = json.loads((tmp_path / "latest.json").read_text())
    assert set(FIGURES) <= set(result)
    assert result["engine_updates_per_s"] == 1.0
    waiting = [name for name, figure in FIGURES.items() if figure.pending]
    for name in waiting:  # figures whose benchmark has not landed yet
        assert result[name] is None
        assert result["pending"][name].startswith("pending")
    assert "engine_updates_per_s" not in result["pending"]
    assert result["machine"]["cores"] and result["machine"]["python"]
    assert all(name.startswith("bench.bench_") for name in BENCHMARKS)


def run() -> dict[str, object]:
    """A stand-in benchmark for the runner test above."""
    return {"engine_updates_per_s": 1.0, "smoke_extra_ms": 2.0}


async def test_postgres_bench_runs_the_engine_and_two_instances(pg_url: str) -> None:
    """pg_url only for its policy (skipped without PostgreSQL, failed under CI): the bench
    creates a database of its own on the same server."""
    from bench import bench_postgres
    from tests.conftest import PG_SERVER

    figures = await bench_postgres.run(interns=6, paced_rate=1_000_000, recipients=40, server=PG_SERVER)
    assert figures["pg_engine_updates"] == 6 * len(bench_engine.SCRIPT)
    assert figures["pg_engine_updates_per_s"] > 0 and figures["pg_engine_p99_ms"] > 0  # type: ignore[operator]
    assert len(figures["pg_engine_p99_ms_runs"]) == bench_engine.PACED_RUNS  # type: ignore[arg-type]
    if figures["pg_engine_cores"] == "separate":  # the same phases on shared cores, for the details
        assert figures["pg_engine_p99_ms_shared_cores"] > 0  # type: ignore[operator]
    else:
        assert figures["pg_engine_cores"] == "shared" and "pg_engine_p99_ms_shared_cores" not in figures
    assert figures["two_instances_recipients"] == 40 and figures["two_instances_429_count"] == 0
    assert sum(figures["two_instances_sent_by"].values()) == 40  # type: ignore[attr-defined]

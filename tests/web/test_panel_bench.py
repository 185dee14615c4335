"""bench/bench_panel.py at toy size, so `make bench` cannot rot: the pages answer and the
engine's interns get through while panel users reload pages in a child process."""

from __future__ import annotations

from bench import bench_panel
from bench.registry import BENCHMARKS, FIGURES


async def test_the_panel_bench_measures_pages_and_the_engine_beside_them() -> None:
    figures = await bench_panel.run(applicants=120, requests=10, interns=4, users=2)
    assert figures["panel_applications_3000_p95_ms"] > 0  # type: ignore[operator]
    assert figures["engine_p99_ms_panel_load"] > 0  # type: ignore[operator]
    assert figures["panel_pages_during_engine_load"] > 0  # type: ignore[operator]
    assert "bench.bench_panel" in BENCHMARKS
    assert {"panel_applications_3000_p95_ms", "engine_p99_ms_panel_load"} <= set(FIGURES)

"""The HTTP benchmark at toy size, so it cannot rot between `make bench` runs."""

from __future__ import annotations

from bench import bench_http


async def test_http_bench_walks_interns_through_the_application() -> None:
    figures = await bench_http.run(interns=4)
    assert figures["http_updates"] == 4 * len(bench_http.STEPS)
    assert figures["http_updates_per_s"] > 0 and figures["http_reply_p99_ms"] > 0  # type: ignore[operator]

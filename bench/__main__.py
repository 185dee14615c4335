"""`python -m bench [NAME ...]`: run the benchmarks, print their tables, write the results.

With names (module suffixes, e.g. `engine memory`) only those run, and the result
file is not rewritten, so a partial run never replaces the committed full figures.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import describe, load
from bench.registry import BENCHMARKS, FIGURES

RESULTS = Path(__file__).parent / "results" / "latest.json"


def run_benchmark(module_name: str) -> tuple[dict[str, Any], float]:
    module = importlib.import_module(module_name)
    started = time.perf_counter()
    outcome = module.run()
    if inspect.isawaitable(outcome):
        outcome = asyncio.run(outcome)  # type: ignore[arg-type]
    return dict(outcome), time.perf_counter() - started


def table(title: str, figures: dict[str, Any], seconds: float) -> str:
    width = max(len(k) for k in figures) if figures else 10
    lines = [f"\n{title} ({seconds:.1f} s)", "-" * (width + 24)]
    for key, value in figures.items():
        unit = FIGURES[key].unit if key in FIGURES else _unit(key)
        lines.append(f"{key:<{width}}  {value!s:>12} {unit}")
    return "\n".join(lines)


def _unit(key: str) -> str:
    for suffix, unit in (("_per_s", "/s"), ("_ms", "ms"), ("_mb", "MiB"), ("_s", "s")):
        if key.endswith(suffix):
            return unit
    return ""


def assemble(
    measured: dict[str, Any], timings: dict[str, float], machine: dict[str, Any]
) -> dict[str, Any]:
    figures = {key: measured.get(key) for key in FIGURES}
    notes = {key: FIGURES[key].pending for key, value in figures.items() if value is None}
    details = {key: value for key, value in measured.items() if key not in FIGURES}
    engine, floor = figures.get("engine_updates_per_s"), figures.get("aiogram_floor_updates_per_s")
    if engine and floor:
        details["floor_to_engine_ratio"] = round(floor / engine, 2)
    return {
        **figures,
        "pending": notes,
        "details": details,
        "meaning": {key: f"{f.meaning} [{f.unit}]" for key, f in FIGURES.items()},
        "machine": {**machine, "load_average_at_end": load()},
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="run only these (e.g. engine memory)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    chosen = [m for m in BENCHMARKS if not args.names or m.rsplit("bench_", 1)[-1] in args.names]
    if not chosen:
        print(f"no benchmark named {args.names}; known: {BENCHMARKS}", file=sys.stderr)
        return 2
    machine = describe()  # before our own load
    measured: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for module_name in chosen:
        print(f"running {module_name} ...", flush=True)
        figures, seconds = run_benchmark(module_name)
        timings[module_name] = seconds
        measured.update(figures)
        print(table(module_name, figures, seconds), flush=True)
    result = assemble(measured, timings, machine)
    if result["pending"]:
        print("\nnot measured yet:")
        for key, note in result["pending"].items():
            print(f"  {key}: {note}")
    if args.names:
        print("\n(partial run: bench/results/latest.json left as it was)")
        return 0
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks (not tests): `make bench` runs every module listed in `bench.registry`.

Each benchmark module exposes `run() -> dict` (sync or async; the runner awaits a
coroutine) returning its figures: keys named in `bench.registry.FIGURES` fill the
shared result file, any other keys are shown in its table and kept under "details".
"""

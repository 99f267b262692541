"""Benchmarks (`make bench`): each module exposes ``run() -> list[dict]`` rows for a table."""

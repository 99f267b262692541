"""Run the benchmarks and print one table; rows are also written to var/bench/results.json."""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
SUITES = [
    "bench.bench_stack",
    "bench.bench_channel",
    "bench.bench_kb",
    "bench.bench_nlu",
    "bench.bench_reports",
    "bench.bench_cpu",
]


def main() -> None:
    """``python -m bench [--only stack,channel,kb,nlu]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="suites to run, e.g. stack,channel,kb,nlu")
    args = parser.parse_args()
    wanted = {f"bench.bench_{name}" for name in args.only.split(",") if name}
    rows: list[dict[str, object]] = []
    for suite in SUITES:
        if wanted and suite not in wanted:
            continue
        started = time.monotonic()
        module = importlib.import_module(suite)
        suite_rows = module.run()
        for row in suite_rows:
            row.setdefault("suite", suite.removeprefix("bench.bench_"))
        rows += suite_rows
        print(f"{suite}: {time.monotonic() - started:.0f}s", flush=True)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    table = Table(title="wabot benchmarks")
    for column in ("suite", "metric", "value", "unit", "baseline", "ratio", "note"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                str(row.get(c, ""))
                for c in ("suite", "metric", "value", "unit", "baseline", "ratio", "note")
            )
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()

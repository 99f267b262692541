"""``python -m bot.cli simulate FILE --json`` over the running stack: the summary-fact scores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from bot.stack import ROOT, Stack

TURNS = [
    {"user": "buongiorno vorrei acquistare un trilocale ai navigli, budget 350k"},
    {"user": "entro l'estate"},
    {"user": "mi chiamo Giulia Bianchi"},
]


def test_simulate_reports_fact_precision_and_recall(stack: Stack, tmp_path: Path) -> None:
    right = {"lead_type": "buy", "area": "Navigli", "budget_max": 350000, "rooms": 3}
    scripts = [
        {"id": "right", "lang": "it", "start": "2026-03-03T11:00:00+01:00", "turns": TURNS,
         "expect": {"handoff": True, "facts": right}},
        {"id": "wrong_budget", "lang": "it", "start": "2026-03-03T11:00:00+01:00", "turns": TURNS,
         "expect": {"handoff": True, "facts": {"budget_max": 999, "codice_fiscale": "X"}}},
    ]  # fmt: skip
    path = tmp_path / "scripts.yml"
    path.write_text(yaml.safe_dump(scripts, allow_unicode=True), encoding="utf-8")
    env = {**stack.env(), "BOT_PUBLIC_URL": f"http://127.0.0.1:{stack.ports.hub}"}
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", str(path), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, "one script fails, so the command fails"
    report = json.loads(run.stdout)
    assert (report["passed"], report["total"]) == (1, 2)
    assert report["scripts"][1]["failed"] == ["facts"]
    facts = report["facts"]
    assert (facts["expected"], facts["found"], facts["correct"]) == (6, 5, 4)
    assert facts["precision"] == 0.8 and facts["recall"] == round(4 / 6, 4)
    assert facts["wrong"] == [
        {"script": "wrong_budget", "key": "budget_max", "expected": 999, "found": 350000}
    ]
    assert facts["missing"] == [
        {"script": "wrong_budget", "key": "codice_fiscale", "expected": "X"}
    ]

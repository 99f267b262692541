"""The cached action-response validator behaves exactly like Rasa's own (run in .venv-rasa)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = r"""
import json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

CASES = [
    {"events": [{"event": "slot", "name": "language", "value": "it"}], "responses": []},
    {"events": [], "responses": [{"text": "Ciao", "buttons": [{"title": "A", "payload": "/a"}]}]},
    {"events": [{"event": "slot"}], "responses": []},
    {"events": "not a list"},
    {"events": [1], "responses": []},
]

def outcomes():
    action = RemoteAction("action_x", None)
    rows = []
    for case in CASES:
        try:
            rows.append(["ok", action._validate_action_result(case)])
        except ValidationError as error:
            rows.append(["error", error.message, list(error.path)])
    return rows

before = outcomes()
from bot import rasa_speedups
rasa_speedups.install()
rasa_speedups.install()
patched = RemoteAction._validate_action_result is rasa_speedups._validate_action_result
print(json.dumps({"before": before, "after": outcomes(), "patched": patched}))
"""


def test_cached_validator_gives_rasas_results_and_errors() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["patched"] is True
    assert result["after"] == result["before"]
    kinds = [row[0] for row in result["after"]]
    assert kinds == ["ok", "ok", "error", "error", "error"]

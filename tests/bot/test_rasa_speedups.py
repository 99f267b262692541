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


MERGE_SCRIPT = r"""
import json
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered, BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

original = RedisTrackerStore._merge_trackers

def conversation(n, t0=1000.0):
    events = []
    for i in range(n):
        events += [
            ActionExecuted("action_listen", timestamp=t0 + 4 * i),
            UserUttered(f"msg {i}", {"name": "faq", "confidence": 0.9}, timestamp=t0 + 4 * i + 1),
            SlotSet("bot_misses", 0 if i % 2 else 0.0, timestamp=t0 + 4 * i + 2),
            BotUttered(f"answer {i}", timestamp=t0 + 4 * i + 3),
        ]
    return events

cases = []
prior = conversation(30)
# the new tracker: the stored events with one changed (not a prefix), then new ones
changed = list(prior)
changed[5] = SlotSet("bot_misses", True, timestamp=changed[5].timestamp)
new_events = changed + conversation(5, t0=2000.0) + [SlotSet("bot_misses", 1, timestamp=2100.0)]
cases.append((prior, new_events))
cases.append((prior, prior + conversation(3, t0=3000.0)))  # a prefix: returned as is
cases.append(([], conversation(2)))
cases.append((conversation(4), conversation(4, t0=500.0) + [SlotSet("x", {"a": [1, 2]})]))

def run(merge):
    rows = []
    for prior_events, events in cases:
        merged = merge(
            DialogueStateTracker.from_events("c", prior_events),
            DialogueStateTracker.from_events("c", events),
        )
        rows.append([e.as_dict() for e in merged.events])
    return rows

before = run(original)
from bot import rasa_speedups
rasa_speedups.install()
after = run(RedisTrackerStore._merge_trackers)
from rasa.shared.core.events import Event
names = ["action", "user", "slot", "bot", "pause", "resume", "session_started", "topic"]
resolved = [getattr(Event.resolve_by_type(n), "__name__", None) for n in names * 2]
try:
    Event.resolve_by_type("no_such_event")
    unknown = "no error"
except ValueError as error:
    unknown = str(error)
print(json.dumps({"same": before == after, "lengths": [len(r) for r in after],
                  "patched": RedisTrackerStore._merge_trackers is rasa_speedups.merge_trackers,
                  "resolved": resolved, "unknown": unknown}))
"""


def test_linear_tracker_merge_keeps_rasas_events_and_order() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [str(RASA_PYTHON), "-c", MERGE_SCRIPT], capture_output=True, text=True, env=env,
        timeout=120, check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["patched"] is True
    assert result["same"] is True
    assert result["lengths"][0] > 120  # the non-prefix case really merged
    resolved = result["resolved"]
    assert resolved[:8] == resolved[8:]  # remembered classes are Rasa's own
    assert resolved[:4] == ["ActionExecuted", "UserUttered", "SlotSet", "BotUttered"]
    assert resolved[7] is None  # "topic": Rasa's backwards-compatible None
    assert result["unknown"] == "Unknown event name 'no_such_event'."

"""NLU benchmark: the pipeline of ``config.yml`` trained and tested on CLINC150.

Run: ``python -m bench.bench_nlu`` (prints a table; ``run()`` returns the rows for
``make bench``). ``python -m bench.bench_nlu calibrate`` prints the fallback thresholds for the
project's own training data (``nlu_data/``), the numbers that go into ``config.yml``.

Protocol (Larson et al. 2019, "Full", oos-train): train on ``train`` + ``oos_train`` with
``oos`` as a 151st intent, test on ``test`` (in-scope accuracy over 4,500 queries) and
``oos_test`` (out-of-scope recall over 1,000 queries). A query counts as out-of-scope when the
pipeline answers ``oos`` or the FallbackClassifier's ``nlu_fallback``. Training and parsing run
the real Rasa 3.6 pipeline in ``.venv-rasa`` (``bench/rasa_nlu_eval.py``).

Fallback calibration (never on a test set): k-fold cross-validation of the whole pipeline on
the training data gives an out-of-fold intent ranking for every training example. The
fallback may cost at most ``BUDGET`` (1) point of out-of-fold in-scope accuracy, measured
against the same predictions with no fallback: ``threshold`` is the highest grid value that
stays within that budget (with no ambiguity rule), then ``ambiguity_threshold`` the highest
grid value that, added to it, still does. The choice reads only the in-scope examples,
which are plentiful, so the few out-of-scope training examples (100 in CLINC150, about 60 in
the project) cannot steer it by chance; the out-of-fold out-of-scope recall is reported. On
CLINC150 the out-of-scope label is ``oos``; on the project's data it is ``out_of_scope``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLINC = ROOT / "bench" / "clinc150" / "data_full.json"
RASA_BIN = ROOT / ".venv-rasa" / "bin"
HELPER = ROOT / "bench" / "rasa_nlu_eval.py"
CONFIG = ROOT / "config.yml"
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.jsonl"
CLINC_ROW = "CLINC150 in-scope acc / OOS recall,"
FALLBACK = "nlu_fallback"
CLINC_OOS = "oos"
PROJECT_OOS = "out_of_scope"
THRESHOLDS = [round(0.05 * i, 2) for i in range(17)]
AMBIGUITIES = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2]
SWEEP = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
BUDGET = 1.0  # points of in-scope accuracy a fallback may cost (out-of-fold)
FOLDS = int(os.environ.get("BENCH_NLU_FOLDS", "5"))
# Larson et al. 2019, Table 2, Full, oos-train (see bench/clinc150/ATTRIBUTION.md).
PUBLISHED = [
    ("BERT (fine-tuned)", 96.9, 40.3),
    ("MLP with USE embeddings", 93.5, 47.4),
    ("DialogFlow", 91.7, 14.0),
    ("Rasa (2019 version)", 91.5, 45.3),
]
# Measured earlier on this machine kind (2 cores), for context.
MEASURED_BEFORE = [
    ("Rasa 3.6 DIET, sparse features, 50 epochs (60 min training)", 89.2, 11.1),
    ("Rasa 3.6 DIET, sparse features, 50 epochs, 0.5 cut", 85.8, 74.3),
]


@dataclass(frozen=True)
class Thresholds:
    """FallbackClassifier settings."""

    threshold: float
    ambiguity: float


@dataclass(frozen=True)
class Scores:
    """In-scope accuracy and out-of-scope recall, in percent."""

    in_scope: float
    oos_recall: float

    @property
    def balanced(self) -> float:
        return (self.in_scope + self.oos_recall) / 2


def rasa_env() -> dict[str, str]:
    """Environment for Rasa subprocesses: project on the path, no telemetry, quiet TF."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


def load_clinc(path: Path = CLINC) -> dict[str, list[tuple[str, str]]]:
    with path.open(encoding="utf-8") as handle:
        splits = json.load(handle)
    return {name: [(text, label) for text, label in rows] for name, rows in splits.items()}


def write_nlu_yaml(examples: list[tuple[str, str]], path: Path) -> None:
    """Rasa NLU YAML, one block per intent (texts written as plain list items)."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {' '.join(text.split())}" for text in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def config_with(thresholds: Thresholds | None, path: Path) -> Path:
    """A copy of config.yml, with the FallbackClassifier's settings replaced when given."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    if thresholds is not None:
        for component in config["pipeline"]:
            if component["name"] == "FallbackClassifier":
                component["threshold"] = thresholds.threshold
                component["ambiguity_threshold"] = thresholds.ambiguity
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def configured_thresholds() -> Thresholds:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            return Thresholds(component["threshold"], component.get("ambiguity_threshold", 0.1))
    return Thresholds(0.0, 0.0)


def train_nlu(config: Path, data: Path, out: Path) -> tuple[Path, float]:
    """``rasa train nlu``, timed; returns the model archive and the wall time in seconds."""
    started = time.monotonic()
    result = subprocess.run(
        [
            str(RASA_BIN / "rasa"),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(data),
            "--out",
            str(out),
            "--fixed-model-name",
            "bench",
        ],
        cwd=ROOT,
        env=rasa_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    model = out / "bench.tar.gz"
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(
            f"rasa train nlu failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return model, seconds


def _helper(args: list[str], stdin: str = "") -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as out:
        result = subprocess.run(
            [str(RASA_BIN / "python"), str(HELPER), *args, "--out", out.name],
            input=stdin,
            cwd=ROOT,
            env=rasa_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{HELPER.name} {args[0]} failed:\n{result.stderr[-3000:]}")
        return [json.loads(line) for line in Path(out.name).read_text().splitlines() if line]


def parse(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    """Parse every text with the trained model: final intent, classifier ranking, time."""
    return _helper(["parse", str(model)], "".join(json.dumps(t) + "\n" for t in texts))


def cross_validate(config: Path, data: Path, folds: int = FOLDS) -> list[dict[str, Any]]:
    """Out-of-fold rankings of the pipeline on its own training data."""
    return _helper(["cv", str(config), str(data), "--folds", str(folds)])


def decide(ranking: list[list[Any]], thresholds: Thresholds) -> str:
    """What the FallbackClassifier makes of a classifier ranking."""
    if not ranking:
        return FALLBACK
    top = float(ranking[0][1])
    second = float(ranking[1][1]) if len(ranking) > 1 else 0.0
    if top < thresholds.threshold or top - second < thresholds.ambiguity:
        return FALLBACK
    return str(ranking[0][0])


def score(gold: list[str], predicted: list[str], oos: str) -> Scores:
    """In-scope accuracy and out-of-scope recall (``oos`` or the fallback both count)."""
    inside = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != oos]
    outside = [p for g, p in zip(gold, predicted, strict=True) if g == oos]
    in_scope = 100 * sum(g == p for g, p in inside) / len(inside) if inside else 0.0
    recall = 100 * sum(p in (oos, FALLBACK) for p in outside) / len(outside) if outside else 0.0
    return Scores(in_scope, recall)


def score_at(rows: list[dict[str, Any]], gold: list[str], oos: str, cut: Thresholds) -> Scores:
    return score(gold, [decide(row["ranking"], cut) for row in rows], oos)


def calibrate(
    rows: list[dict[str, Any]], oos: str, budget: float = BUDGET
) -> tuple[Thresholds, Scores]:
    """The highest thresholds whose out-of-fold in-scope accuracy loss stays within budget."""
    gold = [row["gold"] for row in rows]
    floor = score_at(rows, gold, oos, Thresholds(0.0, 0.0)).in_scope - budget

    def within(cut: Thresholds) -> bool:
        return score_at(rows, gold, oos, cut).in_scope >= floor - 1e-9

    threshold = max(t for t in THRESHOLDS if within(Thresholds(t, 0.0)))
    ambiguity = max(a for a in AMBIGUITIES if within(Thresholds(threshold, a)))
    cut = Thresholds(threshold, ambiguity)
    return cut, score_at(rows, gold, oos, cut)


def latency(rows: list[dict[str, Any]]) -> tuple[float, float]:
    times = sorted(float(row["ms"]) for row in rows)
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


def _row(metric: str, value: Any, unit: str = "", baseline: Any = "", note: str = "") -> dict:
    return {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "note": note}


def _pair(scores: Scores) -> str:
    return f"{scores.in_scope:.1f} / {scores.oos_recall:.1f}"


@dataclass
class ClincRun:
    """What one CLINC150 run produced."""

    gold: list[str]
    parsed: list[dict[str, Any]]
    train_seconds: float
    cut: Thresholds
    out_of_fold: Scores
    cv_seconds: float


def run_clinc(work: Path) -> ClincRun:
    """Train on train+oos_train, parse test+oos_test, calibrate the fallback on train by CV."""
    splits = load_clinc()
    data = work / "clinc_train.yml"
    write_nlu_yaml(splits["train"] + splits["oos_train"], data)
    test = splits["test"] + splits["oos_test"]
    config = config_with(None, work / "config.yml")
    model, seconds = train_nlu(config, data, work / "models")
    parsed = parse(model, [text for text, _ in test])
    started = time.monotonic()
    cut, oof = calibrate(cross_validate(config, data), CLINC_OOS)
    cv_seconds = time.monotonic() - started
    return ClincRun([label for _, label in test], parsed, seconds, cut, oof, cv_seconds)


def clinc_score_rows(result: ClincRun) -> list[dict[str, Any]]:
    """Scores at the calibrated thresholds, at config.yml's, and over a sweep of cuts."""
    configured = configured_thresholds()
    as_configured = score(result.gold, [row["intent"] for row in result.parsed], CLINC_OOS)
    if score_at(result.parsed, result.gold, CLINC_OOS, configured) != as_configured:
        raise RuntimeError("replaying the FallbackClassifier disagrees with Rasa's output")
    at_cut = score_at(result.parsed, result.gold, CLINC_OOS, result.cut)
    cut, goal = result.cut, "BERT 96.9 / 40.3; Rasa 91.5 / 45.3"
    calibrated = f"threshold {cut.threshold}, ambiguity {cut.ambiguity}"
    rows = [
        _row(
            f"{CLINC_ROW} thresholds calibrated by CV on train",
            _pair(at_cut),
            "%",
            goal,
            f"{calibrated}; out-of-fold {_pair(result.out_of_fold)}",
        ),
        _row(
            f"{CLINC_ROW} config.yml thresholds",
            _pair(as_configured),
            "%",
            goal,
            f"threshold {configured.threshold}, ambiguity {configured.ambiguity}",
        ),
    ]
    for value in SWEEP:
        sweep = score_at(result.parsed, result.gold, CLINC_OOS, Thresholds(value, 0.0))
        rows.append(_row(f"{CLINC_ROW} confidence cut {value}", _pair(sweep), "%"))
    return rows


def clinc_context_rows(result: ClincRun) -> list[dict[str, Any]]:
    """Published and earlier figures, and the run's costs."""
    p50, p99 = latency(result.parsed)
    rows = [
        _row(f"CLINC150 published: {name}", f"{ins} / {oos}", "%", note="Larson et al. 2019")
        for name, ins, oos in PUBLISHED
    ]
    rows += [
        _row(f"CLINC150 measured before: {name}", f"{ins} / {oos}", "%", note="this machine kind")
        for name, ins, oos in MEASURED_BEFORE
    ]
    return rows + [
        _row(
            "CLINC150 rasa train nlu (15,100 examples)",
            round(result.train_seconds, 1),
            "s",
            note="wall time incl. Rasa start-up",
        ),
        _row(f"CLINC150 {FOLDS}-fold fallback calibration", round(result.cv_seconds, 1), "s"),
        _row("NLU parse p50 (in-process, CLINC150 model)", round(p50, 2), "ms"),
        _row("NLU parse p99 (in-process, CLINC150 model)", round(p99, 2), "ms"),
    ]


def train_project(work: Path) -> tuple[Path, float]:
    """The whole project's ``rasa train`` (config, domain, nlu_data), forced and timed."""
    started = time.monotonic()
    result = subprocess.run(
        [
            str(RASA_BIN / "rasa"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "bot/domain",
            "--data",
            "nlu_data",
            "--out",
            str(work / "project"),
            "--fixed-model-name",
            "casa-navigli",
            "--force",
        ],
        cwd=ROOT,
        env=rasa_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    model = work / "project" / "casa-navigli.tar.gz"
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"rasa train failed:\n{result.stdout[-3000:]}")
    return model, seconds


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    """Mean F1 over the gold intents (a fallback counts as a wrong answer)."""
    scores = []
    for label in sorted(set(gold)):
        pairs = list(zip(gold, predicted, strict=True))
        hits = sum(g == p == label for g, p in pairs)
        claimed = sum(p == label for _, p in pairs)
        actual = sum(g == label for g, _ in pairs)
        scores.append(2 * hits / (claimed + actual) if claimed + actual else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def project_rows(work: Path) -> list[dict[str, Any]]:
    """Project training time, then the trained model on the held-out set: F1 and latency."""
    model, seconds = train_project(work)
    examples = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
    parsed = parse(model, [example["text"] for example in examples])
    rows = [
        _row(
            "rasa train (whole project, forced)",
            round(seconds, 1),
            "s",
            120,
            "goal: at most 2 minutes on 2 cores",
        )
    ]
    for lang in sorted({example["lang"] for example in examples}):
        pairs = [
            (e["intent"], p["intent"])
            for e, p in zip(examples, parsed, strict=True)
            if e["lang"] == lang
        ]
        f1 = macro_f1([g for g, _ in pairs], [p or FALLBACK for _, p in pairs])
        rows.append(
            _row(
                f"held-out intent macro-F1 ({lang}, {len(pairs)} messages)",
                round(f1, 3),
                "",
                0.92,
                "tests/data/nlu_heldout.jsonl, with fallback",
            )
        )
    p50, p99 = latency(parsed)
    rows.append(_row("NLU parse p50 (in-process, project model)", round(p50, 2), "ms"))
    rows.append(_row("NLU parse p99 (in-process, project model)", round(p99, 2), "ms"))
    return rows


def run() -> list[dict[str, Any]]:
    """All NLU benchmark rows: CLINC150, then the project's training time and held-out set."""
    work = Path(tempfile.mkdtemp(prefix="wabot-bench-nlu-"))
    try:
        clinc = run_clinc(work)
        return clinc_score_rows(clinc) + clinc_context_rows(clinc) + project_rows(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def calibrate_project(data: Path, folds: int) -> None:
    """Print the CV-calibrated FallbackClassifier settings for the project's NLU data."""
    with tempfile.TemporaryDirectory(prefix="wabot-calibrate-") as work:
        rows = cross_validate(config_with(None, Path(work) / "config.yml"), data, folds)
    cut, oof = calibrate(rows, PROJECT_OOS)
    gold = [row["gold"] for row in rows]
    print(f"out-of-fold, no fallback: {_pair(score_at(rows, gold, PROJECT_OOS, Thresholds(0, 0)))}")
    print(f"threshold: {cut.threshold}\nambiguity_threshold: {cut.ambiguity}")
    print(f"out-of-fold in-scope accuracy / out-of-scope recall at these: {_pair(oof)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "calibrate"])
    parser.add_argument("--data", default=str(ROOT / "nlu_data" / "nlu"))
    parser.add_argument("--folds", type=int, default=FOLDS)
    args = parser.parse_args()
    if args.command == "calibrate":
        calibrate_project(Path(args.data), args.folds)
        return
    for row in run():
        print(f"{row['metric']:<72} {row['value']!s:>14} {row['unit']:<3} {row['note']}")


if __name__ == "__main__":
    main()

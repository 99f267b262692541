"""Parse and cross-validate with the real Rasa pipeline (runs inside ``.venv-rasa``).

Called by ``bench/bench_nlu.py`` as a subprocess; imports only Rasa and the standard library.

Rasa logs to stdout, so results go to the file named by ``--out`` (JSON Lines).

``python bench/rasa_nlu_eval.py parse MODEL --out FILE`` reads one JSON string per line on
stdin and writes one JSON object per line: ``{"intent": final name (after FallbackClassifier),
"confidence": float, "ranking": [[name, confidence], ...], "ms": parse time}``, where the
ranking is the intent classifier's own (``nlu_fallback`` removed).

``python bench/rasa_nlu_eval.py cv CONFIG DATA --folds 5 --seed 0 --out FILE`` trains the
pipeline of CONFIG on k-1 folds of the NLU data DATA and parses the held-out fold, for every fold
(stratified by intent), writing ``{"text", "gold", "fold", "ranking"}`` per example: the
out-of-fold predictions from which the fallback thresholds are calibrated.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

FALLBACK = "nlu_fallback"


def _quiet() -> None:
    """Log warnings only, as a production server at its default level logs no debug lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.disable(logging.WARNING)


async def _parse(agent, texts):
    rows = []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        elapsed = (time.perf_counter() - started) * 1000
        intent = parsed.get("intent") or {}
        ranking = [
            [r["name"], float(r["confidence"])]
            for r in parsed.get("intent_ranking") or []
            if r.get("name") != FALLBACK
        ]
        rows.append(
            {
                "intent": intent.get("name"),
                "confidence": float(intent.get("confidence") or 0.0),
                "ranking": ranking,
                "ms": round(elapsed, 3),
            }
        )
    return rows


def parse_command(model: str, out) -> None:
    from rasa.core.agent import Agent

    texts = [json.loads(line) for line in sys.stdin if line.strip()]
    agent = Agent.load(model)
    for row in asyncio.run(_parse(agent, texts)):
        out.write(json.dumps(row) + "\n")


def _folds(training_data, folds: int, seed: int):
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    examples = training_data.intent_examples
    labels = [example.get_full_intent() for example in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(examples, labels):
        train = TrainingData(
            training_examples=[examples[i] for i in train_index],
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
        )
        yield train, [examples[i] for i in test_index]


def cv_command(config: str, data: str, folds: int, seed: int, out) -> None:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data

    training_data = load_data(data)
    with tempfile.TemporaryDirectory(prefix="wabot-cv-") as work:
        for fold, (train, held_out) in enumerate(_folds(training_data, folds, seed)):
            started = time.monotonic()
            fold_data = Path(work) / f"fold{fold}.yml"
            fold_data.write_text(train.nlu_as_yaml(), encoding="utf-8")
            model = train_nlu(config, str(fold_data), str(Path(work) / "models"), f"fold{fold}")
            if model is None:
                raise SystemExit(f"training fold {fold} failed")
            rows = asyncio.run(_parse(Agent.load(model), [m.get("text") for m in held_out]))
            for message, row in zip(held_out, rows, strict=True):
                example = {"text": message.get("text"), "gold": message.get_full_intent()}
                out.write(json.dumps({**example, "fold": fold, "ranking": row["ranking"]}) + "\n")
            out.flush()
            print(f"fold {fold}: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser("parse")
    parse.add_argument("model")
    parse.add_argument("--out", required=True)
    cv = commands.add_parser("cv")
    cv.add_argument("config")
    cv.add_argument("data")
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--seed", type=int, default=0)
    cv.add_argument("--out", required=True)
    args = parser.parse_args()
    _quiet()
    with open(args.out, "w", encoding="utf-8") as out:
        if args.command == "parse":
            parse_command(args.model, out)
        else:
            cv_command(args.config, args.data, args.folds, args.seed, out)


if __name__ == "__main__":
    main()

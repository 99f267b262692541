"""``wabot eval nlu``: intent and entity scores of the trained model on a JSON Lines set."""

from __future__ import annotations

import json
import os
import subprocess
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

import facts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "casa-navigli.tar.gz"
ENTITY_KEYS = facts.ENTITY_SLOTS
FALLBACK = "nlu_fallback"


class NluExample(BaseModel):
    """One line of an NLU evaluation set."""

    model_config = ConfigDict(extra="ignore")

    lang: str
    intent: str
    text: str
    entities: dict[str, Any] | None = None


class Prediction(BaseModel):
    """What the model said about one text."""

    intent: str | None
    confidence: float = 0.0
    ranking: list[dict[str, Any]] = Field(default_factory=list)


def load_examples(path: Path) -> list[NluExample]:
    """Read the JSON Lines file; a bad line fails with its line number."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            examples.append(NluExample.model_validate_json(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    return examples


def predict(texts: list[str], model: Path = DEFAULT_MODEL) -> list[Prediction]:
    """Parse every text with the trained Rasa model (a ``.venv-rasa`` subprocess)."""
    if not model.exists():
        raise FileNotFoundError(f"{model} not found: run `make setup` to train the model")
    stdin = "\n".join(json.dumps(t) for t in texts) + "\n"
    result = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-m", "bot.rasa_parse", str(model)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"rasa parse failed: {result.stderr[-2000:]}")
    return [
        Prediction.model_validate_json(line)
        for line in result.stdout.splitlines()
        if line.startswith("{")
    ]


def _norm(value: Any) -> str:
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        return f"{float(value):g}"
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def entities_of(text: str, lang: str) -> dict[str, Any]:
    """The lead facts the form's extractor finds in one message (first of each key)."""
    found: dict[str, Any] = {}
    for fact in facts.extract_facts(text, lang):
        if str(fact.key) in ENTITY_KEYS:
            found.setdefault(str(fact.key), fact.value)
    return found


def _f1_by_intent(gold: list[str], pred: list[str]) -> dict[str, dict[str, float]]:
    labels = sorted(set(gold))
    table: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    return table


def _scores(gold: list[str], pred: list[str]) -> dict[str, Any]:
    per_intent = _f1_by_intent(gold, pred)
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    macro = sum(v["f1"] for v in per_intent.values()) / len(per_intent) if per_intent else 0.0
    return {
        "n": len(gold),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro, 4),
        "per_intent": per_intent,
    }


def _entity_scores(examples: list[NluExample]) -> dict[str, float | int]:
    tp = fp = fn = 0
    for example in examples:
        if example.entities is None:
            continue  # unannotated lines say nothing about entities
        gold = {k: _norm(v) for k, v in example.entities.items()}
        found = {k: _norm(v) for k, v in entities_of(example.text, example.lang).items()}
        tp += sum(1 for k, v in found.items() if gold.get(k) == v)
        fp += sum(1 for k, v in found.items() if gold.get(k) != v)
        fn += sum(1 for k, v in gold.items() if found.get(k) != v)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
    }


def evaluate(examples: list[NluExample], predictions: list[Prediction]) -> dict[str, Any]:
    """The report of DESIGN.md: accuracy, macro-F1 (overall and by language), entities."""
    gold = [e.intent for e in examples]
    pred = [p.intent or FALLBACK for p in predictions]
    overall = _scores(gold, pred)
    by_lang: dict[str, Any] = {}
    for lang in sorted({e.lang for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        scores = _scores([gold[i] for i in idx], [pred[i] for i in idx])
        by_lang[lang] = {
            "n": scores["n"],
            "accuracy": scores["accuracy"],
            "macro_f1": scores["macro_f1"],
        }
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    errors: dict[str, list[str]] = defaultdict(list)
    for example, p in zip(examples, pred, strict=True):
        if example.intent != p and len(errors[example.intent]) < 3:
            errors[example.intent].append(f"{example.text!r} → {p}")
    return {
        "n": overall["n"],
        "accuracy": overall["accuracy"],
        "macro_f1": overall["macro_f1"],
        "by_lang": by_lang,
        "per_intent": overall["per_intent"],
        "entities": _entity_scores(examples),
        "confusions": [
            {"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(20)
        ],
        "examples_of_errors": dict(errors),
    }

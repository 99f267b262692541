"""The project's Rasa NLU components, trained for real in .venv-rasa on a tiny fixture.

One subprocess trains the pipeline of config.yml (FallbackClassifier off, since a dozen
examples per intent give lower confidences than the real data) and parses a few messages;
the assertions run here. About 30 s.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "nlu_fixture"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
EXPECTED = {
    "ciao!": "greet",
    "vorrei affittare un appartamento in centro": "rent_property",
    "I'd like to rent a flat near Navigli": "rent_property",
    "non mandatemi più messaggi": "stop",
    "please stop sending messages": "stop",
    "arrivederci e grazie": "goodbye",
}


def _fixture_config(path: Path) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_PYTHON} is missing: run `make setup`")
    work = tmp_path_factory.mktemp("nlu")
    result = subprocess.run(
        [
            str(RASA_PYTHON),
            str(FIXTURE / "rasa_check.py"),
            str(_fixture_config(work / "config.yml")),
            str(FIXTURE / "nlu.yml"),
            str(work),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        },
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads((work / "report.json").read_text())


def test_config_uses_the_project_components() -> None:
    names = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    assert "bot.nlu_components.UniversalSentenceEncoderFeaturizer" in names
    assert "bot.nlu_components.DenseSparseLogRegClassifier" in names
    assert names[-1] == "FallbackClassifier"
    assert "bot.nlu_components.HubMetadataEntityExtractor" in names


def test_metadata_extractor_adds_only_allowed_metadata_values(report: dict[str, Any]) -> None:
    en, unknown, empty, missing, wrong_type, kept = report["metadata_entities"]
    assert [(e["entity"], e["value"], e["extractor"]) for e in en] == [
        ("language", "en", "HubMetadataEntityExtractor")
    ]
    assert unknown == empty == missing == wrong_type == []
    assert [e["entity"] for e in kept] == ["area", "language"]


def test_featurizer_adds_a_512_dim_unit_sentence_feature(report: dict[str, Any]) -> None:
    features = report["featurizer"]
    assert features["shape"] == [1, 512]
    assert features["norm"] == pytest.approx(1.0, abs=1e-3)
    assert features["has_sequence"] is False
    assert features["origin"] == "use_featurizer"


def test_featurizer_lowercases_by_default(report: dict[str, Any]) -> None:
    assert report["featurizer"]["case_cosine"] == pytest.approx(1.0, abs=1e-5)


def test_classifier_trains_persists_and_loads(report: dict[str, Any]) -> None:
    classifier = report["classifier"]
    assert classifier["classes"] == ["a", "b", "c"]
    assert classifier["predicted"] == ["a", "b", "c"]


def test_classifier_single_message_path_matches_training_features(
    report: dict[str, Any],
) -> None:
    assert report["classifier"]["max_path_difference"] < 1e-9


def test_untrained_classifier_predicts_no_intent(report: dict[str, Any]) -> None:
    assert report["classifier"]["untrained_intent"] == {"name": None, "confidence": 0.0}


def test_parse_has_intent_and_ranking(report: dict[str, Any]) -> None:
    for parsed in report["parses"]:
        if not parsed["text"]:
            continue
        intent, ranking = parsed["intent"], parsed["intent_ranking"]
        assert intent["name"] == ranking[0]["name"]
        assert 0.0 < intent["confidence"] <= 1.0
        confidences = [r["confidence"] for r in ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert len(ranking) == 4  # every fixture intent (ranking_length 10 caps it)
        assert sum(confidences) == pytest.approx(1.0, abs=1e-6)


def test_parse_classifies_italian_and_english(report: dict[str, Any]) -> None:
    predicted = {p["text"]: p["intent"]["name"] for p in report["parses"] if p["text"]}
    assert predicted == EXPECTED


def test_empty_message_gets_no_intent(report: dict[str, Any]) -> None:
    (empty,) = [p for p in report["parses"] if not p["text"]]
    assert empty["intent"] == {"name": None, "confidence": 0.0}
    assert empty["intent_ranking"] == []

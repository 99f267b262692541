"""Train the project's pipeline on the fixture and report what it does (runs in .venv-rasa).

``python rasa_check.py CONFIG NLU_YML WORKDIR`` writes ``WORKDIR/report.json``.
"""

import asyncio
import json
import logging
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, INTENT, METADATA, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu_components import (
    DenseSparseLogRegClassifier,
    HubMetadataEntityExtractor,
    UniversalSentenceEncoderFeaturizer,
)

PROBES = [
    "ciao!",
    "vorrei affittare un appartamento in centro",
    "I'd like to rent a flat near Navigli",
    "non mandatemi più messaggi",
    "please stop sending messages",
    "arrivederci e grazie",
    "",
]


def featurizer_report() -> dict:
    context = ExecutionContext(GraphSchema({}), node_name="use_featurizer")
    featurizer = UniversalSentenceEncoderFeaturizer.create(
        UniversalSentenceEncoderFeaturizer.get_default_config(), None, None, context
    )
    messages = [Message({TEXT: "Vorrei un BILOCALE"}), Message({TEXT: "vorrei un bilocale"})]
    featurizer.process(messages)
    vectors = [m.get_dense_features(TEXT)[1].features for m in messages]
    sequence = messages[0].get_dense_features(TEXT)[0]
    return {
        "shape": list(vectors[0].shape),
        "norm": float(np.linalg.norm(vectors[0])),
        "case_cosine": float(vectors[0].ravel() @ vectors[1].ravel()),
        "has_sequence": sequence is not None,
        "origin": messages[0].features[0].origin,
    }


def _synthetic(rng: np.random.Generator, label: str, with_intent: bool = True) -> Message:
    """A message whose dense and sparse sentence features point at its label."""
    index = "abc".index(label)
    dense = rng.normal(0, 0.3, (1, 16))
    dense[0, index] += 1.0
    # column index*3 appears twice: the classifier must sum duplicate entries
    columns = np.array([index * 3, index * 3, index * 3 + 1, int(rng.integers(9, 12))])
    sparse = sp.coo_matrix((np.ones(4), (np.zeros(4, dtype=int), columns)), shape=(1, 12))
    message = Message({TEXT: f"text {label}", **({INTENT: label} if with_intent else {})})
    message.add_features(Features(dense, FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    message.add_features(Features(sparse, FEATURE_TYPE_SENTENCE, TEXT, "sparse"))
    return message


def classifier_report(work: Path) -> dict:
    """Train, persist and load the classifier directly; compare its two prediction paths."""
    rng = np.random.default_rng(0)
    (work / "storage").mkdir()
    storage = LocalModelStorage(work / "storage")
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    config = DenseSparseLogRegClassifier.get_default_config()
    resource = Resource("classifier")
    untrained = DenseSparseLogRegClassifier.create(config, storage, resource, context)
    before = untrained.process([_synthetic(rng, "a", with_intent=False)])[0].get(INTENT)
    examples = [_synthetic(rng, label) for label in "abc" for _ in range(20)]
    untrained.train(TrainingData(training_examples=examples))
    loaded = DenseSparseLogRegClassifier.load(config, storage, resource, context)
    probes = [_synthetic(rng, label, with_intent=False) for label in "abc"]
    loaded.process(probes)
    batch = loaded.model.predict_proba(
        loaded._weighted(loaded._raw_features(probes), loaded.model.idf)
    )
    single = np.array(
        [
            [{r["name"]: r["confidence"] for r in p.get("intent_ranking")}[c] for c in "abc"]
            for p in probes
        ]
    )
    return {
        "untrained_intent": before,
        "classes": loaded.model.classes,
        "predicted": [p.get(INTENT)["name"] for p in probes],
        "max_path_difference": float(np.abs(batch - single).max()),
    }


def metadata_report() -> list:
    """Entities the metadata extractor adds for a few metadata shapes."""
    context = ExecutionContext(GraphSchema({}), node_name="metadata_entities")
    extractor = HubMetadataEntityExtractor.create({}, None, None, context)
    cases = [{"language": "en"}, {"language": "fr"}, {}, None, {"language": 3}]
    messages = [Message({TEXT: "hello", METADATA: meta}) for meta in cases]
    messages.append(
        Message({TEXT: "x", METADATA: {"language": "it"}, ENTITIES: [{"entity": "area"}]})
    )
    extractor.process(messages)
    return [m.get(ENTITIES, []) for m in messages]


async def parse_all(model: str) -> list:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in PROBES]


def main() -> None:
    config, nlu, work = sys.argv[1:4]
    logging.disable(logging.WARNING)
    from rasa.model_training import train_nlu

    model = train_nlu(config, nlu, str(Path(work) / "models"), fixed_model_name="fixture")
    parses = asyncio.run(parse_all(model))
    report = {
        "model": model,
        "parses": parses,
        "featurizer": featurizer_report(),
        "classifier": classifier_report(Path(work)),
        "metadata_entities": metadata_report(),
    }
    (Path(work) / "report.json").write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main()

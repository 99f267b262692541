"""Train the project's pipeline on the fixture and report what it does (runs in .venv-rasa).

``python rasa_check.py CONFIG NLU_YML WORKDIR`` writes ``WORKDIR/report.json``.
"""

import asyncio
import json
import logging
import sys
from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu_components import UniversalSentenceEncoderFeaturizer

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
    report = {"model": model, "parses": parses, "featurizer": featurizer_report()}
    (Path(work) / "report.json").write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main()

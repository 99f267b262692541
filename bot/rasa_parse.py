"""Batch-parse texts with a trained Rasa model (runs inside ``.venv-rasa``).

Reads one JSON string per line on stdin, writes one JSON object per line on stdout:
``{"intent": name, "confidence": float, "ranking": [...]}``. Used by ``wabot eval nlu`` so the
evaluation runs the real trained model without a running server. Imports only Rasa.
"""

import asyncio
import json
import logging
import os
import sys


async def _parse_all(model_path: str, texts: list[str]) -> list[dict[str, object]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed.get("intent") or {}
        results.append(
            {
                "intent": intent.get("name"),
                "confidence": float(intent.get("confidence") or 0.0),
                "ranking": [
                    {"name": r.get("name"), "confidence": float(r.get("confidence") or 0.0)}
                    for r in (parsed.get("intent_ranking") or [])[:5]
                ],
            }
        )
    return results


def main() -> None:
    """Entry point: ``python -m bot.rasa_parse MODEL < texts.jsonl``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    texts = [json.loads(line) for line in sys.stdin if line.strip()]
    for result in asyncio.run(_parse_all(sys.argv[1], texts)):
        sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()

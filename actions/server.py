"""Runs the action server in one process on 127.0.0.1 (``python -m actions.server``).

rasa_sdk's own runner spawns Sanic workers by pickling the action executor, which fails once
actions hold locks or clients; one process per port is also how we scale (more ports).
"""

from __future__ import annotations

import argparse
import logging
import time

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

log = logging.getLogger(__name__)


def warm_knowledge_base(executor: ActionExecutor) -> None:
    """Load the FAQ action's encoders and index before serving, so no customer waits ~6 s."""
    from actions.faq import ActionAnswerFaq

    action = getattr(executor.actions.get("action_answer_faq"), "__self__", None)
    if not isinstance(action, ActionAnswerFaq):
        return
    started = time.perf_counter()
    retriever = action.kb.warm()
    log.info(
        "knowledge base loaded in %.1f s (version %s)",
        time.perf_counter() - started,
        retriever.version,
    )


def main() -> None:
    """Parse ``--port``/``--host`` and serve the ``actions`` package."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    executor = ActionExecutor()
    executor.register_package("actions")
    warm_knowledge_base(executor)
    app = create_app_for_serve(executor, cors_origins=None)
    app.prepare(host=args.host, port=args.port, single_process=True, access_log=False)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()

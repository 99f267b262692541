"""Runs the action server in one process on 127.0.0.1 (``python -m actions.server``).

rasa_sdk's own runner spawns Sanic workers by pickling the action executor, which fails once
actions hold locks or clients; one process per port is also how we scale (more ports).
"""

from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic


def main() -> None:
    """Parse ``--port``/``--host`` and serve the ``actions`` package."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app_for_serve(executor, cors_origins=None)
    app.prepare(host=args.host, port=args.port, single_process=True, access_log=False)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()

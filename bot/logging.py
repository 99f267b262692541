"""Structured JSON logs (structlog): conversation id bound per message, personal data masked.

structlog's own loggers and the standard library's (the handoff service, uvicorn, libraries)
go through the same processors, so every line is one JSON object with secrets redacted and
phone numbers and e-mails masked (``bot/privacy.py``).
"""

import logging
import os

import structlog
from structlog.typing import Processor

from bot.privacy import mask_event


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _render() -> list[Processor]:
    return [structlog.processors.format_exc_info, mask_event, structlog.processors.JSONRenderer()]


def _route_standard_logging(level: int) -> None:
    """Render standard-library records as the same masked JSON lines."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared(), structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_render()],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if name == "uvicorn.access" and not logger.handlers:
            continue  # access logs are off (``--no-access-log``): keep them off
        logger.handlers = []
        logger.propagate = True
    for chatty in ("httpx", "httpcore"):  # one line per HTTP call: only problems
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))


def configure_logging() -> None:
    """JSON lines to stderr; ``BOT_LOG_LEVEL`` sets the level (default INFO)."""
    level = getattr(logging, os.environ.get("BOT_LOG_LEVEL", "INFO").upper(), logging.INFO)
    structlog.configure(
        processors=[*_shared(), *_render()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    _route_standard_logging(level)

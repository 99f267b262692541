"""Structured JSON logs (structlog) with the conversation id bound where known."""

import logging
import os

import structlog


def configure_logging() -> None:
    """JSON lines to stderr; ``BOT_LOG_LEVEL`` sets the level (default INFO)."""
    level = getattr(logging, os.environ.get("BOT_LOG_LEVEL", "INFO").upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )

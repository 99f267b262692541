"""Secrets: the hub refuses to start without them outside simulator mode, and never logs them.

Log lines are captured from the real logging set-up: structlog's and the standard library's
(the handoff service, uvicorn) go through the same masking processor.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from pydantic import ValidationError

from bot.config import SIMULATOR_APP_SECRET, Settings
from bot.logging import configure_logging
from bot.privacy import conversation_context, conversation_id

ROOT = Path(__file__).resolve().parents[2]
SERVICE = {"BOT_SERVICE_TOKEN": "s3rvice"}  # the field is read by its environment name


def _start_hub(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import and build the hub as uvicorn's factory would, in a clean process."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "HANDOFF_"))}
    return subprocess.run(
        [sys.executable, "-c", "from bot.main import create_app; create_app()"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False,
    )


def test_hub_refuses_to_start_without_an_app_secret_outside_simulator_mode() -> None:
    refused = _start_hub({"BOT_SIMULATOR_MODE": "false", "BOT_WHATSAPP_VERIFY_TOKEN": "v",
                          "BOT_WHATSAPP_TOKEN": "t", "BOT_SERVICE_TOKEN": "s3rvice",
                          "BOT_WHATSAPP_API_BASE": "https://graph.facebook.com"})
    assert refused.returncode != 0
    assert "BOT_WHATSAPP_APP_SECRET must be set" in refused.stderr
    started = _start_hub({"BOT_SIMULATOR_MODE": "true"})
    assert started.returncode == 0, started.stderr


def test_simulator_mode_fills_a_dev_secret_production_takes_the_real_one() -> None:
    assert Settings(simulator_mode=True).whatsapp_app_secret.get_secret_value() == (
        SIMULATOR_APP_SECRET
    )
    with pytest.raises(ValidationError, match="BOT_WHATSAPP_APP_SECRET"):
        Settings(simulator_mode=False, whatsapp_verify_token="v", whatsapp_token="t",
                 whatsapp_api_base="https://graph.facebook.com", **SERVICE)
    production = Settings(simulator_mode=False, whatsapp_app_secret="real-secret",
                          whatsapp_verify_token="v", whatsapp_token="t",
                          whatsapp_api_base="https://graph.facebook.com", **SERVICE)
    assert "real-secret" not in repr(production) and "real-secret" not in str(production)


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_logs_mask_phones_and_emails_redact_secrets_and_carry_the_conversation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging()
    log = structlog.get_logger("test.privacy")
    with conversation_context("393331234567", b"key") as conversation:
        log.info("lead.received", contact="393331234567", phone="+39 333 123 4567",
                 note="scrivimi a mario.rossi@example.com o al 333-1234567",
                 token="s3cret-token", headers={"Authorization": "Bearer abc"})
        logging.getLogger("handoff.tickets").warning("ticket for %s", "+393331234567")
    captured = capsys.readouterr()
    output = captured.out + captured.err
    for leaked in ("3331234567", "333 123 4567", "mario.rossi", "s3cret-token", "Bearer abc"):
        assert leaked not in output, leaked
    lines = _lines(output)
    ours = next(line for line in lines if line["event"] == "lead.received")
    assert ours["contact"] == "***567" and ours["token"] == "[redacted]"
    assert ours["conversation"] == conversation == conversation_id("393331234567", b"key")
    assert "m***@example.com" in str(ours["note"])
    stdlib = next(line for line in lines if line.get("logger") == "handoff.tickets")
    assert stdlib["event"] == "ticket for ***567" and stdlib["conversation"] == conversation

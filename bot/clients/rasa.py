"""Rasa server client: the REST channel and the tracker API."""

from __future__ import annotations

import time
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from bot.metrics import RASA_LATENCY

# Marker reply of ``bot/rasa_channel.py`` (Rasa side) when handling a message failed.
TURN_FAILED = "wabot_error"


class RasaUnavailableError(RuntimeError):
    """Rasa did not answer (down, restarting or overloaded); the message must wait."""


class RasaButton(BaseModel):
    """A button Rasa attached to a reply."""

    model_config = ConfigDict(extra="ignore")

    title: str
    payload: str


class RasaReply(BaseModel):
    """One bot message from Rasa's REST channel."""

    model_config = ConfigDict(extra="ignore")

    text: str | None = None
    buttons: list[RasaButton] = Field(default_factory=list)
    image: str | None = None
    custom: dict[str, Any] | None = None


class RasaClient:
    """Talks to the Rasa server over its REST channel."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaReply]:
        """Send one user message and return the bot's replies."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        started = time.perf_counter()
        try:
            response = await self._http.post(f"{self._base}/webhooks/rest/webhook", json=body)
        except httpx.TransportError as exc:
            raise RasaUnavailableError(f"Rasa at {self._base} unreachable: {exc!r}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RasaUnavailableError(f"Rasa answered {response.status_code}")
        response.raise_for_status()
        RASA_LATENCY.observe(time.perf_counter() - started)
        replies = [RasaReply.model_validate(reply) for reply in response.json()]
        failed = [r.custom[TURN_FAILED] for r in replies if r.custom and TURN_FAILED in r.custom]
        if failed:  # bot/rasa_channel.py: Rasa could not finish the turn
            raise RasaUnavailableError(f"Rasa failed to handle the message: {failed[0]}")
        return replies

    async def tracker(self, sender: str) -> dict[str, Any]:
        """Return the conversation tracker (requires ``rasa run --enable-api``)."""
        response = await self._http.get(f"{self._base}/conversations/{sender}/tracker")
        response.raise_for_status()
        tracker: dict[str, Any] = response.json()
        return tracker

    async def is_ready(self) -> bool:
        """True when the server answers and has a model loaded."""
        try:
            response = await self._http.get(f"{self._base}/status", timeout=2.0)
        except httpx.TransportError:
            return False
        return response.status_code == 200 and bool(response.json().get("model_file"))

"""Action server probe: the router asks it when Rasa answered nothing."""

from __future__ import annotations

import httpx


class ActionServerClient:
    """Checks whether the Rasa action server (custom actions) answers."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def is_ready(self) -> bool:
        """True when ``/health`` answers 200 within 2 seconds."""
        try:
            response = await self._http.get(f"{self._base}/health", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

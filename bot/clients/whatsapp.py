"""WhatsApp Cloud API sender: one ``_request`` that logs and raises typed errors."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

log = structlog.get_logger(__name__)

# Cloud API error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
RE_ENGAGEMENT = 131047  # more than 24 hours since the customer's last message
PAIR_RATE_LIMIT = 131056  # too many messages to one contact in a short time
TEMPORARY_CODES = {1, 2, 131000, 131016, 133004}


class WhatsAppError(Exception):
    """An error answer of the Cloud API (or a transport failure, ``status`` 0)."""

    def __init__(self, *, status: int, code: int | None, message: str) -> None:
        super().__init__(f"WhatsApp API error status={status} code={code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def is_retryable(self) -> bool:
        """True for timeouts, 429, 5xx and throughput/temporary error codes."""
        return (
            self.status in (0, 429)
            or self.status >= 500
            or self.code in RATE_LIMIT_CODES
            or self.code in TEMPORARY_CODES
        )

    @property
    def needs_template(self) -> bool:
        """True when only an approved template may be sent (24-hour window closed)."""
        return self.code == RE_ENGAGEMENT

    @classmethod
    def from_response(cls, response: httpx.Response) -> WhatsAppError:
        """Build the error from Meta's ``{"error": {...}}`` body."""
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        return cls(
            status=response.status_code,
            code=error.get("code"),
            message=str(error.get("message") or response.text[:200]),
        )


class WhatsAppClient:
    """Sends messages and fetches media through the Cloud API (real or the fake one)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        version: str,
        phone_number_id: str,
        token: str,
        timeout_s: float | None = None,
    ) -> None:
        self._http = http
        self._timeout = httpx.Timeout(timeout_s, connect=3.0) if timeout_s else None
        self._root = f"{base_url.rstrip('/')}/{version}"
        self._messages_url = f"{self._root}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def send(self, payload: dict[str, Any]) -> str:
        """Send one message payload and return the ``wamid`` Meta gave it."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        response = await self._request("POST", self._messages_url, json=body)
        return str(response.json()["messages"][0]["id"])

    async def media_url(self, media_id: str) -> tuple[str, str | None]:
        """Return the download URL and MIME type of a media object."""
        response = await self._request("GET", f"{self._root}/{media_id}")
        body = response.json()
        return str(body["url"]), body.get("mime_type")

    async def download(self, url: str) -> bytes:
        """Download media bytes (the URL needs the same bearer token)."""
        response = await self._request("GET", url)
        return response.content

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self._timeout is not None:
            kwargs.setdefault("timeout", self._timeout)
        try:
            response = await self._http.request(method, url, headers=self._headers, **kwargs)
        except httpx.TransportError as exc:
            log.warning("whatsapp.transport_error", url=url, error=repr(exc))
            raise WhatsAppError(status=0, code=None, message=repr(exc)) from exc
        if response.status_code >= 400:
            error = WhatsAppError.from_response(response)
            log.warning("whatsapp.api_error", status=error.status, code=error.code)
            raise error
        return response


def text_payload(to: str, text: str) -> dict[str, Any]:
    """A plain text message (links previewed)."""
    return {"to": to, "type": "text", "text": {"body": text, "preview_url": True}}


def buttons_payload(to: str, text: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """Reply buttons (at most 3, titles at most 20 characters) or a list (at most 10 rows)."""
    if len(buttons) <= 3:
        return {
            "to": to,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": text[:1024]},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": payload[:256], "title": title[:20]}}
                        for title, payload in buttons
                    ]
                },
            },
        }
    rows = [{"id": payload[:200], "title": title[:24]} for title, payload in buttons[:10]]
    return {
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": text[:4096]},
            "action": {"button": "Options"[:20], "sections": [{"title": "Menu", "rows": rows}]},
        },
    }


def template_payload(to: str, name: str, language: str, parameters: list[str]) -> dict[str, Any]:
    """An approved template message with body parameters."""
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
        ]
    return {"to": to, "type": "template", "template": template}

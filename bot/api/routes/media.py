"""Media the customers sent, fetched through the Cloud API (for staff during a handoff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status

from bot.api.deps import ServiceDep
from bot.clients.whatsapp import WhatsAppClient, WhatsAppError

router = APIRouter(prefix="/api/media", tags=["media"])


MediaId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9._-]{1,128}$", description="The Cloud API's media id")
]


@router.get("/{media_id}")
async def download(media_id: MediaId, _: ServiceDep, request: Request) -> Response:
    """The media bytes with their MIME type (Meta's URL is short-lived, so fetch on demand)."""
    whatsapp: WhatsAppClient = request.app.state.whatsapp
    try:
        url, mime = await whatsapp.media_url(media_id)
        content = await whatsapp.download(url)
    except WhatsAppError as error:
        if error.status in (400, 404):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"media {media_id} not found (Meta keeps media for 30 days)",
            ) from error
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, f"the Cloud API did not give the media: {error}"
        ) from error
    return Response(
        content,
        media_type=mime or "application/octet-stream",
        headers={"Cache-Control": "private, max-age=300"},
    )

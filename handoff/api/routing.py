"""A route class that turns domain errors into HTTP answers wherever the router is mounted."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from handoff.errors import HandoffError


class HandoffRoute(APIRoute):
    """``HandoffError`` -> ``{"detail": message}`` with its status code."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler (exception handlers can't be set on a router)."""
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HandoffError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

        return route_handler

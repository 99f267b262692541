"""Error pages: login redirects, 403 for the wrong role, service refusals shown as pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from bot.web.auth import LoginRequiredError, PageForbiddenError
from bot.web.templating import render
from handoff.errors import HandoffError


def validation_message(exc: ValidationError) -> str:
    """Pydantic's errors as one readable line: ``field: problem; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'form'}: {error['msg']}"
        for error in exc.errors()
    )


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The error page with a reason (never a bare 500 for bad input)."""
    return render(request, "error.html", status_code=status_code, message=message)


class PageRoute(APIRoute):
    """Service refusals (``HandoffError``) and invalid forms become error pages (4xx)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler."""
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HandoffError as exc:
                return error_page(request, exc.status_code, str(exc))
            except ValidationError as exc:
                return error_page(request, 422, validation_message(exc))

        return route_handler


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(exc.login_url, status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageForbiddenError)
    return render(request, "forbidden.html", status_code=403, reason=exc.reason)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A page's invalid form gets the error page; the JSON APIs keep FastAPI's 422 body."""
    assert isinstance(exc, RequestValidationError)
    if not isinstance(request.scope.get("route"), PageRoute):
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc'][1:]) or 'form'}: {error['msg']}"
        for error in exc.errors()
    )
    return error_page(request, 422, problems)


def install_error_handlers(app: FastAPI) -> None:
    """Register the page exceptions on the app."""
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(PageForbiddenError, _forbidden)
    app.add_exception_handler(RequestValidationError, _invalid_request)

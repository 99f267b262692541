"""Mount the staff pages on the hub: routers, static files and error pages.

Every module of ``bot/web/routes/`` with a module-level ``router`` is included (sorted by
name), so a new page is a new module there and nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from bot.web import routes
from bot.web.errors import install_error_handlers
from bot.web.templating import STATIC_URL

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "web"


def page_routers() -> list[APIRouter]:
    """The ``router`` of each module in ``bot/web/routes/``."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def install(app: FastAPI) -> None:
    """Add every staff page router, ``/static/web`` and the page error handlers."""
    for router in page_routers():
        app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="web-static")
    install_error_handlers(app)

"""Jinja2 rendering of the staff pages (``bot/templates/web/``), with the page context."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2.runtime import Context
from markupsafe import Markup

from bot.web.i18n import LANGUAGES, Translator, choose_language
from bot.web.nav import nav_for
from bot.web.whatsapp_format import to_html

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
STATIC_URL = "/static/web"


@jinja2.pass_context
def _local_time(context: Context, value: datetime | str | None, fmt: str = "%d/%m %H:%M") -> str:
    """A timestamp in the business's time zone (``ui_tz``), short; empty for ``None``/bad."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value is None:
        return ""
    zone = context.get("ui_tz")
    return value.astimezone(zone if isinstance(zone, tzinfo) else None).strftime(fmt)


@jinja2.pass_context
def _number(context: Context, value: object) -> str:
    """Numbers grouped as the reader writes them (it ``350.000``, en ``350,000``); else as is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    grouped = f"{value:,}" if isinstance(value, int) or value.is_integer() else f"{value:,.2f}"
    grouped = grouped.removesuffix(".0")
    if context.get("ui_lang") == "it":
        grouped = grouped.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return grouped


def business_timezone(request: Request) -> tzinfo | None:
    """The time zone staff read times in: the first team's calendar (``handoff/teams.yml``)."""
    state = getattr(request.app.state, "handoff", None)
    teams = list(state.teams.teams.values()) if state is not None else []
    return teams[0].calendar.timezone if teams else None


@cache
def environment() -> jinja2.Environment:
    """The page templates (autoescaped; undefined variables fail loudly)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = _local_time
    env.filters["number"] = _number
    env.filters["whatsapp"] = lambda text: Markup(to_html(str(text or "")))  # escapes first
    env.globals["static"] = lambda name: f"{STATIC_URL}/{name}"
    env.globals["ui_languages"] = LANGUAGES
    return env


def page_context(request: Request) -> dict[str, Any]:
    """What every page needs: UI language, ``t``, user, CSRF token, navigation, current path."""
    language = choose_language(request)
    user = getattr(request.state, "staff_user", None)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        "ui_lang": language,
        "ui_tz": business_timezone(request),
        "t": Translator(language),
        "user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "nav": nav_for(user),
        "path": request.url.path,
        "here": path,
    }


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the page context plus ``context``."""
    body = environment().get_template(template).render(**page_context(request), **context)
    return HTMLResponse(body, status_code=status_code)

"""Administration pages: staff users (admins), teams and hours, canned replies, templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.web.auth import AdminPage, SupervisorPage
from bot.web.errors import PageRoute
from bot.web.teams import team_views
from bot.web.templating import render
from bot.whatsapp.template_overrides import DELETED, TemplateOverrides, live_catalog
from bot.whatsapp.templates import TemplateCatalog, TemplateSpec
from handoff.api.deps import StateDep
from handoff.api.routes.users import apply_user_update
from handoff.api.state import HandoffState
from handoff.business_hours import WEEKDAYS
from handoff.errors import ConflictError, InvalidRequestError, NotFoundError
from handoff.models import (
    CannedReplyIn,
    HistoryEntry,
    Language,
    Priority,
    Role,
    StaffUser,
    StaffUserCreate,
    StaffUserUpdate,
    TicketEvent,
)
from handoff.teams import TeamSpec

router = APIRouter(
    prefix="/admin", tags=["staff pages"], route_class=PageRoute, include_in_schema=False
)
Name = Annotated[str, Form(max_length=64)]
Short = Annotated[str, Form(max_length=256)]


def _split(value: str) -> list[str]:
    """``"Navigli, Isola"`` → ``["Navigli", "Isola"]``."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _check_not_self_lockout(user: StaffUser, username: str, changes: StaffUserUpdate) -> None:
    """An admin may not disable themselves or drop their own admin role from the page."""
    if username != user.username:
        return
    if changes.disabled or (changes.role is not None and changes.role is not Role.admin):
        raise ConflictError(
            "you cannot disable yourself or remove your own admin role; ask another admin"
        )


def _done(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


# --- users (admins only) -------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
async def users_page(
    request: Request, user: AdminPage, state: StateDep, done: str | None = None
) -> Response:
    """Every staff user with their role, teams and state; the form to add one."""
    users = sorted(await state.directory.all(), key=lambda u: u.username)
    return render(
        request,
        "admin/users.html",
        users=users,
        roles=list(Role),
        teams=state.teams.teams,
        done=done,
    )


@router.post("/users")
async def create_user(
    user: AdminPage,
    state: StateDep,
    username: Name,
    role: Annotated[Role, Form()],
    password: Short,
    display_name: Short = "",
    teams: Annotated[list[str] | None, Form()] = None,
    areas: Short = "",
) -> Response:
    """Add a user (password hashed with argon2)."""
    new_user = StaffUserCreate(
        username=username.strip().lower(),
        display_name=display_name.strip() or None,
        role=role,
        teams=teams or [],
        areas=_split(areas),
        password=password,
    )
    await state.directory.create(new_user)
    return _done("/admin/users", "user_added")


@router.post("/users/{username}")
async def update_user(
    username: str,
    user: AdminPage,
    state: StateDep,
    role: Annotated[Role, Form()],
    display_name: Short = "",
    teams: Annotated[list[str] | None, Form()] = None,
    areas: Short = "",
    password: Short = "",
) -> Response:
    """Change a user's role, name, teams, areas or password."""
    changes = StaffUserUpdate(
        role=role,
        display_name=display_name.strip() or None,
        teams=teams or [],
        areas=_split(areas),
        password=password or None,
    )
    _check_not_self_lockout(user, username, changes)
    await apply_user_update(state, username, changes)
    return _done("/admin/users", "user_saved")


@router.post("/users/{username}/disabled")
async def set_disabled(
    username: str, user: AdminPage, state: StateDep, disabled: Annotated[bool, Form()]
) -> Response:
    """Disable (ends their sessions) or enable a user."""
    changes = StaffUserUpdate(disabled=disabled)
    _check_not_self_lockout(user, username, changes)
    await apply_user_update(state, username, changes)
    return _done("/admin/users", "user_disabled" if disabled else "user_enabled")


@router.post("/users/{username}/unlock")
async def unlock_user(username: str, user: AdminPage, state: StateDep) -> Response:
    """Lift a login lockout."""
    await state.directory.require(username)
    await state.sessions.unlock(username)
    return _done("/admin/users", "user_unlocked")


# --- teams, canned replies, templates (supervisors) ---------------------------------------


@router.get("/teams", response_class=HTMLResponse)
async def teams_page(
    request: Request, user: SupervisorPage, state: StateDep, done: str | None = None
) -> Response:
    """Teams with their opening hours, closures, SLA and members; admins edit them."""
    members = await state.directory.all()
    overridden = {
        name for name in state.teams.teams if await state.team_overrides.stored(name) is not None
    }
    return render(
        request,
        "admin/teams.html",
        teams=team_views(state.teams, members),
        overridden=overridden,
        can_edit=user.role is Role.admin,
        weekdays=WEEKDAYS,
        priorities=[p.value for p in Priority],
        done=done,
    )


@router.post("/teams/{team}")
async def edit_team(team: str, request: Request, user: AdminPage, state: StateDep) -> Response:
    """Save a team's weekly hours, closures, SLA and escalation (validated, live, audited).

    Form fields: ``hours_<weekday>`` ("09:00-13:00, 14:00-18:00", empty = closed),
    ``closures`` ("12-07, 2026-08-14"), ``sla_<priority>`` and ``escalation_minutes`` (minutes).
    """
    form = await request.form()
    override = TeamSpec.model_validate(
        {
            "hours": {day: _split(str(form.get(f"hours_{day}", ""))) for day in WEEKDAYS},
            "closures": _split(str(form.get("closures", ""))),
            "sla_minutes": {p.value: form.get(f"sla_{p.value}") for p in Priority},
            "escalation_minutes": form.get("escalation_minutes") or None,
        }
    )
    await state.team_overrides.put(team, override, user.username)
    return _done("/admin/teams", "team_saved")


@router.post("/teams/{team}/reset")
async def reset_team(team: str, user: AdminPage, state: StateDep) -> Response:
    """Drop the admins' edits of a team: back to ``teams.yml``."""
    await state.team_overrides.reset(team, user.username)
    return _done("/admin/teams", "team_reset")


@router.get("/canned", response_class=HTMLResponse)
async def canned_page(
    request: Request, user: SupervisorPage, state: StateDep, done: str | None = None
) -> Response:
    """Canned replies: list, edit, add, delete."""
    replies = sorted(await state.canned.search(), key=lambda r: r.id)
    return render(
        request,
        "admin/canned.html",
        replies=replies,
        teams=state.teams.teams,
        languages=list(Language),
        done=done,
    )


@router.post("/canned")
async def put_canned(
    user: SupervisorPage,
    state: StateDep,
    id: Name,
    title: Short,
    text: Annotated[str, Form(max_length=4096)],
    language: Annotated[str, Form(max_length=8)] = "",
    team: Name = "",
) -> Response:
    """Create or replace a canned reply (placeholders are checked)."""
    reply = CannedReplyIn.model_validate(
        {
            "id": id.strip(),
            "title": title.strip(),
            "text": text.strip(),
            "language": language or None,
            "team": team or None,
        }
    )
    await state.canned.put(reply)
    return _done("/admin/canned", "canned_saved")


@router.post("/canned/{canned_id}/delete")
async def delete_canned(canned_id: str, user: SupervisorPage, state: StateDep) -> Response:
    """Delete a canned reply."""
    await state.canned.delete(canned_id)
    return _done("/admin/canned", "canned_deleted")


@router.get("/templates", response_class=HTMLResponse)
async def templates_page(
    request: Request, user: SupervisorPage, state: StateDep, done: str | None = None
) -> Response:
    """The WhatsApp templates of ``bot/templates.yml`` and the admins' declarations."""
    catalog = live_catalog(request.app)
    stored = await _template_store(request).stored()
    return render(
        request,
        "admin/templates.html",
        templates=list(catalog.templates),
        reengagement=catalog.reengagement,
        overridden={name for name, raw in stored.items() if raw != DELETED},
        can_edit=user.role is Role.admin,
        categories=list(get_args(TemplateSpec.model_fields["category"].annotation)),
        languages=[language.value for language in Language],
        done=done,
    )


@router.post("/templates")
async def put_template(
    request: Request,
    user: AdminPage,
    state: StateDep,
    name: Annotated[str, Form(pattern=r"^[a-z0-9_]{1,512}$")],
    category: Annotated[str, Form(max_length=32)],
    parameters: Short = "",
) -> Response:
    """Declare (add or replace) a template: validated, applied live, audited.

    Form fields besides ``name``/``category``/``parameters``: ``body_<lang>`` and
    ``buttons_<lang>`` (comma-separated) per language; an empty body leaves the language out.
    """
    form = await request.form()
    bodies = {lang.value: str(form.get(f"body_{lang.value}", "")).strip() for lang in Language}
    spec = TemplateSpec.model_validate(
        {
            "name": name,
            "category": category,
            "parameters": _split(parameters),
            "body": {lang: body for lang, body in bodies.items() if body},
            "buttons": {
                lang: buttons
                for lang in bodies
                if bodies[lang] and (buttons := _split(str(form.get(f"buttons_{lang}", ""))))
            },
        }
    )
    if not spec.body:
        raise InvalidRequestError("give the template's text in at least one language")
    try:
        catalog = await _template_store(request).put(spec)
    except PermissionError as exc:
        raise ConflictError(str(exc)) from None
    await _apply_templates(request, state, user, catalog, name, TicketEvent.template_saved)
    return _done("/admin/templates", "template_saved")


@router.post("/templates/{name}/delete")
async def delete_template(
    name: str, request: Request, user: AdminPage, state: StateDep
) -> Response:
    """Remove a template declaration (not the one used to re-open the window)."""
    try:
        catalog = await _template_store(request).delete(name)
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0])) from None
    await _apply_templates(request, state, user, catalog, name, TicketEvent.template_deleted)
    return _done("/admin/templates", "template_deleted")


def _template_store(request: Request) -> TemplateOverrides:
    return TemplateOverrides(request.app.state.redis, request.app.state.keys)


async def _apply_templates(
    request: Request,
    state: HandoffState,
    user: StaffUser,
    catalog: TemplateCatalog,
    name: str,
    event: TicketEvent,
) -> None:
    """Make ``catalog`` the hub's live one and audit the change."""
    request.app.state.template_catalog = catalog
    spec = catalog.get(name)
    entry = HistoryEntry(
        event=event,
        at=datetime.now(UTC),
        actor=user.username,
        detail={"template": name, "spec": spec.model_dump_json() if spec else None},
    )
    await state.store.record_audit(f"template:{name}", entry)

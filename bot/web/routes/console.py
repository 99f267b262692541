"""The staff console: the live queue by team, a conversation, and the actions on a ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from redis.asyncio import Redis

from bot.api.deps import KeysDep, RedisDep, SettingsDep
from bot.api.routes.templates import TemplateSend, queue_template
from bot.keys import Keys
from bot.web.auth import AgentPage
from bot.web.conversation import read_transcript, read_window, sla_state
from bot.web.errors import PageRoute, error_page
from bot.web.templating import render
from bot.whatsapp.template_overrides import live_catalog
from handoff.api.deps import StateDep
from handoff.api.state import HandoffState
from handoff.models import (
    ReopenRequest,
    ReplyRequest,
    ResolveRequest,
    Role,
    StaffUser,
    Ticket,
    TransferRequest,
)

router = APIRouter(
    prefix="/console", tags=["staff pages"], route_class=PageRoute, include_in_schema=False
)
MANAGERS = frozenset({Role.supervisor, Role.admin})
QUEUE_LIMIT = 500
Text = Annotated[str, Form(max_length=4096)]


def _visible_teams(state: HandoffState, user: StaffUser) -> list[str]:
    """Supervisors and admins see every team; an agent sees their teams (all when none)."""
    every = list(state.teams.teams)
    if user.role in MANAGERS or not user.teams:
        return every
    return [team for team in every if team in user.teams]


async def _queue(state: HandoffState, user: StaffUser) -> dict[str, Any]:
    """Open tickets grouped by team, the user's own, and who is online (managers)."""
    teams = _visible_teams(state, user)
    page = await state.tickets.search(status="open", limit=QUEUE_LIMIT)
    tickets = [t for t in page.tickets if t.team in teams]
    now = datetime.now(UTC)
    staff = await state.directory.all() if user.role in MANAGERS else []
    return {
        "teams": [(team, [t for t in tickets if t.team == team]) for team in teams],
        "team_labels": {name: team.label for name, team in state.teams.teams.items()},
        "sla": {t.id: sla_state(t, now) for t in tickets},
        "online": [u for u in staff if u.online and not u.disabled],
        "me": await state.directory.require(user.username),
    }


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, user: AgentPage, state: StateDep) -> Response:
    """The queue by team with SLA countdowns; live through ``/api/staff/events``."""
    return render(request, "console/queue.html", **await _queue(state, user))


@router.get("/queue", response_class=HTMLResponse)
async def queue_fragment(request: Request, user: AgentPage, state: StateDep) -> Response:
    """The queue alone (HTML fragment the page swaps in on every event)."""
    return render(request, "console/_queue.html", **await _queue(state, user))


@router.post("/presence")
async def set_presence(
    user: AgentPage, state: StateDep, online: Annotated[bool, Form()] = False
) -> Response:
    """Go online (queued tickets of your teams are offered to you) or offline."""
    updated = await state.directory.set_online(user.username, online)
    if online:
        await state.tickets.assign_queued(updated.teams or None)
    return RedirectResponse("/console", status_code=303)


async def _ticket_context(
    state: HandoffState, ticket: Ticket, user: StaffUser, redis: Redis, keys: Keys
) -> dict[str, Any]:
    """Everything the conversation page shows besides the ticket itself."""
    now = datetime.now(UTC)
    canned = await state.canned.search(language=ticket.contact.language, team=ticket.team)
    agents = [u for u in await state.directory.all() if u.role in (Role.agent, Role.supervisor)]
    return {
        "ticket": ticket,
        "sla": sla_state(ticket, now),
        "bubbles": await read_transcript(redis, keys, ticket.contact.phone),
        "window": await read_window(redis, keys, ticket.contact.phone, now),
        "canned": canned,
        "teams": state.teams.teams,
        "agents": [u for u in agents if not u.disabled],
        "is_holder": ticket.assignee == user.username,
        "is_manager": user.role in MANAGERS,
    }


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(
    request: Request,
    ticket_id: str,
    user: AgentPage,
    state: StateDep,
    redis: RedisDep,
    keys: KeysDep,
    settings: SettingsDep,
    done: str | None = None,
) -> Response:
    """Summary with facts and their sources, transcript with ticks, reply box, actions."""
    ticket = await state.tickets.get(ticket_id)
    context = await _ticket_context(state, ticket, user, redis, keys)
    return render(
        request,
        "console/ticket.html",
        done=done,
        templates=list(live_catalog(request.app).templates),
        simulator=settings.simulator_mode,
        **context,
    )


def _back(ticket_id: str, done: str) -> Response:
    return RedirectResponse(f"/console/tickets/{ticket_id}?done={done}", status_code=303)


@router.post("/tickets/{ticket_id}/claim")
async def claim(ticket_id: str, user: AgentPage, state: StateDep) -> Response:
    """Take the ticket."""
    await state.tickets.claim(ticket_id, user)
    return _back(ticket_id, "claimed")


@router.post("/tickets/{ticket_id}/reply")
async def reply(
    ticket_id: str,
    user: AgentPage,
    state: StateDep,
    text: Text = "",
    canned_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Send free text (or the chosen canned reply, placeholders filled) to the customer."""
    body = ReplyRequest(
        text=text.strip() or None, canned_id=None if text.strip() else canned_id or None
    )
    await state.tickets.reply(ticket_id, user, body)
    return _back(ticket_id, "replied")


@router.post("/tickets/{ticket_id}/note")
async def note(ticket_id: str, user: AgentPage, state: StateDep, text: Text = "") -> Response:
    """Add an internal note."""
    if not text.strip():
        raise HTTPException(422, "write the note first")
    await state.tickets.note(ticket_id, user, text.strip())
    return _back(ticket_id, "noted")


@router.post("/tickets/{ticket_id}/transfer")
async def transfer(
    ticket_id: str,
    user: AgentPage,
    state: StateDep,
    team: Annotated[str, Form(max_length=64)] = "",
    agent: Annotated[str, Form(max_length=64)] = "",
    note: Text = "",
) -> Response:
    """Move the ticket to a team's queue and/or one agent (supervisors: reassign)."""
    body = TransferRequest(team=team or None, agent=agent or None, note=note.strip() or None)
    await state.tickets.transfer(ticket_id, user, body)
    return _back(ticket_id, "transferred")


@router.post("/tickets/{ticket_id}/resolve")
async def resolve(
    ticket_id: str,
    user: AgentPage,
    state: StateDep,
    note: Text = "",
    notify_customer: Annotated[bool, Form()] = False,
) -> Response:
    """Close the ticket: the bot answers this customer again."""
    body = ResolveRequest(note=note.strip() or None, notify_customer=notify_customer)
    await state.tickets.resolve(ticket_id, user, body)
    return _back(ticket_id, "resolved")


@router.post("/tickets/{ticket_id}/reopen")
async def reopen(ticket_id: str, user: AgentPage, state: StateDep) -> Response:
    """Reopen a resolved ticket (back to the queue, the bot goes silent)."""
    await state.tickets.reopen(ticket_id, user, ReopenRequest())
    return _back(ticket_id, "reopened")


@router.post("/tickets/{ticket_id}/template")
async def send_template(
    request: Request,
    ticket_id: str,
    user: AgentPage,
    state: StateDep,
    redis: RedisDep,
    keys: KeysDep,
    settings: SettingsDep,
) -> Response:
    """Send an approved template when the 24-hour window has closed (parameters in order)."""
    ticket = await state.tickets.get(ticket_id)
    form = await request.form()
    name = str(form.get("template") or "")
    values = [str(v) for v in form.getlist("parameter")]
    body = TemplateSend(
        to=ticket.contact.phone,
        template=name,
        parameters=values,
        language=ticket.contact.language.value,
    )
    try:
        catalog = live_catalog(request.app)
        await queue_template(body, redis=redis, keys=keys, settings=settings, catalog=catalog)
    except HTTPException as exc:
        return error_page(request, exc.status_code, str(exc.detail))
    await state.tickets.note(ticket_id, user, f"template {name} sent")
    return _back(ticket_id, "template")

"""Command line of the handoff service, mounted by the hub as ``wabot users`` / ``wabot handoff``.

``users_app``: ``wabot users add NAME --role agent --team sales --areas Navigli,Isola``,
``list``, ``disable``, ``enable``, ``set-password``, ``unlock``.
``handoff_app``: ``sla`` (what deadline a message would get), ``stats``, ``export-leads``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import redis.asyncio as aioredis
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from handoff.api.state import connect_redis, hasher_for
from handoff.config import HandoffSettings, get_settings
from handoff.crm import leads_csv
from handoff.errors import HandoffError
from handoff.keys import Keys
from handoff.models import Priority, Role, StaffUserCreate, StaffUserUpdate
from handoff.reports import lead_tickets, stats
from handoff.sessions import SessionService
from handoff.staff import StaffDirectory
from handoff.store import TicketStore
from handoff.teams import TeamDirectory, load_teams

users_app = typer.Typer(help="Staff users of the handoff console.", no_args_is_help=True)
handoff_app = typer.Typer(help="Handoff tickets: SLA, stats, lead export.", no_args_is_help=True)
console = Console()
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@dataclass
class _Context:
    settings: HandoffSettings
    redis: aioredis.Redis
    keys: Keys
    teams: TeamDirectory
    directory: StaffDirectory
    sessions: SessionService
    store: TicketStore


@asynccontextmanager
async def _context() -> AsyncIterator[_Context]:
    settings = get_settings()
    teams = load_teams(
        settings.teams_file,
        sla_minutes=settings.sla_minutes,
        escalation_minutes=settings.escalation_minutes,
    )
    redis = connect_redis(settings)
    keys = Keys(settings.key_prefix)
    directory = StaffDirectory(redis, keys, set(teams.teams), hasher_for(settings))
    try:
        yield _Context(
            settings=settings,
            redis=redis,
            keys=keys,
            teams=teams,
            directory=directory,
            sessions=SessionService(redis, keys, directory, settings),
            store=TicketStore(redis, keys),
        )
    finally:
        await redis.aclose()


def _run(action: Callable[[_Context], Awaitable[T]]) -> T:
    """Run one async action with Redis; domain errors become a clean exit code 1."""

    async def main() -> T:
        async with _context() as context:
            return await action(context)

    try:
        return asyncio.run(main())
    except (HandoffError, ValidationError, OSError, aioredis.RedisError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc


def _split(values: list[str] | None) -> list[str]:
    """``--team a --team b`` or ``--areas "Navigli,Isola"`` -> a flat list."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="username (a-z, 0-9, '.', '_', '-')")],
    role: Annotated[Role, typer.Option(help="agent, supervisor, editor or admin")] = Role.agent,
    team: Annotated[
        list[str] | None, typer.Option(help="team(s), repeat or comma-separate")
    ] = None,
    areas: Annotated[str, typer.Option(help="areas covered, e.g. Navigli,Isola")] = "",
    display_name: Annotated[str | None, typer.Option(help="name shown to customers")] = None,
    max_concurrent: Annotated[int, typer.Option(help="open tickets at most")] = 5,
    password: Annotated[
        str | None, typer.Option(help="omit to be asked (not echoed)", show_default=False)
    ] = None,
) -> None:
    """Add a staff user (the password is stored as an argon2 hash)."""
    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    new_user = StaffUserCreate(
        username=name,
        role=role,
        teams=_split(team),
        areas=_split([areas]),
        display_name=display_name,
        max_concurrent=max_concurrent,
        password=secret,
    )
    user = _run(lambda c: c.directory.create(new_user))
    typer.echo(f"added {user.username} ({user.role.value}) teams={','.join(user.teams) or '-'}")


@users_app.command("list")
def list_users(as_json: JsonOpt = False) -> None:
    """List staff users."""
    users = _run(lambda c: c.directory.all())
    if as_json:
        rows = [u.public().model_dump(mode="json") for u in users]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="staff users")
    for column in ("username", "role", "teams", "areas", "max", "online", "disabled"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username,
            u.role.value,
            ",".join(u.teams) or "all",
            ",".join(u.areas),
            str(u.max_concurrent),
            "yes" if u.online else "no",
            "yes" if u.disabled else "no",
        )
    console.print(table)


@users_app.command("disable")
def disable_user(name: str) -> None:
    """Disable a user and end their sessions."""

    async def action(c: _Context) -> int:
        await c.directory.update(name, StaffUserUpdate(disabled=True))
        await c.directory.set_online(name, False)
        return await c.sessions.end_all(name)

    ended = _run(action)
    typer.echo(f"disabled {name}; {ended} session(s) ended")


@users_app.command("enable")
def enable_user(name: str) -> None:
    """Enable a disabled user."""
    _run(lambda c: c.directory.update(name, StaffUserUpdate(disabled=False)))
    typer.echo(f"enabled {name}")


@users_app.command("set-password")
def set_password(
    name: str,
    password: Annotated[
        str | None, typer.Option(help="omit to be asked", show_default=False)
    ] = None,
) -> None:
    """Change a password; the user's sessions end."""
    secret = password or typer.prompt("New password", hide_input=True, confirmation_prompt=True)

    async def action(c: _Context) -> None:
        await c.directory.update(name, StaffUserUpdate(password=secret))
        await c.sessions.end_all(name)

    _run(action)
    typer.echo(f"password of {name} changed")


@users_app.command("unlock")
def unlock_user(name: str) -> None:
    """Lift a lockout after too many failed logins."""

    async def action(c: _Context) -> None:
        await c.directory.require(name)
        await c.sessions.unlock(name)

    _run(action)
    typer.echo(f"unlocked {name}")


@handoff_app.command("sla")
def sla(
    at: Annotated[datetime, typer.Argument(help="message time, ISO 8601 with offset")],
    team: str = "sales",
    priority: Priority = Priority.normal,
    as_json: JsonOpt = False,
) -> None:
    """The SLA deadline and opening time a message at ``AT`` would get."""
    if at.tzinfo is None:
        typer.secho("error: give the time with its offset, e.g. 2026-03-06T18:10+01:00", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    directory = load_teams(settings.teams_file, sla_minutes=settings.sla_minutes)
    chosen = directory.get(team)
    report = {
        "team": team,
        "priority": priority.value,
        "sla_minutes": chosen.sla_minutes[priority],
        "is_open_now": chosen.calendar.is_open(at),
        "staff_reply_from": chosen.calendar.next_opening(at).isoformat(),
        "sla_deadline": chosen.sla_deadline(priority, at).isoformat(),
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        typer.echo(f"{key:>17}: {value}")


@handoff_app.command("stats")
def show_stats(as_json: JsonOpt = False) -> None:
    """Created, resolved, SLA breaches, escalations and queues per team."""
    report = _run(lambda c: stats(c.store, c.teams))
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    table = Table(title=f"handoff: {report.open} open, {report.sla_breached} SLA breaches")
    for column in ("team", "queued", "open", "open breached", "created", "resolved", "escalated"):
        table.add_column(column)
    for row in report.teams:
        values = (row.queued, row.open, row.open_breached, row.created, row.resolved, row.escalated)
        table.add_row(row.team, *(str(v) for v in values))
    console.print(table)


@handoff_app.command("export-leads")
def export_leads(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default stdout)")
    ] = None,
    since: Annotated[datetime | None, typer.Option(help="ISO 8601 with offset")] = None,
    until: Annotated[datetime | None, typer.Option(help="ISO 8601 with offset")] = None,
) -> None:
    """CSV of qualified leads."""
    body = _run(lambda c: _leads(c, since, until))
    if output is None:
        typer.echo(body, nl=False)
    else:
        output.write_text(body, encoding="utf-8")
        typer.echo(f"wrote {body.count(chr(10)) - 1} lead(s) to {output}", err=True)


async def _leads(c: _Context, since: datetime | None, until: datetime | None) -> str:
    return leads_csv(await lead_tickets(c.store, since, until))

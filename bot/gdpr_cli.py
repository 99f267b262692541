"""``wabot gdpr export|erase|retention``: a contact's data from the hub's Redis and services.

The commands read the same settings as the hub (``REDIS_URL``, ``BOT_*``) and reach the
handoff service over its API with the service token, so the hub must be running.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import httpx
import typer

from bot.clients.handoff import HandoffUnavailableError
from bot.config import get_settings
from bot.gdpr import ContactData
from bot.privacy import InvalidContactError
from bot.runtime import Runtime

gdpr_app = typer.Typer(help="GDPR: export or erase one contact's data.", no_args_is_help=True)
T = TypeVar("T")


def _run(work: Callable[[ContactData], Awaitable[T]]) -> T:
    """Run one GDPR operation with the hub's clients; errors become messages and exit 1."""

    async def _main() -> T:
        runtime = Runtime.create(get_settings())
        service = ContactData(
            redis=runtime.redis,
            keys=runtime.keys,
            settings=runtime.settings,
            handoff=runtime.handoff,
        )
        try:
            return await work(service)
        finally:
            await runtime.close()

    try:
        return asyncio.run(_main())
    except InvalidContactError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except (HandoffUnavailableError, httpx.HTTPError) as exc:
        typer.echo(f"the hub's handoff API did not answer ({exc}); start the stack", err=True)
        raise typer.Exit(1) from exc


Actor = Annotated[str, typer.Option(help="Who asks (kept in the GDPR log); default cli:<user>.")]


def _cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


@gdpr_app.command("export")
def export(
    phone: str,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here.")] = None,
    actor: Actor = "",
) -> None:
    """Write every piece of data about PHONE as JSON (stdout or --out FILE)."""
    actor = actor or _cli_actor()

    async def work(service: ContactData) -> str:
        exported = await service.export(phone)
        await service.record_export(phone, actor)
        return exported.model_dump_json(indent=2)

    document = _run(work)
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


@gdpr_app.command("erase")
def erase(
    phone: str,
    actor: Actor = "",
) -> None:
    """Remove PHONE everywhere (hub, tickets, audit, consent, Rasa tracker); keep a record."""
    actor = actor or _cli_actor()
    report = _run(lambda service: service.erase(phone, actor))
    typer.echo(report.model_dump_json(indent=2))


@gdpr_app.command("retention")
def retention() -> None:
    """Apply the retention period now (the hub also does it every BOT_RETENTION_INTERVAL_S)."""
    report = _run(lambda service: service.apply_retention())
    typer.echo(report.model_dump_json(indent=2))

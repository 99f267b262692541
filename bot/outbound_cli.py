"""``wabot outbound``: see and resend the messages that could not be delivered."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from redis.asyncio import Redis

from bot import outbound
from bot.config import get_settings
from bot.keys import Keys

outbound_app = typer.Typer(help="Outbound messages: dead letters.", no_args_is_help=True)


def _client() -> tuple[Redis, Keys, int]:
    settings = get_settings()
    redis = Redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=10)
    return redis, Keys(settings.key_prefix), settings.outbound_shards


@outbound_app.command("dead")
def list_dead(
    count: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """List dead letters: message id, recipient, error."""

    async def _run() -> list[outbound.DeadLetter]:
        redis, keys, _ = _client()
        try:
            return await outbound.list_dead_letters(redis, keys=keys, count=count)
        finally:
            await redis.aclose()

    letters = asyncio.run(_run())
    for letter in letters:
        typer.echo(f"{letter.message_id}\t+{letter.to}\t{letter.code}\t{letter.error}")
    typer.echo(f"{len(letters)} dead letter(s)", err=True)


@outbound_app.command("retry-dead")
def retry_dead(
    message_id: Annotated[
        list[str] | None, typer.Option("--id", help="Message id to resend (repeatable).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Resend every dead letter.")] = False,
) -> None:
    """Put dead letters back in the outbound queue (the sender applies the usual rules)."""
    if not message_id and not all_:
        raise typer.BadParameter("name messages with --id, or pass --all")

    async def _run() -> list[str]:
        redis, keys, shards = _client()
        try:
            ids = None if all_ else list(message_id or [])
            return await outbound.retry_dead(redis, keys=keys, shards=shards, message_ids=ids)
        finally:
            await redis.aclose()

    requeued = asyncio.run(_run())
    for requeued_id in requeued:
        typer.echo(requeued_id)
    typer.echo(f"{len(requeued)} message(s) requeued", err=True)

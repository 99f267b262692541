"""Counters, SLA breaches and leads for supervisors."""

from __future__ import annotations

from datetime import datetime

from handoff.models import StatsResponse, TeamStats, Ticket
from handoff.store import TicketStore, as_texts, epoch_ms
from handoff.teams import TeamDirectory

COUNTERS = ("created", "resolved", "sla_breached", "escalated")


async def stats(store: TicketStore, teams: TeamDirectory) -> StatsResponse:
    """Totals since the start plus the current queue per team."""
    redis, keys = store.redis, store.keys
    totals = await redis.hgetall(keys.stats())
    open_tickets = await store.get_many(as_texts(await redis.zrange(keys.tickets_open(), 0, -1)))
    rows = []
    for name in teams.teams:
        counters = await redis.hgetall(keys.team_stats(name))
        mine = [t for t in open_tickets if t.team == name]
        rows.append(
            TeamStats(
                team=name,
                queued=int(await redis.zcard(keys.queue(name))),
                open=len(mine),
                open_breached=sum(1 for t in mine if t.sla_breached),
                **{c: int(counters.get(c, 0)) for c in COUNTERS},
            )
        )
    return StatsResponse(
        open=len(open_tickets), teams=rows, **{c: int(totals.get(c, 0)) for c in COUNTERS}
    )


async def lead_tickets(
    store: TicketStore, since: datetime | None = None, until: datetime | None = None
) -> list[Ticket]:
    """Tickets opened as qualified leads, oldest first, within the optional window."""
    return await _created_between(store, store.keys.leads(), since, until)


async def tickets_between(
    store: TicketStore, since: datetime | None = None, until: datetime | None = None
) -> list[Ticket]:
    """Every ticket created within the optional window, oldest first (reports)."""
    return await _created_between(store, store.keys.tickets_all(), since, until)


async def _created_between(
    store: TicketStore, index_key: str, since: datetime | None, until: datetime | None
) -> list[Ticket]:
    low = epoch_ms(since) if since else "-inf"
    high = epoch_ms(until) if until else "+inf"
    ids = await store.redis.zrangebyscore(index_key, low, high)
    return await store.get_many(as_texts(ids))

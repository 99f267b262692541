"""Who gets a ticket: the best-matching available agent for leads, else round robin.

Only online, enabled agents of the ticket's team with fewer open tickets than their
maximum count. The round-robin order is a Redis list per team: the picked agent moves to
the back, and a list that no longer matches the team's agents is rebuilt.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from handoff.keys import Keys
from handoff.models import StaffUser, Ticket
from handoff.staff import StaffDirectory
from handoff.store import as_texts


class AssignmentService:
    """Picks an agent for a ticket (the caller assigns it atomically)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, directory: StaffDirectory) -> None:
        self.redis = redis
        self.keys = keys
        self.directory = directory

    async def pick(self, ticket: Ticket, exclude: frozenset[str] = frozenset()) -> str | None:
        """The agent who should get ``ticket``, or ``None`` when nobody is available."""
        agents = await self.directory.agents_of(ticket.team)
        loads = await self._loads(agents)
        available = [a for a in agents if self._is_available(a, loads, exclude)]
        if not available:
            return None
        order = await self._rotation(ticket.team, [a.username for a in agents])
        matching = [a for a in available if self._covers_area(a, ticket.summary.lead.area)]
        if matching:
            best = min(loads[a.username] for a in matching)
            chosen = next(
                n for n in order if any(a.username == n and loads[n] == best for a in matching)
            )
        else:
            names = {a.username for a in available}
            chosen = next(n for n in order if n in names)
        await self._move_to_back(ticket.team, chosen)
        return chosen

    async def _loads(self, agents: list[StaffUser]) -> dict[str, int]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for agent in agents:
                pipe.scard(self.keys.agent_tickets(agent.username))
            counts = await pipe.execute()
        return {agent.username: int(n) for agent, n in zip(agents, counts, strict=True)}

    @staticmethod
    def _is_available(agent: StaffUser, loads: dict[str, int], exclude: frozenset[str]) -> bool:
        return (
            agent.online
            and agent.username not in exclude
            and loads[agent.username] < agent.max_concurrent
        )

    @staticmethod
    def _covers_area(agent: StaffUser, area: str | None) -> bool:
        if not area:
            return False
        wanted = area.casefold().strip()
        return any(covered.casefold().strip() == wanted for covered in agent.areas)

    async def _rotation(self, team: str, usernames: list[str]) -> list[str]:
        """The team's round-robin order, rebuilt when it is stale."""
        key = self.keys.round_robin(team)
        order = as_texts(await self.redis.lrange(key, 0, -1))
        if sorted(order) != sorted(usernames):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if usernames:
                    pipe.rpush(key, *sorted(usernames))
                await pipe.execute()
            order = sorted(usernames)
        return order

    async def _move_to_back(self, team: str, username: str) -> None:
        key = self.keys.round_robin(team)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrem(key, 1, username)
            pipe.rpush(key, username)
            await pipe.execute()

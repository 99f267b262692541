"""Admins' edits of a team's hours, closures, SLA and escalation, kept in Redis over ``teams.yml``.

One JSON ``TeamSpec`` per edited team (``team:{name}:override``). At start-up every stored
override is merged over the file; an edit is validated by building the team first (a bad
interval, closure or time zone changes nothing), then stored, applied live to the running
``TeamDirectory`` (new tickets get deadlines from the new hours) and audited.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import redis.asyncio as aioredis
from pydantic import ValidationError

from handoff.errors import InvalidRequestError
from handoff.keys import Keys
from handoff.models import HistoryEntry, TicketEvent
from handoff.store import TicketStore
from handoff.teams import Team, TeamDirectory, TeamSpec

logger = logging.getLogger(__name__)
EDITABLE = frozenset({"hours", "closures", "sla_minutes", "escalation_minutes"})


class TeamOverrides:
    """Read, write and reset the stored overrides of the teams of one ``TeamDirectory``."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, teams: TeamDirectory, store: TicketStore
    ) -> None:
        self.redis, self.keys, self.teams, self.store = redis, keys, teams, store

    async def stored(self, name: str) -> TeamSpec | None:
        """The override saved for a team, if any."""
        raw = await self.redis.get(self.keys.team_override(name))
        return TeamSpec.model_validate_json(raw) if raw else None

    async def load_all(self) -> int:
        """Apply every stored override (start-up); a broken one is logged and skipped."""
        applied = 0
        for name in list(self.teams.teams):
            try:
                override = await self.stored(name)
                if override is not None:
                    self.teams.replace(self.teams.build(name, override))
                    applied += 1
            except (ValueError, ValidationError) as exc:
                logger.error("team %s: stored override ignored (%s)", name, exc)
        return applied

    async def put(self, name: str, override: TeamSpec, actor: str) -> Team:
        """Validate, store, apply live and audit an override of ``name``."""
        self._require(name)
        extra = override.model_fields_set - EDITABLE
        if extra:
            raise InvalidRequestError(f"only {sorted(EDITABLE)} can be edited, not {sorted(extra)}")
        too_short = [p.value for p, minutes in (override.sla_minutes or {}).items() if minutes < 1]
        if too_short:
            raise InvalidRequestError(f"team {name}: SLA minutes must be ≥ 1 ({too_short})")
        try:
            team = self.teams.build(name, override)
        except ValueError as exc:  # includes pydantic's ValidationError
            raise InvalidRequestError(f"team {name}: {exc}") from exc
        if not any(team.calendar.weekly.values()):
            raise InvalidRequestError(f"team {name}: give at least one opening interval")
        document = override.model_dump_json(exclude_none=True)
        await self.redis.set(self.keys.team_override(name), document)
        self.teams.replace(team)
        await self._audit(name, TicketEvent.team_changed, actor, document)
        return team

    async def reset(self, name: str, actor: str) -> Team:
        """Drop the override: the team is again as ``teams.yml`` says (live and audited)."""
        self._require(name)
        team = self.teams.build(name)
        removed = await self.redis.delete(self.keys.team_override(name))
        self.teams.replace(team)
        await self._audit(name, TicketEvent.team_reset, actor, json.dumps({"removed": removed}))
        return team

    def _require(self, name: str) -> None:
        try:
            self.teams.get(name)
        except KeyError as exc:
            raise InvalidRequestError(str(exc.args[0])) from None

    async def _audit(self, name: str, event: TicketEvent, actor: str, document: str) -> None:
        entry = HistoryEntry(
            event=event, at=datetime.now(UTC), actor=actor, detail={"team": name, "spec": document}
        )
        await self.store.record_audit(f"team:{name}", entry)

"""Teams, their business calendars, SLA and escalation times (from ``teams.yml``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff.business_hours import WEEKDAYS, BusinessCalendar, parse_interval
from handoff.models import LeadSlots, Priority, Reason


class CalendarSpec(BaseModel):
    """Keys shared by ``defaults`` and each team in ``teams.yml`` (all optional per team)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None
    country: str | None = None
    subdivision: str | None = None
    hours: dict[str, list[str]] | None = None
    closures: list[str] | None = None
    sla_minutes: dict[Priority, int] | None = None
    escalation_minutes: int | None = Field(default=None, ge=1)

    @field_validator("hours")
    @classmethod
    def _known_days(cls, hours: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        unknown = set(hours or {}) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekdays {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        return hours


class TeamSpec(CalendarSpec):
    """One team entry of ``teams.yml``."""

    label: str | None = None


class TeamsFile(BaseModel):
    """The whole ``teams.yml``."""

    model_config = ConfigDict(extra="forbid")

    defaults: CalendarSpec = CalendarSpec()
    routing: dict[str, str] = Field(default_factory=dict)
    teams: dict[str, TeamSpec]


@dataclass(frozen=True)
class Team:
    """A team as the service uses it."""

    name: str
    label: str
    calendar: BusinessCalendar
    sla_minutes: dict[Priority, int]
    escalation_minutes: int

    def sla_deadline(self, priority: Priority, opened_at: datetime) -> datetime:
        """First-response deadline in business time."""
        return self.calendar.add_business_minutes(opened_at, self.sla_minutes[priority])

    def escalation_time(self, since: datetime) -> datetime:
        """When a ticket not picked up since ``since`` is escalated."""
        return self.calendar.add_business_minutes(since, self.escalation_minutes)


@dataclass(frozen=True)
class TeamDirectory:
    """All teams plus the routing of tickets that name no team."""

    teams: dict[str, Team]
    routing: dict[str, str]

    def get(self, name: str) -> Team:
        """Return a team or raise ``KeyError`` naming the known ones."""
        try:
            return self.teams[name]
        except KeyError:
            known = ", ".join(sorted(self.teams))
            raise KeyError(f"unknown team {name!r}; known teams: {known}") from None

    def route(self, reason: Reason, lead: LeadSlots | None) -> str:
        """Pick the team for a ticket that names none."""
        if reason is Reason.complaint and "complaint" in self.routing:
            return self.routing["complaint"]
        if lead is not None and lead.lead_type and lead.lead_type in self.routing:
            return self.routing[lead.lead_type]
        return self.routing.get("default") or next(iter(self.teams))


def load_teams(path: Path, *, sla_minutes: int = 60, escalation_minutes: int = 30) -> TeamDirectory:
    """Read ``teams.yml``; settings give the SLA/escalation used where the file is silent."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = TeamsFile.model_validate(raw)
    teams = {
        name: _build_team(name, spec.defaults, team, sla_minutes, escalation_minutes)
        for name, team in spec.teams.items()
    }
    for key, team_name in spec.routing.items():
        if team_name not in teams:
            raise ValueError(f"{path}: routing {key!r} names unknown team {team_name!r}")
    return TeamDirectory(teams=teams, routing=dict(spec.routing))


def _build_team(
    name: str, defaults: CalendarSpec, spec: TeamSpec, sla_minutes: int, escalation_minutes: int
) -> Team:
    merged = defaults.model_dump() | spec.model_dump(exclude_none=True, exclude={"label"})
    sla = {priority: sla_minutes for priority in Priority} | (merged["sla_minutes"] or {})
    return Team(
        name=name,
        label=spec.label or name,
        calendar=_build_calendar(merged),
        sla_minutes=sla,
        escalation_minutes=merged["escalation_minutes"] or escalation_minutes,
    )


def _build_calendar(merged: dict[str, Any]) -> BusinessCalendar:
    hours: dict[str, list[str]] = merged["hours"] or {}
    weekly = {
        WEEKDAYS.index(day): tuple(parse_interval(spec) for spec in specs)
        for day, specs in hours.items()
    }
    recurring: set[tuple[int, int]] = set()
    dates: set[date] = set()
    for closure in merged["closures"] or []:
        if closure.count("-") == 1:
            month, day = closure.split("-")
            recurring.add((int(month), int(day)))
        else:
            dates.add(date.fromisoformat(closure))
    return BusinessCalendar(
        timezone=ZoneInfo(merged["timezone"] or "Europe/Rome"),
        weekly=weekly,
        country=merged["country"],
        subdivision=merged["subdivision"],
        recurring_closures=frozenset(recurring),
        closure_dates=frozenset(dates),
    )

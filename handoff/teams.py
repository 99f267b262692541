"""Teams, their business calendars, SLA and escalation times (from ``teams.yml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    source: TeamsFile = field(default_factory=lambda: TeamsFile(teams={}))
    fallback_sla_minutes: int = 60
    fallback_escalation_minutes: int = 30

    def file_spec(self, name: str) -> TeamSpec:
        """The team's entry of ``teams.yml`` (``defaults`` merged in), without overrides."""
        self.get(name)
        merged = self.source.defaults.model_dump() | self.source.teams[name].model_dump(
            exclude_none=True
        )
        return TeamSpec.model_validate(merged)

    def build(self, name: str, override: TeamSpec | None = None) -> Team:
        """The team as ``teams.yml`` declares it, with ``override``'s keys replacing the file's.

        Raises ``ValueError`` (bad interval, closure or time zone) before anything changes.
        """
        spec = self.file_spec(name)
        if override is not None:
            spec = TeamSpec.model_validate(
                spec.model_dump(exclude_none=True) | override.model_dump(exclude_none=True)
            )
        return _build_team(
            name,
            CalendarSpec(),
            spec,
            self.fallback_sla_minutes,
            self.fallback_escalation_minutes,
        )

    def replace(self, team: Team) -> None:
        """Swap a team in place (live edit): every holder of this directory sees the new one."""
        self.get(team.name)
        self.teams[team.name] = team

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
    return TeamDirectory(
        teams=teams,
        routing=dict(spec.routing),
        source=spec,
        fallback_sla_minutes=sla_minutes,
        fallback_escalation_minutes=escalation_minutes,
    )


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
    """The calendar of merged keys; ``ValueError`` says which hour, closure or zone is wrong."""
    hours: dict[str, list[str]] = merged["hours"] or {}
    weekly = {
        WEEKDAYS.index(day): tuple(parse_interval(spec) for spec in specs)
        for day, specs in hours.items()
    }
    recurring: set[tuple[int, int]] = set()
    dates: set[date] = set()
    for closure in merged["closures"] or []:
        if closure.count("-") == 1:
            recurring.add(_recurring_closure(closure))
        else:
            try:
                dates.add(date.fromisoformat(closure))
            except ValueError as exc:
                raise ValueError(f"bad closure {closure!r}; write MM-DD or YYYY-MM-DD") from exc
    try:
        timezone = ZoneInfo(merged["timezone"] or "Europe/Rome")
    except (ValueError, KeyError) as exc:
        raise ValueError(f"unknown time zone {merged['timezone']!r}") from exc
    return BusinessCalendar(
        timezone=timezone,
        weekly=weekly,
        country=merged["country"],
        subdivision=merged["subdivision"],
        recurring_closures=frozenset(recurring),
        closure_dates=frozenset(dates),
    )


def _recurring_closure(closure: str) -> tuple[int, int]:
    """``"12-07"`` → ``(12, 7)``, checked against a leap year's calendar."""
    try:
        month, day = (int(part) for part in closure.split("-"))
        date(2024, month, day)
    except ValueError as exc:
        raise ValueError(f"bad closure {closure!r}; write MM-DD or YYYY-MM-DD") from exc
    return month, day

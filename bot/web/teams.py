"""Teams as the administration page shows them: weekly hours, closures, SLA, members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handoff.business_hours import WEEKDAYS, BusinessCalendar, Interval
from handoff.models import Priority, StaffUser
from handoff.teams import TeamDirectory


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamView:
    """One team, ready to print."""

    name: str
    label: str
    timezone: str
    country: str | None
    hours: list[tuple[str, str]]  # (weekday, "09:00-18:30, ...") ; "" = closed
    closures: list[str]
    sla_minutes: list[tuple[str, int]]
    escalation_minutes: int
    members: list[StaffUser]


def _interval(interval: Interval) -> str:
    start, end = interval
    return f"{start:%H:%M}-{end:%H:%M}" if end else f"{start:%H:%M}-24:00"


def _closures(calendar: BusinessCalendar) -> list[str]:
    every_year = [f"{month:02d}-{day:02d}" for month, day in sorted(calendar.recurring_closures)]
    once = [day.isoformat() for day in sorted(calendar.closure_dates) if isinstance(day, date)]
    return every_year + once


def team_views(directory: TeamDirectory, users: list[StaffUser]) -> list[TeamView]:
    """Every team with its calendar and the users who work in it (no teams = every team)."""
    views = []
    for name, team in directory.teams.items():
        calendar = team.calendar
        views.append(
            TeamView(
                name=name,
                label=team.label,
                timezone=str(calendar.timezone),
                country=calendar.country,
                hours=[
                    (day, ", ".join(_interval(i) for i in calendar.weekly.get(index, ())))
                    for index, day in enumerate(WEEKDAYS)
                ],
                closures=_closures(calendar),
                sla_minutes=[
                    (p.value, team.sla_minutes[p]) for p in Priority if p in team.sla_minutes
                ],
                escalation_minutes=team.escalation_minutes,
                members=[u for u in users if not u.teams or name in u.teams],
            )
        )
    return views

"""SLA colour states, safe redirects, the role-based menu and number formatting of the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.web.auth import safe_next
from bot.web.conversation import SLA_WARN, sla_state
from bot.web.nav import home_for, nav_for
from bot.web.templating import environment
from handoff.models import Role, StaffUser, Ticket

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def _ticket(deadline: datetime, *, breached: bool = False, answered: bool = False) -> Ticket:
    return Ticket.model_construct(
        sla_deadline=deadline,
        sla_breached=breached,
        first_response_at=NOW - timedelta(minutes=1) if answered else None,
    )


@pytest.mark.parametrize(
    ("deadline", "breached", "answered", "state"),
    [
        (NOW + SLA_WARN + timedelta(seconds=1), False, False, "ok"),
        (NOW + SLA_WARN, False, False, "warn"),
        (NOW + timedelta(seconds=1), False, False, "warn"),
        (NOW, False, False, "late"),
        (NOW + timedelta(hours=2), True, False, "late"),
        (NOW - timedelta(hours=2), False, True, "met"),
        (NOW - timedelta(hours=2), True, True, "late"),
    ],
)
def test_sla_state(deadline: datetime, breached: bool, answered: bool, state: str) -> None:
    assert sla_state(_ticket(deadline, breached=breached, answered=answered), NOW) == state


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/console/tickets/T-1?x=1", "/console/tickets/T-1?x=1"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("https://evil.example/", "/home"),
        ("", "/home"),
        (None, "/home"),
    ],
)
def test_safe_next_only_allows_local_paths(target: str | None, expected: str) -> None:
    assert safe_next(target, "/home") == expected


def _user(role: Role) -> StaffUser:
    return StaffUser(
        username="u1", role=role, password_hash="x", created_at=NOW, teams=[], areas=[]
    )


def test_menu_follows_the_roles() -> None:
    links = {role: {item.href for item in nav_for(_user(role))} for role in Role}
    assert "/console" in links[Role.agent] and "/kb" not in links[Role.agent]
    assert "/console" not in links[Role.editor] and "/kb" in links[Role.editor]
    assert (
        "/admin/users" not in links[Role.supervisor] and "/admin/canned" in links[Role.supervisor]
    )
    assert links[Role.admin] >= links[Role.agent] | links[Role.editor] | links[Role.supervisor]
    assert home_for(_user(Role.editor)) == "/kb" and home_for(_user(Role.agent)) == "/console"
    assert nav_for(None) == []


@pytest.mark.parametrize(
    ("value", "it", "en"),
    [
        (350000, "350.000", "350,000"),
        (1234.5, "1.234,50", "1,234.50"),
        (3.0, "3", "3"),
        ("Navigli", "Navigli", "Navigli"),
        (None, "", ""),
    ],
)
def test_numbers_are_grouped_in_the_readers_language(value: object, it: str, en: str) -> None:
    template = environment().from_string("{{ value|number }}")
    assert template.render(value=value, ui_lang="it") == it
    assert template.render(value=value, ui_lang="en") == en

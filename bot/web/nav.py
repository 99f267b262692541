"""The navigation bar: each staff page and the roles that see it (admins see everything)."""

from __future__ import annotations

from dataclasses import dataclass

from handoff.api import Role, StaffUser
from handoff.api.deps import roles_allowed

AGENTS = (Role.agent, Role.supervisor)
EDITORS = (Role.editor,)
MANAGERS = (Role.supervisor,)
ADMINS = (Role.admin,)


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link of the navigation bar."""

    href: str
    label: str  # i18n key
    roles: tuple[Role, ...]

    def is_visible_to(self, user: StaffUser) -> bool:
        """Whether ``user``'s role may open the page (same rule as the page's dependency)."""
        return user.role in roles_allowed(*self.roles)


NAV = (
    NavItem("/console", "nav.console", AGENTS),
    NavItem("/kb", "nav.kb", EDITORS),
    NavItem("/reports", "nav.reports", MANAGERS),
    NavItem("/admin/users", "nav.users", ADMINS),
    NavItem("/admin/teams", "nav.teams", MANAGERS),
    NavItem("/admin/canned", "nav.canned", MANAGERS),
    NavItem("/admin/templates", "nav.templates", MANAGERS),
)


def nav_for(user: StaffUser | None) -> list[NavItem]:
    """The links ``user`` sees (none when logged out)."""
    return [item for item in NAV if user is not None and item.is_visible_to(user)]


def home_for(user: StaffUser) -> str:
    """Where a user lands after login: their first page."""
    items = nav_for(user)
    return items[0].href if items else "/console"

"""Prometheus counters of the handoff service move with committed ticket changes only."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.handoff.conftest import Handoff
from tests.handoff.factories import ticket_create


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_handoffs_by_reason_and_sla_breaches_are_counted(handoff: Handoff) -> None:
    request = ticket_create()  # opened 2026-03-02: its SLA deadline has long passed
    reason = request.reason.value
    handoffs = _value("wabot_handoffs_total", reason=reason, team="support")
    breaches = _value("wabot_sla_breaches_total", team="support")
    answer, created = await handoff.state.tickets.open(request)
    assert created and answer.team == "support"
    await handoff.state.tickets.open(ticket_create(request.contact.phone))  # merged
    assert _value("wabot_handoffs_total", reason=reason, team="support") == handoffs + 1
    assert await handoff.state.tickets.check_deadlines() == (1, 1)
    assert await handoff.state.tickets.check_deadlines() == (0, 0)
    assert _value("wabot_sla_breaches_total", team="support") == breaches + 1

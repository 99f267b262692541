"""Prometheus metrics of the handoff service (exposed by the hub's ``/metrics``).

Metric objects live in prometheus-client's default registry, the usual exception to the
no-global-state rule: the registry is process-wide by design.
"""

from __future__ import annotations

from prometheus_client import Counter

from handoff.models import TicketEvent

HANDOFFS = Counter(
    "wabot_handoffs_total",
    "Tickets opened (conversations handed to a person), by reason.",
    ["reason", "team"],
)
SLA_BREACHES = Counter(
    "wabot_sla_breaches_total", "Tickets whose first-response SLA deadline passed.", ["team"]
)


def observe_change(
    events: list[TicketEvent], reason: str, team: str, counters: list[str]
) -> None:
    """Count what one committed ticket change means for the dashboards."""
    if TicketEvent.created in events:
        HANDOFFS.labels(reason=reason, team=team).inc()
    if "sla_breached" in counters:
        SLA_BREACHES.labels(team=team).inc()

"""Background loops of the handoff service (started and cancelled by the lifespan)."""

from __future__ import annotations

import asyncio
import logging

from handoff.outbox import wait_or_stop
from handoff.tickets import TicketService

logger = logging.getLogger(__name__)


async def run_monitor_forever(
    tickets: TicketService, interval_seconds: float, stop: asyncio.Event
) -> None:
    """Every interval: flag SLA breaches, escalate (each ticket on its clock), offer queued ones."""
    while not stop.is_set():
        try:
            breached, escalated = await tickets.check_deadlines()
            assigned = await tickets.assign_queued()
            if breached or escalated or assigned:
                logger.info(
                    "deadlines: %s breached, %s escalated, %s assigned",
                    breached,
                    escalated,
                    assigned,
                )
        except Exception:
            logger.exception("deadline monitor failed; retrying at the next interval")
        await wait_or_stop(stop, interval_seconds)

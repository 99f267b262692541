"""The owner's report at a small business's scale: gather from Redis + compute, and compute only.

A synthetic month in a Redis database (``REDIS_URL``, keys under a unique prefix, deleted
afterwards): 5,000 contacts with 6 customer messages each, 1,000 tickets (a quarter of them
leads, 700 answered and resolved), 100 opt-outs and 3,000 unanswered questions in March; then
500 more contacts in April, whose report skips the 5,000 silent ones (``last_inbound_at``).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from bot.keys import Keys as HubKeys
from bot.reports import gather_report
from handoff.analytics import build_report
from handoff.keys import Keys as HandoffKeys
from handoff.models import Contact, LeadSlots, Priority, Reason, Summary, Ticket, TicketStatus
from handoff.store import TicketStore, epoch_ms
from handoff.teams import load_teams

ROOT = Path(__file__).resolve().parent.parent
CONTACTS, MESSAGES, TICKETS, OPT_OUTS, MISSES = 5_000, 6, 1_000, 100, 3_000
LATER = 500  # contacts who write only in April
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
RUNS = 5


def _ticket(number: int, phone: str, created: datetime, rng: random.Random) -> Ticket:
    reason = Reason.qualified_lead if number % 4 == 0 else Reason.human_requested
    lead = (
        LeadSlots(lead_type="buy", area=rng.choice(["Navigli", "Isola"]), budget_max=300_000)
        if reason is Reason.qualified_lead
        else None
    )
    contact = Contact(phone=phone)
    answered = number % 10 < 7
    summary = Summary(
        who=contact, reason=reason, reasons=[reason], lead=lead or LeadSlots(), facts=[],
        unanswered=[], last_messages=[], text="",
    )  # fmt: skip
    return Ticket(
        id=f"T-{number:06d}", contact=contact, reason=reason, reasons=[reason], team="sales",
        priority=Priority.normal,
        status=TicketStatus.resolved if answered else TicketStatus.queued,
        created_at=created, updated_at=created, sla_deadline=created + timedelta(hours=1),
        first_response_at=created + timedelta(minutes=rng.randint(5, 600)) if answered else None,
        resolved_at=created + timedelta(hours=rng.randint(1, 72)) if answered else None,
        sla_breached=number % 5 == 0, lead=lead, summary=summary,
    )  # fmt: skip


async def _fill(redis: Redis, hub: HubKeys, handoff: HandoffKeys, misses: str) -> None:
    rng = random.Random(7)
    pipe = redis.pipeline(transaction=False)
    for index in range(CONTACTS + LATER):
        contact = f"39333{index:07d}"
        pipe.sadd(hub.contacts(), contact)
        month = START if index < CONTACTS else START + timedelta(days=31)
        first = month + timedelta(minutes=rng.randint(0, 29 * 24 * 60))
        for turn in range(MESSAGES):
            at = (first + timedelta(minutes=turn)).isoformat()
            fields = {"role": "customer", "type": "text", "text": "ciao", "ts": at}
            pipe.xadd(hub.transcript(contact), fields)
            pipe.xadd(hub.transcript(contact), {"role": "bot", "text": "ok", "ts": at})
        pipe.hset(hub.contact(contact), "last_inbound_at", at)  # as the router keeps it
        if index < TICKETS:
            ticket = _ticket(index + 1, f"+{contact}", first + timedelta(minutes=2), rng)
            pipe.set(handoff.ticket(ticket.id), ticket.model_dump_json())
            pipe.zadd(handoff.tickets_all(), {ticket.id: epoch_ms(ticket.created_at)})
        elif index < TICKETS + OPT_OUTS:
            pipe.xadd(hub.consent_log(contact), {"state": "opted_out", "at": first.isoformat()})
    for index in range(MISSES):
        at = (START + timedelta(minutes=rng.randint(0, 30 * 24 * 60))).timestamp()
        pipe.xadd(misses, {"text": f"domanda {index % 300}", "lang": "it", "ts": f"{at:.3f}"})
    await pipe.execute()


async def _measure() -> list[dict[str, object]]:
    prefix = f"bench:reports:{uuid.uuid4().hex[:8]}:"
    redis = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    hub, handoff = HubKeys(prefix), HandoffKeys(f"{prefix}handoff:")
    teams = load_teams(ROOT / "handoff" / "teams.yml")
    store, misses = TicketStore(redis, handoff), f"{prefix}kb:misses"
    try:
        await _fill(redis, hub, handoff, misses)
        since, until = START, START + timedelta(days=31)
        gather_ms, report = [], None
        for _ in range(RUNS):
            started = time.perf_counter()
            report = await gather_report(
                redis=redis, keys=hub, store=store, teams=teams, misses_stream=misses,
                since=since, until=until,
            )  # fmt: skip
            gather_ms.append((time.perf_counter() - started) * 1000)
        assert report is not None and report.conversations == CONTACTS
        april_ms = []
        for _ in range(RUNS):
            started = time.perf_counter()
            april = await gather_report(
                redis=redis, keys=hub, store=store, teams=teams, misses_stream=misses,
                since=until, until=until + timedelta(days=30),
            )  # fmt: skip
            april_ms.append((time.perf_counter() - started) * 1000)
        assert april.conversations == LATER
        tickets = await store.get_many([f"T-{n:06d}" for n in range(1, TICKETS + 1)])
        calendars = {name: team.calendar for name, team in teams.teams.items()}
        started = time.perf_counter()
        build_report(
            since=since, until=until, tickets=tickets, activity=[], consent=[], misses=[],
            calendars=calendars, default_calendar=calendars["sales"],
        )  # fmt: skip
        compute_ms = (time.perf_counter() - started) * 1000
    finally:
        async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
            await redis.delete(key)
        await redis.aclose()
    note = f"{CONTACTS} contacts x {MESSAGES} msgs, {TICKETS} tickets, {MISSES} misses"
    return [
        {"metric": "report gather+compute p50", "value": round(statistics.median(gather_ms)),
         "unit": "ms", "note": note},
        {"metric": "report gather+compute max", "value": round(max(gather_ms)), "unit": "ms",
         "note": f"{RUNS} runs"},
        {"metric": "report of a quieter month p50", "value": round(statistics.median(april_ms)),
         "unit": "ms", "note": f"{LATER} active of {CONTACTS + LATER} contacts"},
        {"metric": "business-time stats of 1,000 tickets", "value": round(compute_ms),
         "unit": "ms", "note": "build_report, tickets only"},
    ]  # fmt: skip


def run() -> list[dict[str, object]]:
    """Rows for ``python -m bench``."""
    return asyncio.run(_measure())


if __name__ == "__main__":
    for row in run():
        print(row)

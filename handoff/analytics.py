"""The owner's report for a period: response times, containment, handoffs, leads, misses.

The report also counts SLA breaches and opt-outs. Pure computation over what the hub gathers
(tickets, customer message times, consent events, knowledge-base misses); no Redis here, so
every figure is unit-tested on known inputs.

Definitions (also in ``handoff/README.md``):

- A **conversation** is one contact's run of customer messages with no silence longer than
  ``session_gap`` (24 hours, WhatsApp's service window). It belongs to the period it starts in.
- A conversation is **contained** when no ticket was opened for that contact from its first
  message until ``session_gap`` after its last one: the bot closed it without a person.
  Containment rate = contained / conversations.
- **Handoff rate by reason** = conversations handed off for a reason (the ticket's first
  reason) / conversations.
- **First-response time** = business minutes from a ticket's creation to the first agent reply;
  **resolution time** = business minutes from creation to resolution; both in the calendar of
  the ticket's team (hours, holidays, closures). Median and 90th percentile by linear
  interpolation; tickets still waiting are counted as ``pending``.
- **SLA breaches** = tickets opened in the period whose first reply came after the deadline or
  never came before it (``Ticket.sla_breached``).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from handoff.business_hours import BusinessCalendar
from handoff.models import Reason, Ticket

SESSION_GAP = timedelta(hours=24)
_CHUNK = timedelta(days=300)  # the calendar looks at most 400 days ahead per call
UNANSWERED_TOP = 20
# Budget bands in EUR: purchase prices for buy/sell, monthly rent for rent.
PRICE_BANDS = ((200_000, "< 200k"), (350_000, "200k–350k"), (500_000, "350k–500k"),
               (1_000_000, "500k–1M"), (math.inf, "≥ 1M"))  # fmt: skip
RENT_BANDS = ((1_000, "< 1,000/month"), (1_500, "1,000–1,500/month"),
              (2_500, "1,500–2,500/month"), (math.inf, "≥ 2,500/month"))  # fmt: skip
UNKNOWN = "unknown"


class ReportModel(BaseModel):
    """Base of the report's shapes."""

    model_config = ConfigDict(extra="forbid")


# --- inputs ------------------------------------------------------------------------------


class ContactActivity(ReportModel):
    """When one contact wrote (customer messages only)."""

    contact: str = Field(description="E.164 phone with +")
    messages: list[AwareDatetime]


class ConsentChange(ReportModel):
    """One opt-out or opt-in of a contact."""

    contact: str
    state: str = Field(description="opted_out or opted_in")
    at: AwareDatetime


class KbMiss(ReportModel):
    """A question the knowledge base could not answer."""

    text: str
    lang: str
    at: AwareDatetime


# --- outputs -----------------------------------------------------------------------------


class DurationStats(ReportModel):
    """Business minutes of a set of tickets."""

    n: int
    pending: int
    median_minutes: float | None
    p90_minutes: float | None


class CountRow(ReportModel):
    """One row of a count table."""

    key: str
    count: int
    share: float | None = Field(description="count / the table's base, None when the base is 0")


class LeadRow(ReportModel):
    """Leads of one type in one budget band."""

    lead_type: str
    band: str
    count: int


class UnansweredRow(ReportModel):
    """A question customers asked that the knowledge base could not answer."""

    text: str
    lang: str
    count: int
    last_at: AwareDatetime


class SlaStats(ReportModel):
    """SLA breaches of the tickets opened in the period."""

    tickets: int
    breached: int
    rate: float | None
    by_team: list[CountRow]


class DayRow(ReportModel):
    """Conversations started on one day (the business calendar's time zone)."""

    day: str
    conversations: int
    handed_off: int


class Report(ReportModel):
    """Everything the owner's page shows for one period."""

    since: AwareDatetime
    until: AwareDatetime
    conversations: int
    contained: int
    containment_rate: float | None
    handed_off: int
    handoff_rate: float | None
    handoffs_by_reason: list[CountRow]
    daily: list[DayRow]
    tickets: int
    first_response: DurationStats
    resolution: DurationStats
    sla: SlaStats
    leads: int
    leads_by_type: list[CountRow]
    leads_by_area: list[CountRow]
    leads_by_budget: list[LeadRow]
    unanswered: list[UnansweredRow]
    opt_outs: int
    opt_ins: int


# --- computation -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sessions(messages: Iterable[datetime], gap: timedelta = SESSION_GAP) -> list[list[datetime]]:
    """Split message times into conversations at silences longer than ``gap``."""
    runs: list[list[datetime]] = []
    for at in sorted(messages):
        if runs and at - runs[-1][-1] <= gap:
            runs[-1].append(at)
        else:
            runs.append([at])
    return runs


def business_minutes(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Opening minutes between two instants, however far apart (a ticket open for years)."""
    total, cursor = 0.0, start
    while cursor < end:
        stop = min(end, cursor + _CHUNK)
        total += calendar.business_minutes_between(cursor, stop)
        cursor = stop
    return total


def duration_stats(
    tickets: list[Ticket],
    end_of: Callable[[Ticket], datetime | None],
    calendar_of: Callable[[str], BusinessCalendar],
) -> DurationStats:
    """Median and p90 business minutes from creation to ``end_of(ticket)``."""
    minutes = [
        business_minutes(calendar_of(t.team), t.created_at, end)
        for t in tickets
        if (end := end_of(t)) is not None
    ]
    return DurationStats(
        n=len(minutes),
        pending=len(tickets) - len(minutes),
        median_minutes=_round(percentile(minutes, 50)),
        p90_minutes=_round(percentile(minutes, 90)),
    )


def budget_band(lead_type: str | None, budget: float | None) -> str:
    """The band of a lead's budget (monthly for rentals)."""
    if budget is None:
        return UNKNOWN
    bands = RENT_BANDS if lead_type == "rent" else PRICE_BANDS
    return next(label for limit, label in bands if budget < limit)


def normalize_question(text: str) -> str:
    """Group the same question asked with other case, spacing or punctuation."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.casefold())).strip()


def build_report(
    *,
    since: datetime,
    until: datetime,
    tickets: list[Ticket],
    activity: list[ContactActivity],
    consent: list[ConsentChange],
    misses: list[KbMiss],
    calendars: Mapping[str, BusinessCalendar],
    default_calendar: BusinessCalendar,
    gap: timedelta = SESSION_GAP,
) -> Report:
    """Compute the report of the period ``[since, until)``."""
    in_period = [t for t in tickets if since <= t.created_at < until]
    conv = _conversations(since, until, activity, tickets, gap, default_calendar)

    def calendar_of(team: str) -> BusinessCalendar:
        return calendars.get(team, default_calendar)

    leads = [t for t in in_period if Reason.qualified_lead in t.reasons]
    opt = Counter(c.state for c in consent if since <= c.at < until)
    return Report(
        since=since,
        until=until,
        **conv,
        tickets=len(in_period),
        first_response=duration_stats(in_period, lambda t: t.first_response_at, calendar_of),
        resolution=duration_stats(in_period, lambda t: t.resolved_at, calendar_of),
        sla=_sla(in_period),
        leads=len(leads),
        leads_by_type=_count_rows(
            [(t.lead.lead_type if t.lead else None) or UNKNOWN for t in leads]
        ),
        leads_by_area=_count_rows([(t.lead.area if t.lead else None) or UNKNOWN for t in leads]),
        leads_by_budget=_budget_rows(leads),
        unanswered=_unanswered([m for m in misses if since <= m.at < until]),
        opt_outs=opt["opted_out"],
        opt_ins=opt["opted_in"],
    )


def _conversations(
    since: datetime,
    until: datetime,
    activity: list[ContactActivity],
    tickets: list[Ticket],
    gap: timedelta,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Conversations started in the period, contained ones, handoffs by reason, per day."""
    opened: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        opened.setdefault(ticket.contact.phone, []).append(ticket)
    total, contained, reasons = 0, 0, Counter[str]()
    days: dict[str, list[int]] = {}
    for contact in activity:
        for run in sessions(contact.messages, gap):
            if not since <= run[0] < until:
                continue
            total += 1
            day = days.setdefault(run[0].astimezone(calendar.timezone).date().isoformat(), [0, 0])
            day[0] += 1
            during = [
                t
                for t in opened.get(contact.contact, [])
                if run[0] <= t.created_at <= run[-1] + gap
            ]
            if during:
                reasons[min(during, key=lambda t: t.created_at).reason.value] += 1
                day[1] += 1
            else:
                contained += 1
    handed_off = total - contained
    return {
        "conversations": total,
        "contained": contained,
        "containment_rate": _ratio(contained, total),
        "handed_off": handed_off,
        "handoff_rate": _ratio(handed_off, total),
        "handoffs_by_reason": [
            CountRow(key=r.value, count=reasons[r.value], share=_ratio(reasons[r.value], total))
            for r in Reason
        ],
        "daily": [
            DayRow(day=d, conversations=c, handed_off=h) for d, (c, h) in sorted(days.items())
        ],
    }


def _sla(tickets: list[Ticket]) -> SlaStats:
    breached = [t for t in tickets if t.sla_breached]
    teams = Counter(t.team for t in tickets)
    by_team = Counter(t.team for t in breached)
    return SlaStats(
        tickets=len(tickets),
        breached=len(breached),
        rate=_ratio(len(breached), len(tickets)),
        by_team=[
            CountRow(key=team, count=by_team[team], share=_ratio(by_team[team], teams[team]))
            for team in sorted(teams)
        ],
    )


def _budget_rows(leads: list[Ticket]) -> list[LeadRow]:
    counts = Counter(
        (
            (t.lead.lead_type if t.lead else None) or UNKNOWN,
            budget_band(t.lead.lead_type, t.lead.budget_max) if t.lead else UNKNOWN,
        )
        for t in leads
    )
    order = [label for _, label in PRICE_BANDS + RENT_BANDS] + [UNKNOWN]
    return [
        LeadRow(lead_type=kind, band=band, count=count)
        for (kind, band), count in sorted(
            counts.items(), key=lambda i: (i[0][0], order.index(i[0][1]))
        )
    ]


def _unanswered(misses: list[KbMiss]) -> list[UnansweredRow]:
    groups: dict[tuple[str, str], list[KbMiss]] = {}
    for miss in misses:
        if normalize_question(miss.text):
            groups.setdefault((normalize_question(miss.text), miss.lang), []).append(miss)
    rows = [
        UnansweredRow(
            text=max(group, key=lambda m: m.at).text,
            lang=lang,
            count=len(group),
            last_at=max(m.at for m in group),
        )
        for (_, lang), group in groups.items()
    ]
    rows.sort(key=lambda r: (-r.count, -r.last_at.timestamp()))
    return rows[:UNANSWERED_TOP]


def _count_rows(keys: list[str]) -> list[CountRow]:
    counts = Counter(keys)
    return [
        CountRow(key=key, count=count, share=_ratio(count, len(keys)))
        for key, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    ]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- tables (CSV export) -----------------------------------------------------------------


def summary_rows(report: Report) -> list[dict[str, object]]:
    """The headline figures as metric/value rows."""
    figures: dict[str, object] = {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "conversations": report.conversations,
        "contained": report.contained,
        "containment_rate": report.containment_rate,
        "handed_off": report.handed_off,
        "handoff_rate": report.handoff_rate,
        "tickets": report.tickets,
        "first_response_median_min": report.first_response.median_minutes,
        "first_response_p90_min": report.first_response.p90_minutes,
        "first_response_pending": report.first_response.pending,
        "resolution_median_min": report.resolution.median_minutes,
        "resolution_p90_min": report.resolution.p90_minutes,
        "resolution_pending": report.resolution.pending,
        "sla_breached": report.sla.breached,
        "sla_breach_rate": report.sla.rate,
        "leads": report.leads,
        "opt_outs": report.opt_outs,
        "opt_ins": report.opt_ins,
    }
    return [{"metric": k, "value": v} for k, v in figures.items()]


TABLES: dict[str, Callable[[Report], list[dict[str, object]]]] = {
    "summary": summary_rows,
    "handoffs_by_reason": lambda r: [row.model_dump() for row in r.handoffs_by_reason],
    "daily": lambda r: [row.model_dump() for row in r.daily],
    "sla_by_team": lambda r: [row.model_dump() for row in r.sla.by_team],
    "leads_by_type": lambda r: [row.model_dump() for row in r.leads_by_type],
    "leads_by_area": lambda r: [row.model_dump() for row in r.leads_by_area],
    "leads_by_budget": lambda r: [row.model_dump() for row in r.leads_by_budget],
    "unanswered": lambda r: [row.model_dump(mode="json") for row in r.unanswered],
}


def table_csv(report: Report, name: str) -> str:
    """One table of the report as CSV (header row first); ``KeyError`` for unknown names."""
    rows = TABLES[name](report)
    out = io.StringIO()
    fields = list(rows[0]) if rows else _EMPTY_HEADERS[name]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


_EMPTY_HEADERS = {
    "summary": ["metric", "value"],
    "handoffs_by_reason": ["key", "count", "share"],
    "daily": ["day", "conversations", "handed_off"],
    "sla_by_team": ["key", "count", "share"],
    "leads_by_type": ["key", "count", "share"],
    "leads_by_area": ["key", "count", "share"],
    "leads_by_budget": ["lead_type", "band", "count"],
    "unanswered": ["text", "lang", "count", "last_at"],
}

"""The owner's report computed on known tickets, conversations, consent changes and misses."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handoff.analytics import (
    ConsentChange,
    ContactActivity,
    KbMiss,
    Report,
    budget_band,
    build_report,
    percentile,
    sessions,
    table_csv,
)
from handoff.models import Contact, LeadSlots, Priority, Reason, Summary, Ticket, TicketStatus
from handoff.teams import load_teams

ROME = ZoneInfo("Europe/Rome")
TEAMS = load_teams(Path(__file__).resolve().parents[2] / "handoff" / "teams.yml")
CALENDARS = {name: team.calendar for name, team in TEAMS.teams.items()}
SINCE = datetime(2026, 3, 1, tzinfo=ROME)
UNTIL = datetime(2026, 5, 1, tzinfo=ROME)


def at(text: str) -> datetime:
    """A Rome local time, e.g. ``at("2026-03-02 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


def ticket(
    number: int,
    phone: str,
    created: datetime,
    *,
    reason: Reason = Reason.human_requested,
    team: str = "support",
    first_response: datetime | None = None,
    resolved: datetime | None = None,
    breached: bool = False,
    lead: LeadSlots | None = None,
) -> Ticket:
    """A stored ticket with only the fields the report reads set on purpose."""
    contact = Contact(phone=phone)
    summary = Summary(
        who=contact,
        reason=reason,
        reasons=[reason],
        lead=lead or LeadSlots(),
        facts=[],
        unanswered=[],
        last_messages=[],
        text="",
    )
    return Ticket(
        id=f"T-{number:06d}",
        contact=contact,
        reason=reason,
        reasons=[reason],
        team=team,
        priority=Priority.normal,
        status=TicketStatus.resolved if resolved else TicketStatus.queued,
        created_at=created,
        updated_at=created,
        sla_deadline=created + timedelta(hours=1),
        first_response_at=first_response,
        resolved_at=resolved,
        sla_breached=breached,
        lead=lead,
        summary=summary,
    )


def report(**inputs: object) -> Report:
    """The report of March-April 2026 over the given inputs (empty by default)."""
    defaults: dict[str, object] = {"tickets": [], "activity": [], "consent": [], "misses": []}
    return build_report(
        since=SINCE,
        until=UNTIL,
        calendars=CALENDARS,
        default_calendar=CALENDARS["support"],
        **(defaults | inputs),  # type: ignore[arg-type]
    )


def test_percentile_interpolates_linearly() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 50) == 5.5
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile([7.0], 90) == 7.0
    assert percentile([], 50) is None


def test_sessions_split_at_a_silence_longer_than_a_day() -> None:
    times = [at("2026-03-02 10:00"), at("2026-03-03 09:00"), at("2026-03-05 10:00")]
    assert [len(run) for run in sessions(reversed(times))] == [2, 1]


def test_response_and_resolution_times_are_in_business_minutes() -> None:
    tickets = [
        # Friday 18:10 -> Saturday 9:40: 20 minutes on Friday + 10 on Saturday morning
        ticket(1, "+393330000001", at("2026-03-06 18:10"), first_response=at("2026-03-07 09:40")),
        ticket(2, "+393330000002", at("2026-03-09 10:00"), first_response=at("2026-03-09 10:45")),
        ticket(3, "+393330000003", at("2026-03-09 11:00"), first_response=at("2026-03-09 13:00")),
        # Saturday 12:00 -> Tuesday 9:30 over Easter Sunday and Easter Monday: 60 + 30
        ticket(
            4,
            "+393330000004",
            at("2026-04-04 12:00"),
            first_response=None,
            resolved=at("2026-04-07 09:30"),
        ),
    ]
    result = report(tickets=tickets)
    assert result.first_response.n == 3 and result.first_response.pending == 1
    assert result.first_response.median_minutes == 45.0
    assert result.first_response.p90_minutes == 105.0  # 45 + 0.8 * (120 - 45)
    assert result.resolution.n == 1 and result.resolution.pending == 3
    assert result.resolution.median_minutes == 90.0 == result.resolution.p90_minutes


def test_a_ticket_answered_years_later_is_counted_not_refused() -> None:
    created = at("2024-03-05 10:00")
    late = ticket(1, "+393330000009", created, first_response=at("2026-03-03 10:00"))
    calendar = CALENDARS["support"]
    expected = sum(
        calendar.business_minutes_between(start, start + timedelta(days=100))
        for start in (created + timedelta(days=100 * i) for i in range(7))
    ) + calendar.business_minutes_between(created + timedelta(days=700), at("2026-03-03 10:00"))
    result = build_report(
        since=at("2024-03-01 00:00"),
        until=at("2024-04-01 00:00"),
        tickets=[late],
        activity=[],
        consent=[],
        misses=[],
        calendars=CALENDARS,
        default_calendar=calendar,
    )
    assert result.first_response.median_minutes == round(expected, 1)
    assert expected > 200_000  # about two years of opening hours


def test_containment_handoffs_by_reason_and_the_period() -> None:
    faq, human, lead, stop = "+393331000001", "+393331000002", "+393331000003", "+393331000004"
    activity = [
        ContactActivity(contact=faq, messages=[at("2026-03-02 10:00"), at("2026-03-02 10:02")]),
        ContactActivity(contact=human, messages=[at("2026-03-02 11:00"), at("2026-03-02 11:01")]),
        ContactActivity(contact=lead, messages=[at("2026-03-02 12:00")]),
        # the opt-out contact also wrote in February (another conversation, another period)
        ContactActivity(contact=stop, messages=[at("2026-02-20 10:00"), at("2026-03-03 09:00")]),
    ]
    tickets = [
        ticket(1, human, at("2026-03-02 11:01")),
        ticket(2, lead, at("2026-03-02 12:05"), reason=Reason.qualified_lead, team="sales"),
        ticket(3, stop, at("2026-02-20 10:00"), reason=Reason.complaint),  # before the period
    ]
    result = report(activity=activity, tickets=tickets)
    assert (result.conversations, result.contained, result.handed_off) == (4, 2, 2)
    assert result.containment_rate == 0.5 and result.handoff_rate == 0.5
    by_reason = {row.key: (row.count, row.share) for row in result.handoffs_by_reason}
    assert by_reason == {
        "human_requested": (1, 0.25),
        "bot_failed": (0, 0.0),
        "qualified_lead": (1, 0.25),
        "complaint": (0, 0.0),
    }
    assert result.tickets == 2  # the February ticket is outside the period
    assert [(d.day, d.conversations, d.handed_off) for d in result.daily] == [
        ("2026-03-02", 3, 2),
        ("2026-03-03", 1, 0),
    ]


def test_sla_breaches_by_team() -> None:
    tickets = [
        ticket(1, "+393332000001", at("2026-03-02 10:00"), team="sales", breached=True),
        ticket(2, "+393332000002", at("2026-03-02 10:00"), team="sales"),
        ticket(3, "+393332000003", at("2026-03-02 10:00"), team="support", breached=True),
    ]
    sla = report(tickets=tickets).sla
    assert (sla.tickets, sla.breached, sla.rate) == (3, 2, 0.6667)
    assert [(r.key, r.count, r.share) for r in sla.by_team] == [
        ("sales", 1, 0.5),
        ("support", 1, 1.0),
    ]


def test_leads_by_type_area_and_budget_band() -> None:
    def lead(n: int, kind: str, area: str | None, budget: int | None) -> Ticket:
        slots = LeadSlots(lead_type=kind, area=area, budget_max=budget)
        created = at("2026-03-10 10:00")
        return ticket(n, f"+39333300000{n}", created, reason=Reason.qualified_lead, lead=slots)

    leads = [
        lead(1, "buy", "Navigli", 300_000),
        lead(2, "buy", "Navigli", 340_000),
        lead(3, "buy", "Isola", 1_200_000),
        lead(4, "rent", "Isola", 1_200),
        lead(5, "sell", None, None),
    ]
    result = report(tickets=[*leads, ticket(9, "+393333000009", at("2026-03-10 11:00"))])
    assert result.leads == 5
    assert [(r.key, r.count) for r in result.leads_by_type] == [
        ("buy", 3),
        ("rent", 1),
        ("sell", 1),
    ]
    assert [(r.key, r.count) for r in result.leads_by_area] == [
        ("Isola", 2),
        ("Navigli", 2),
        ("unknown", 1),
    ]
    assert [(r.lead_type, r.band, r.count) for r in result.leads_by_budget] == [
        ("buy", "200k–350k", 2),
        ("buy", "≥ 1M", 1),
        ("rent", "1,000–1,500/month", 1),
        ("sell", "unknown", 1),
    ]
    assert budget_band("buy", 199_999) == "< 200k" and budget_band("rent", 2_500) == "≥ 2,500/month"


def test_unanswered_questions_are_grouped_and_ranked() -> None:
    misses = [
        KbMiss(text="Accettate cani?", lang="it", at=at("2026-03-02 10:00")),
        KbMiss(text="accettate  cani", lang="it", at=at("2026-03-03 10:00")),
        KbMiss(text="Do you sell boats?", lang="en", at=at("2026-03-04 10:00")),
        KbMiss(text="accettate cani?", lang="it", at=at("2026-02-01 10:00")),  # before
        KbMiss(text="?!", lang="it", at=at("2026-03-04 10:00")),  # nothing to group
    ]
    rows = report(misses=misses).unanswered
    assert [(r.text, r.lang, r.count) for r in rows] == [
        ("accettate  cani", "it", 2),
        ("Do you sell boats?", "en", 1),
    ]
    assert rows[0].last_at == at("2026-03-03 10:00")


def test_opt_outs_and_opt_ins_in_the_period() -> None:
    consent = [
        ConsentChange(contact="+393334000001", state="opted_out", at=at("2026-03-02 10:00")),
        ConsentChange(contact="+393334000001", state="opted_in", at=at("2026-03-09 10:00")),
        ConsentChange(contact="+393334000002", state="opted_out", at=at("2026-05-02 10:00")),
    ]
    result = report(consent=consent)
    assert (result.opt_outs, result.opt_ins) == (1, 1)


def test_every_table_exports_as_csv() -> None:
    tickets = [ticket(1, "+393335000001", at("2026-03-02 10:00"), breached=True)]
    result = report(tickets=tickets)
    summary = list(csv.DictReader(io.StringIO(table_csv(result, "summary"))))
    assert {"metric": "sla_breached", "value": "1"} in summary
    by_reason = list(csv.DictReader(io.StringIO(table_csv(result, "handoffs_by_reason"))))
    assert [r["key"] for r in by_reason] == [r.value for r in Reason]
    assert table_csv(result, "unanswered") == "text,lang,count,last_at\n"
    with pytest.raises(KeyError):
        table_csv(result, "nope")

"""SLA deadlines in business time: weekends, holidays, closures, DST (demo tenant calendar)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from handoff.business_hours import BusinessCalendar, parse_interval
from handoff.config import DEFAULT_TEAMS_FILE
from handoff.models import Priority
from handoff.teams import load_teams

TEAMS = load_teams(DEFAULT_TEAMS_FILE)
SALES = TEAMS.get("sales")
CAL = SALES.calendar


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (start, business minutes, expected deadline, why)
SLA_CASES = [
    ("2026-03-02T10:15:00+01:00", 60, "2026-03-02T11:15:00+01:00", "Monday morning, same day"),
    ("2026-03-06T18:10:00+01:00", 60, "2026-03-07T10:10:00+01:00", "issue example: Fri 18:10"),
    ("2026-03-06T17:10:00+00:00", 60, "2026-03-07T10:10:00+01:00", "same instant given in UTC"),
    ("2026-03-07T12:30:00+01:00", 60, "2026-03-09T09:30:00+01:00", "Saturday closes at 13:00"),
    ("2026-03-08T11:00:00+01:00", 60, "2026-03-09T10:00:00+01:00", "Sunday is closed"),
    ("2026-03-02T08:00:00+01:00", 60, "2026-03-02T10:00:00+01:00", "before opening"),
    ("2026-03-02T09:00:00+01:00", 60, "2026-03-02T10:00:00+01:00", "exactly at opening"),
    ("2026-03-02T18:30:00+01:00", 60, "2026-03-03T10:00:00+01:00", "exactly at closing"),
    ("2026-03-02T18:29:00+01:00", 60, "2026-03-03T09:59:00+01:00", "one minute before closing"),
    ("2026-03-04T22:00:00+01:00", 60, "2026-03-05T10:00:00+01:00", "after closing"),
    ("2026-03-07T14:00:00+01:00", 60, "2026-03-09T10:00:00+01:00", "Saturday afternoon"),
    ("2026-03-02T10:00:00+01:00", 600, "2026-03-03T10:30:00+01:00", "SLA longer than a day"),
    ("2026-03-06T18:10:00+01:00", 30, "2026-03-07T09:40:00+01:00", "urgent 30 min on Friday"),
    ("2026-03-07T12:00:00+01:00", 120, "2026-03-09T10:00:00+01:00", "low 120 min on Saturday"),
    ("2026-04-04T12:30:00+02:00", 60, "2026-04-07T09:30:00+02:00", "Easter Sunday + Monday"),
    ("2026-04-06T10:00:00+02:00", 60, "2026-04-07T10:00:00+02:00", "on Easter Monday"),
    ("2026-03-28T12:30:00+01:00", 60, "2026-03-30T09:30:00+02:00", "DST starts on Sunday"),
    ("2026-10-24T12:30:00+02:00", 60, "2026-10-26T09:30:00+01:00", "DST ends on Sunday"),
    ("2026-04-24T18:00:00+02:00", 60, "2026-04-27T09:30:00+02:00", "Liberation Day (Sat)"),
    ("2026-04-30T18:00:00+02:00", 60, "2026-05-02T10:00:00+02:00", "Labour Day (Fri)"),
    ("2026-06-01T18:00:00+02:00", 60, "2026-06-03T09:30:00+02:00", "Republic Day (Tue)"),
    ("2026-08-14T18:00:00+02:00", 60, "2026-08-17T09:30:00+02:00", "Ferragosto (Sat)"),
    ("2026-12-05T12:30:00+01:00", 60, "2026-12-09T09:30:00+01:00", "Sant'Ambrogio + Immacolata"),
    ("2026-12-24T18:00:00+01:00", 60, "2026-12-28T09:30:00+01:00", "Christmas, Santo Stefano"),
    ("2026-12-31T18:00:00+01:00", 60, "2027-01-02T10:00:00+01:00", "New Year's Day (Fri)"),
    ("2027-01-05T18:00:00+01:00", 60, "2027-01-07T09:30:00+01:00", "Epiphany (Wed)"),
    ("2027-10-02T12:30:00+02:00", 60, "2027-10-05T09:30:00+02:00", "San Francesco (Mon)"),
    ("2027-03-27T12:30:00+01:00", 60, "2027-03-30T09:30:00+02:00", "Easter Monday + DST 2027"),
]


@pytest.mark.parametrize(
    ("start", "minutes", "expected", "why"), SLA_CASES, ids=[c[3] for c in SLA_CASES]
)
def test_sla_deadline_table(start: str, minutes: int, expected: str, why: str) -> None:
    deadline = CAL.add_business_minutes(at(start), minutes)
    assert deadline == at(expected), why
    assert deadline.utcoffset() == at(expected).utcoffset(), "returned in Europe/Rome time"


def test_table_has_at_least_twenty_cases() -> None:
    assert len(SLA_CASES) >= 20


def test_team_sla_uses_priority_minutes() -> None:
    friday = at("2026-03-06T18:10:00+01:00")
    assert SALES.sla_deadline(Priority.normal, friday) == at("2026-03-07T10:10:00+01:00")
    assert SALES.sla_deadline(Priority.high, friday) == at("2026-03-07T09:40:00+01:00")
    assert SALES.sla_deadline(Priority.low, friday) == at("2026-03-07T11:10:00+01:00")


@pytest.mark.parametrize(
    ("moment", "is_open", "opening"),
    [
        ("2026-03-02T10:00:00+01:00", True, "2026-03-02T10:00:00+01:00"),
        ("2026-03-02T18:30:00+01:00", False, "2026-03-03T09:00:00+01:00"),
        ("2026-03-07T13:30:00+01:00", False, "2026-03-09T09:00:00+01:00"),
        ("2026-03-07T09:29:59+01:00", False, "2026-03-07T09:30:00+01:00"),
        ("2026-04-06T11:00:00+02:00", False, "2026-04-07T09:00:00+02:00"),
        ("2026-12-07T11:00:00+01:00", False, "2026-12-09T09:00:00+01:00"),
    ],
)
def test_is_open_and_next_opening(moment: str, is_open: bool, opening: str) -> None:
    assert CAL.is_open(at(moment)) is is_open
    assert CAL.next_opening(at(moment)) == at(opening)


def test_closure_names() -> None:
    assert CAL.closure_name(at("2026-04-06T00:00:00+02:00").date()) == "Easter Monday"
    assert CAL.closure_name(at("2026-12-07T00:00:00+01:00").date()) == "closure"
    assert CAL.closure_name(at("2026-03-02T00:00:00+01:00").date()) is None


def test_business_minutes_between_skips_closed_time() -> None:
    friday = at("2026-03-06T18:10:00+01:00")
    assert CAL.business_minutes_between(friday, at("2026-03-07T10:10:00+01:00")) == 60
    assert CAL.business_minutes_between(friday, friday) == 0


ROUND_THE_CLOCK = BusinessCalendar(
    timezone=ZoneInfo("Europe/Rome"),
    weekly={day: (parse_interval("00:00-24:00"),) for day in range(7)},
    country=None,
)


def test_dst_spring_forward_counts_real_minutes() -> None:
    start = at("2026-03-29T01:30:00+01:00")
    assert ROUND_THE_CLOCK.add_business_minutes(start, 60) == at("2026-03-29T03:30:00+02:00")


def test_dst_fall_back_counts_real_minutes() -> None:
    start = at("2026-10-25T02:30:00+02:00")
    deadline = ROUND_THE_CLOCK.add_business_minutes(start, 60)
    assert deadline == at("2026-10-25T02:30:00+01:00")
    assert deadline.utcoffset() == at("2026-10-25T02:30:00+01:00").utcoffset()


def test_bad_hours_are_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="09:00-18:30"):
        parse_interval("9 to 6")
    with pytest.raises(ValueError, match="end before"):
        parse_interval("18:00-09:00")
    assert parse_interval("09:30-13:00") == (time(9, 30), time(13, 0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CAL.add_business_minutes(datetime(2026, 3, 2, 10, 0), 60)

"""Business calendars: weekly hours, public holidays and closures, in one time zone.

All arithmetic is done in UTC, so a DST change inside opening hours counts real minutes;
results are returned in the calendar's time zone as fixed UTC offsets (a ``ZoneInfo``
datetime with ``fold=1`` never compares equal across zones).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 400
Interval = tuple[time, time | None]  # end None = midnight (24:00)


def parse_interval(spec: str) -> Interval:
    """Parse ``"09:00-18:30"`` (``24:00`` allowed as the end) into times."""
    try:
        start_text, end_text = (part.strip() for part in spec.split("-"))
        start = time.fromisoformat(start_text)
        end = None if end_text == "24:00" else time.fromisoformat(end_text)
    except ValueError as exc:
        raise ValueError(f"bad opening hours {spec!r}; write them like '09:00-18:30'") from exc
    if end is not None and end <= start:
        raise ValueError(f"opening hours {spec!r} end before they start")
    return start, end


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works: weekly intervals minus public holidays and closures."""

    timezone: ZoneInfo
    weekly: dict[int, tuple[Interval, ...]]
    country: str | None = "IT"
    subdivision: str | None = None
    recurring_closures: frozenset[tuple[int, int]] = frozenset()
    closure_dates: frozenset[date] = frozenset()
    _holidays: holidays.HolidayBase | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Build the holiday table once (years are added lazily by the library)."""
        if self.country and self._holidays is None:
            table = holidays.country_holidays(self.country, subdiv=self.subdivision)
            object.__setattr__(self, "_holidays", table)

    def is_closed_day(self, day: date) -> bool:
        """Whether the whole day is closed (holiday or closure)."""
        if day in self.closure_dates or (day.month, day.day) in self.recurring_closures:
            return True
        return self._holidays is not None and day in self._holidays

    def closure_name(self, day: date) -> str | None:
        """Name of the holiday or closure on a day, if any."""
        if day in self.closure_dates or (day.month, day.day) in self.recurring_closures:
            return "closure"
        return self._holidays.get(day) if self._holidays is not None else None

    def intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Yield the day's opening intervals as UTC datetimes."""
        if self.is_closed_day(day):
            return
        for start, end in self.weekly.get(day.weekday(), ()):
            opens = datetime.combine(day, start, tzinfo=self.timezone)
            if end is None:
                closes = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.timezone)
            else:
                closes = datetime.combine(day, end, tzinfo=self.timezone)
            yield opens.astimezone(UTC), closes.astimezone(UTC)

    def _spans_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield opening spans (UTC) that end after ``at``, clipped to start at ``at``."""
        cursor = _to_utc(at)
        day = cursor.astimezone(self.timezone).date() - timedelta(days=1)
        for offset in range(_MAX_DAYS):
            for opens, closes in self.intervals(day + timedelta(days=offset)):
                if closes > cursor:
                    yield max(opens, cursor), closes
        raise ValueError(f"the calendar has no opening hours in the {_MAX_DAYS} days after {at}")

    def is_open(self, at: datetime) -> bool:
        """Whether the team is working at this instant."""
        opens, _ = next(self._spans_from(at))
        return opens == _to_utc(at)

    def next_opening(self, at: datetime) -> datetime:
        """Return ``at`` if open, else the next opening time (local time zone)."""
        return self.add_business_minutes(at, 0)

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """Return the instant ``minutes`` of opening time after ``start`` (local time zone)."""
        remaining = timedelta(minutes=minutes)
        for opens, closes in self._spans_from(start):
            if remaining <= closes - opens:
                return self.local(opens + remaining)
            remaining -= closes - opens
        raise AssertionError("unreachable: _spans_from raises when it runs out")

    def local(self, at: datetime) -> datetime:
        """``at`` in the calendar's time zone, as a fixed UTC offset (safe to compare)."""
        moment = _to_utc(at).astimezone(self.timezone)
        return moment.replace(tzinfo=timezone(moment.utcoffset() or timedelta()), fold=0)

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Opening minutes between two instants (0 when ``end`` is before ``start``)."""
        total = timedelta()
        stop = _to_utc(end)
        for opens, closes in self._spans_from(start):
            if opens >= stop:
                break
            total += min(closes, stop) - opens
        return total.total_seconds() / 60


def _to_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone; pass an aware datetime")
    return at.astimezone(UTC)

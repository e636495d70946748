"""Response-time targets counted in business hours: how old a card is, and is it at risk.

The guidelines' front matter sets opening hours and a target per channel (public posts
within an hour, direct messages within four). Time outside the opening hours does not count:
a post at 17:55 on a Friday with a one-hour target is due at 08:55 on Monday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

_WEEK = 7


class TargetState(StrEnum):
    """Where a card stands against its channel's target."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # past `at_risk_share` of the target
    OVERDUE = "overdue"  # past the target


@dataclass(frozen=True)
class BusinessHours:
    """When the team works: weekdays (0 = Monday) from `opens` to `closes`, local time.

    Holidays are whole days off. `always` (the default) counts every second, for teams that
    answer around the clock or have not said otherwise.
    """

    timezone: str = "UTC"
    weekdays: frozenset[int] = frozenset(range(_WEEK))
    opens: dt.time = dt.time(0, 0)
    closes: dt.time | None = None  # None: until midnight
    holidays: frozenset[dt.date] = frozenset()

    @property
    def always(self) -> bool:
        """Whether every second counts (no closed hours or days)."""
        return (
            len(self.weekdays) == _WEEK
            and self.opens == dt.time(0, 0)
            and self.closes is None
            and not self.holidays
        )

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds from `start` to `end` (0 when `end` is not later)."""
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds()
        zone = ZoneInfo(self.timezone)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        total = 0.0
        day = local_start.date()
        while day <= local_end.date():
            window = self._window(day, zone)
            if window is not None:
                opened = max(window[0], local_start)
                closed = min(window[1], local_end)
                if closed > opened:
                    total += (closed - opened).total_seconds()
            day += dt.timedelta(days=1)
        return total

    def _window(self, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
        if day.weekday() not in self.weekdays or day in self.holidays:
            return None
        opens = dt.datetime.combine(day, self.opens, zone)
        closes = (
            dt.datetime.combine(day, self.closes, zone)
            if self.closes is not None
            else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), zone)
        )
        return (opens, closes) if closes > opens else None


@dataclass(frozen=True)
class ResponseTargets:
    """Targets per channel in business seconds; channels without one have no target."""

    hours: BusinessHours = field(default_factory=BusinessHours)
    per_channel: dict[str, float] = field(default_factory=dict)
    at_risk_share: float = 0.75

    def target_for(self, channel: str) -> float | None:
        """The channel's target in seconds, or None."""
        return self.per_channel.get(channel)

    def age(self, received_at: dt.datetime, now: dt.datetime) -> float:
        """Business seconds since the enquiry arrived."""
        return self.hours.seconds_between(received_at, now)

    def state(self, channel: str, received_at: dt.datetime, now: dt.datetime) -> TargetState:
        """Whether an enquiry waiting since `received_at` is on track, at risk or overdue."""
        target = self.target_for(channel)
        if target is None:
            return TargetState.ON_TRACK
        age = self.age(received_at, now)
        if age >= target:
            return TargetState.OVERDUE
        if age >= target * self.at_risk_share:
            return TargetState.AT_RISK
        return TargetState.ON_TRACK

    def within(self, channel: str, received_at: dt.datetime, answered_at: dt.datetime) -> bool:
        """Whether an answer at `answered_at` met the channel's target (True without one)."""
        target = self.target_for(channel)
        return target is None or self.age(received_at, answered_at) <= target

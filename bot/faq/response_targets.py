"""Response-time targets counted in business hours: how old a card is, and is it at risk.

The guidelines' front matter sets opening hours and a target per channel (public posts
within an hour, direct messages within four). Time outside the opening hours does not count:
a post at 17:55 on a Friday with a one-hour target is due at 08:55 on Monday. Front matter
(every key optional; without the block no channel has a target):

```yaml
response_times:
  timezone: Europe/Berlin
  business_hours: {days: [mon, tue, wed, thu, fri], opens: "08:00", closes: "18:00"}
  holidays: [2026-12-24, 2026-12-25]
  at_risk_share: 0.75          # "at risk" from 75 % of the target on
  targets: {x: 60m, facebook: 60m, telegram: 4h, webhook: 1h30m}
```

These values live beside the guidelines that configure them (not in `bot.services`), so
reading the knowledge folder never imports the use cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import KnowledgeError
from bot.models import Channel

_WEEK = 7
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")
_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


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
    # Each day's opening hours as epoch seconds, by date ordinal: reports ask for the same
    # days thousands of times. Not part of the value (equality, hash, repr).
    _windows: dict[int, tuple[float, float] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def zone(self) -> dt.tzinfo:
        """The team's time zone, whose wall clock makes "the same hour of the week"."""
        return _zone(self.timezone)

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
        zone = _zone(self.timezone)
        first = start.astimezone(zone).date().toordinal()
        last = end.astimezone(zone).date().toordinal()
        begin, finish = start.timestamp(), end.timestamp()
        windows = self._windows
        total = 0.0
        for ordinal in range(first, last + 1):
            if ordinal not in windows:
                windows[ordinal] = self.window(dt.date.fromordinal(ordinal))
            window = windows[ordinal]
            if window is not None:
                opened = window[0] if window[0] > begin else begin
                closed = window[1] if window[1] < finish else finish
                if closed > opened:
                    total += closed - opened
        return total

    def window(self, day: dt.date) -> tuple[float, float] | None:
        """The day's opening hours as epoch seconds, or None on a closed day."""
        if day.weekday() not in self.weekdays or day in self.holidays:
            return None
        zone = _zone(self.timezone)
        opens = dt.datetime.combine(day, self.opens, zone)
        closes = (
            dt.datetime.combine(day, self.closes, zone)
            if self.closes is not None
            else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), zone)
        )
        return (opens.timestamp(), closes.timestamp()) if closes > opens else None


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class ResponseTargets:
    """Targets per channel in business seconds; channels without one have no target."""

    hours: BusinessHours = field(default_factory=BusinessHours)
    per_channel: dict[str, float] = field(default_factory=dict)
    at_risk_share: float = 0.75

    @property
    def any(self) -> bool:
        """Whether any channel has a target (without one, every card is on track)."""
        return bool(self.per_channel)

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


def parse_response_targets(raw: object, source: str) -> ResponseTargets:
    """Read the `response_times:` mapping of a guidelines file.

    Args:
        raw: The front matter value (None when the file has no such block).
        source: The file, named in errors.

    Raises:
        KnowledgeError: when a key has the wrong shape, naming the file and the key
            (e.g. `response_times.targets.x`).
    """
    if raw is None:
        return ResponseTargets()
    mapping = _mapping(raw, "response_times", source)
    _no_unknown_keys(
        mapping, {"timezone", "business_hours", "holidays", "at_risk_share", "targets"}, source
    )
    timezone = str(mapping.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise KnowledgeError(
            source, f"response_times.timezone: unknown time zone {timezone!r}"
        ) from None
    hours = _business_hours(mapping.get("business_hours"), timezone, source)
    return ResponseTargets(
        hours=dataclasses.replace(hours, holidays=_holidays(mapping.get("holidays"), source)),
        per_channel=_targets(mapping.get("targets"), source),
        at_risk_share=_share(mapping.get("at_risk_share", 0.75), source),
    )


def parse_duration(value: object) -> float | None:
    """Seconds in a duration like "60m", "4h" or "1h30m"; None when it is not one."""
    match = _DURATION.match(str(value).strip().lower()) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        return None
    hours, minutes = (int(part) if part else 0 for part in match.groups())
    seconds = float(hours * 3600 + minutes * 60)
    return seconds if seconds > 0 else None


def _business_hours(raw: object, timezone: str, source: str) -> BusinessHours:
    if raw is None:
        return BusinessHours(timezone=timezone)
    key = "response_times.business_hours"
    mapping = _mapping(raw, key, source)
    _no_unknown_keys(mapping, {"days", "opens", "closes"}, source, key)
    days = mapping.get("days", list(_DAYS))
    if not isinstance(days, list) or not days:
        raise KnowledgeError(source, f"{key}.days must be a list of days (mon … sun)")
    weekdays = set()
    for day in days:
        name = str(day).strip().lower()[:3]
        if name not in _DAYS:
            raise KnowledgeError(source, f"{key}.days: unknown day {day!r} (mon … sun)")
        weekdays.add(_DAYS[name])
    opens = _clock_time(mapping.get("opens", "00:00"), f"{key}.opens", source)
    closes = _clock_time(mapping.get("closes", "24:00"), f"{key}.closes", source)
    if opens is None or (closes is not None and closes <= opens):
        raise KnowledgeError(source, f"{key}: opens must be before closes")
    return BusinessHours(timezone, frozenset(weekdays), opens, closes)


def _clock_time(value: object, key: str, source: str) -> dt.time | None:
    """A local time "HH:MM"; "24:00" is midnight at the end of the day (None)."""
    # Unquoted, YAML reads 18:00 as the number 1080 (base 60): ask for quotes instead.
    match = _CLOCK_TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise KnowledgeError(source, f'{key} must be a time in quotes, e.g. "08:00"')
    hour, minute = int(match.group(1)), int(match.group(2))
    if (hour, minute) == (24, 0):
        return None
    if hour > 23 or minute > 59:
        raise KnowledgeError(source, f"{key}: {value!r} is not a time of day")
    return dt.time(hour, minute)


def _holidays(raw: object, source: str) -> frozenset[dt.date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise KnowledgeError(source, "response_times.holidays must be a list of dates")
    days = set()
    for value in raw:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            days.add(value)
            continue
        try:
            days.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            raise KnowledgeError(
                source, f"response_times.holidays: {value!r} is not a date (YYYY-MM-DD)"
            ) from None
    return frozenset(days)


def _targets(raw: object, source: str) -> dict[str, float]:
    if raw is None:
        return {}
    mapping = _mapping(raw, "response_times.targets", source)
    known = {channel.value for channel in Channel}
    targets = {}
    for channel, value in mapping.items():
        key = f"response_times.targets.{channel}"
        if str(channel) not in known:
            expected = ", ".join(sorted(known))
            raise KnowledgeError(source, f"{key}: unknown channel (expected {expected})")
        seconds = parse_duration(value)
        if seconds is None:
            raise KnowledgeError(
                source, f'{key}: {value!r} is not a duration like "60m", "4h" or "1h30m"'
            )
        targets[str(channel)] = seconds
    return targets


def _share(value: object, source: str) -> float:
    share = -1.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        share = float(value)
    if not 0 < share <= 1:
        raise KnowledgeError(
            source, f"response_times.at_risk_share: {value!r} must be a number above 0, up to 1"
        )
    return share


def _mapping(raw: object, key: str, source: str) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise KnowledgeError(source, f"{key} must be a mapping")
    return {str(name): value for name, value in raw.items()}


def _no_unknown_keys(
    mapping: dict[str, object], known: set[str], source: str, key: str = "response_times"
) -> None:
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise KnowledgeError(source, f"{key}: unknown key {unknown[0]!r}")

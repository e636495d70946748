"""What the leads' spike alert shows; the board renders it (Slack blocks or a log line)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class AlertExample:
    """One post of the spike, with where its card is (for a link), when it was posted."""

    text: str
    card_channel: str | None = None
    card_ts: str | None = None


@dataclass(frozen=True)
class SpikeAlert:
    """A spike as the leads see it: what, since when, how many, examples, the statement."""

    spike_id: str
    label: str
    started_at: dt.datetime
    count: int
    expected: float
    examples: tuple[AlertExample, ...]
    statement: tuple[tuple[str, str], ...] = ()  # (language and register, text)
    statement_approved_by: str | None = None
    open_cards: int = 0  # cards of the topic nobody has decided yet
    offering: int = 0  # of those, the cards that offer the approved statement
    ended: bool = False

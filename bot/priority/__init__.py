"""The priority of an enquiry: its tone, the reasons it may not wait, and a score to sort by.

- `sentiment`: negative / neutral / positive with a confidence;
- `urgency`: safety, outage, legal, press, deadline, repeated contact, each with a
  confidence and the words that triggered it;
- `signals`, `model`: what the fitted heads read and the heads themselves (`priority.json`,
  fitted across the shared data sets by benchmarks/fit_priority.py).

Usage:
    >>> priority = assess_priority("Die App geht seit heute früh nicht!", earlier_unanswered=1)
    >>> priority.is_urgent
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.priority.model import OPERATING_POINT, PriorityModel, default_model
from bot.priority.sentiment import (
    Sentiment,
    SentimentReading,
    read_sentiment,
    sentiment_from_signals,
)
from bot.priority.signals import read_signals
from bot.priority.urgency import (
    REPORTED,
    Urgency,
    UrgencyReason,
    read_urgency,
    urgency_from_signals,
)

__all__ = [
    "URGENT",
    "URGENT_SCORE",
    "Priority",
    "Sentiment",
    "SentimentReading",
    "Urgency",
    "UrgencyReason",
    "assess_priority",
    "read_sentiment",
    "read_urgency",
]

# A reason at or above this confidence makes an enquiry urgent: each fitted head's operating
# threshold (chosen by held-out F1 across the data sets, see model.py) reads 0.5.
URGENT = OPERATING_POINT
# Where an urgent reason puts the score: the order of work is safety, then legal and press,
# then outage, deadline and repeated contact; each spans _TIER_SPAN by its confidence.
_TIERS = {
    Urgency.SAFETY: 0.9,
    Urgency.LEGAL: 0.8,
    Urgency.PRESS: 0.8,
    Urgency.OUTAGE: 0.7,
    Urgency.DEADLINE: 0.6,
    Urgency.REPEATED_CONTACT: 0.5,
}
_TIER_SPAN = 0.08
# The lowest tier: a score at or above it means the enquiry has an urgent reason, below it
# none (a card's mark for "urgent" can read the stored score alone).
URGENT_SCORE = min(_TIERS.values())
# Each further urgent reason, and an angry tone, lift the score a little within its tier.
_EXTRA_REASON = 0.01
_ANGER = 0.01
# Without an urgent reason: a possible one (REPORTED..URGENT) sits at 0.35..0.45, a negative
# tone alone at 0.2..0.3, a neutral enquiry at 0.1, praise at 0.05 (it needs no answer soon).
_POSSIBLE = 0.35
_NEGATIVE = 0.2
_NEUTRAL = 0.1
_POSITIVE = 0.05


@dataclass(frozen=True)
class Priority:
    """The priority reading of one enquiry; `score` (0..1) orders work, higher first."""

    sentiment: Sentiment
    sentiment_confidence: float
    reasons: tuple[UrgencyReason, ...]
    score: float

    @property
    def is_urgent(self) -> bool:
        """Whether any reason reaches `URGENT` confidence."""
        return any(reason.confidence >= URGENT for reason in self.reasons)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for a JSON column."""
        return {
            "sentiment": self.sentiment.value,
            "sentiment_confidence": self.sentiment_confidence,
            "reasons": [
                {"reason": r.reason.value, "confidence": r.confidence, "cue": r.cue}
                for r in self.reasons
            ],
            "score": self.score,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Priority:
        """Read what `to_json` wrote; an unknown sentiment or reason raises ValueError."""
        return cls(
            Sentiment(data["sentiment"]),
            float(data["sentiment_confidence"]),
            tuple(
                UrgencyReason(Urgency(r["reason"]), float(r["confidence"]), str(r["cue"]))
                for r in data["reasons"]
            ),
            float(data["score"]),
        )


def assess_priority(text: str, *, earlier_unanswered: int = 0) -> Priority:
    """Read the tone and urgency of `text` and score it for the order of work.

    Args:
        text: the customer's message, German or English.
        earlier_unanswered: how many of the customer's earlier messages still have no reply.

    Returns:
        The reading; a few ms after the first call, which loads the models.
    """
    return priority_with(text, default_model(), earlier_unanswered)


def priority_with(text: str, model: PriorityModel, earlier_unanswered: int = 0) -> Priority:
    """`assess_priority` with any fitted model (the benchmarks' held-out fits)."""
    signals = read_signals(text)
    tone = sentiment_from_signals(signals, model)
    reasons = urgency_from_signals(signals, text, model, earlier_unanswered)
    return Priority(tone.label, round(tone.confidence, 4), reasons, score(tone, reasons))


def score(tone: SentimentReading, reasons: tuple[UrgencyReason, ...]) -> float:
    """The order of work: the strongest urgent reason's tier, else tone and possible reasons."""
    urgent = [r for r in reasons if r.confidence >= URGENT]
    if urgent:
        lead = max(urgent, key=lambda r: (_TIERS[r.reason], r.confidence))
        strength = (lead.confidence - URGENT) / (1 - URGENT)
        value = _TIERS[lead.reason] + _TIER_SPAN * strength + _EXTRA_REASON * (len(urgent) - 1)
        if tone.label is Sentiment.NEGATIVE:
            value += _ANGER * tone.confidence
        return round(min(value, 1.0), 4)
    if reasons:
        possible = max(r.confidence for r in reasons)
        return round(_POSSIBLE + (possible - REPORTED) / (URGENT - REPORTED) * 0.1, 4)
    if tone.label is Sentiment.NEGATIVE:
        return round(_NEGATIVE + 0.1 * tone.confidence, 4)
    return _POSITIVE if tone.label is Sentiment.POSITIVE else _NEUTRAL

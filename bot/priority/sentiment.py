"""The tone of an enquiry: negative, neutral or positive, with a confidence.

Two fitted heads (`negative`, `positive` in `priority.json`) read VADER's scores, the
contextual triage (complaint, sarcasm, praise, abuse) and the USE embedding; German tone
comes from the embedding and the triage, VADER only knows English words and emoji.

Usage:
    >>> read_sentiment("Danke, super Service!").label
    <Sentiment.POSITIVE: 'positive'>
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.priority.model import OPERATING_POINT, PriorityModel, default_model
from bot.priority.signals import Signals, read_signals


class Sentiment(StrEnum):
    """The tone of a message."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True)
class SentimentReading:
    """A tone and how sure the reading is (0..1)."""

    label: Sentiment
    confidence: float


def read_sentiment(text: str) -> SentimentReading:
    """Read the tone of `text` with the shipped model.

    Args:
        text: the customer's message, German or English.

    Returns:
        Negative or positive when that head reaches its operating point (the stronger one
        wins), otherwise neutral with the confidence that neither applies.
    """
    return sentiment_from_signals(read_signals(text), default_model())


def sentiment_from_signals(signals: Signals, model: PriorityModel) -> SentimentReading:
    """The reading of `read_sentiment` from signals already read, with any fitted model."""
    negative = model.heads["negative"].confidence(signals)
    positive = model.heads["positive"].confidence(signals)
    if negative >= OPERATING_POINT and negative >= positive:
        return SentimentReading(Sentiment.NEGATIVE, negative)
    if positive >= OPERATING_POINT:
        return SentimentReading(Sentiment.POSITIVE, positive)
    return SentimentReading(Sentiment.NEUTRAL, 1.0 - max(negative, positive))

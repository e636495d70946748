"""Why an enquiry may not wait: safety, outage, legal, press, deadline, repeated contact.

How each reason is read (see benchmarks/priority.py for how well):

- safety, outage: fitted heads (`priority.json`) over the contextual triage, a cue grammar
  and the USE embedding, trained on data-set intents (fraud, lost cards, declined payments,
  Deutsche Bahn's `Sicherheit` and `Störung` aspects, ...);
- legal, press and the physical side of safety (fire, injury: no data set has gold for
  them, so nothing can be fitted): the contextual triage's label, and the embedding's
  similarity to a few prototype enquiries (`prototypes.json`) placed in the band ordinary
  enquiries reach (fitted). Label alone 0.7, similarity alone up to 0.49, both up to 0.84;
- deadline: a date and time grammar (today, tomorrow, a weekday, a date, "dringend"),
  weighted by the learned heads: a date matters when the customer needs something;
- repeated contact: the customer's earlier messages still without a reply.

Every reason comes with a confidence in 0..1 (`OPERATING_POINT`, 0.5, is urgent) and the few
words that triggered it, for the reviewer.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache, partial

import numpy as np

from bot.drafting.triage import Label
from bot.faq.embedders import Vectors
from bot.priority.model import PriorityModel, default_model
from bot.priority.signals import Signals, clause_cue, embed_texts, opening, read_signals

# The prototype sets in prototypes.json, each with a fitted similarity band.
PROTOTYPES = ("legal", "press", "hazard")
# Reasons below this confidence are not reported at all; between it and the operating point
# they are shown as "possibly" without making the enquiry urgent.
REPORTED = 0.4
# Each earlier unanswered message halves the doubt: 1 -> 0.5 (urgent), 2 -> 0.75, 3 -> 0.875.
_DOUBT_PER_MESSAGE = 0.5
# Legal, press, hazards: the label alone reads 0.7 (urgent); the prototype similarity alone
# at most 0.49, "possible": alone it raised false alarms on Bitext's complaint requests
# (1-4 %, benchmarks/priority.py); with the label it adds up to 0.14.
_LABEL_SHARE = 0.35
_SIMILARITY_SHARE = 0.14
_BASE = 0.35


class Urgency(StrEnum):
    """A reason to answer an enquiry before others."""

    SAFETY = "safety"
    OUTAGE = "outage"
    LEGAL = "legal"
    PRESS = "press"
    DEADLINE = "deadline"
    REPEATED_CONTACT = "repeated_contact"


@dataclass(frozen=True)
class UrgencyReason:
    """One reason, how sure the reading is (0..1), and the words that triggered it."""

    reason: Urgency
    confidence: float
    cue: str  # empty for repeated contact: its evidence is the count, not the text


def read_urgency(text: str, *, earlier_unanswered: int = 0) -> tuple[UrgencyReason, ...]:
    """Read the reasons `text` should be answered soon, most confident first.

    Args:
        text: the customer's message, German or English.
        earlier_unanswered: how many of the customer's earlier messages still have no reply.

    Returns:
        Every reason with a confidence of at least `REPORTED`.
    """
    return urgency_from_signals(read_signals(text), text, default_model(), earlier_unanswered)


def urgency_from_signals(
    signals: Signals, text: str, model: PriorityModel, earlier_unanswered: int = 0
) -> tuple[UrgencyReason, ...]:
    """The reading of `read_urgency` from signals already read, with any fitted model."""
    similarity = prototype_similarity(signals.embedding)

    def banded(label: Label, prototypes: str) -> float:
        placed = model.bands[prototypes].place(similarity[prototypes])
        return _BASE + _LABEL_SHARE * (label in signals.labels) + _SIMILARITY_SHARE * placed

    # The fitted head knows fraud and lost cards; physical hazards come from the band.
    safety = max(model.heads["safety"].confidence(signals), banded(Label.SAFETY, "hazard"))
    outage = model.heads["outage"].confidence(signals)
    # (reason, confidence, how to find its cue): cues are looked up for kept reasons only.
    found: list[tuple[Urgency, float, Callable[[], str]]] = [
        (Urgency.SAFETY, safety, lambda: _label_cue(text, signals, Label.SAFETY)),
        (Urgency.OUTAGE, outage, lambda: signals.outage_cue or opening(text)),
    ]
    for reason, label in ((Urgency.LEGAL, Label.LEGAL_THREAT), (Urgency.PRESS, Label.PRESS)):
        confidence = banded(label, reason.value)
        found.append((reason, confidence, partial(_label_cue, text, signals, label)))
    if signals.deadline_soon:
        asking = float(Label.QUESTION in signals.labels)
        need = max(model.heads["negative"].confidence(signals), outage, safety, asking)
        confidence = signals.deadline_soon * (0.55 + 0.45 * need)
        found.append((Urgency.DEADLINE, confidence, lambda: signals.deadline_cue))
    if earlier_unanswered > 0:
        confidence = 1.0 - _DOUBT_PER_MESSAGE**earlier_unanswered
        found.append((Urgency.REPEATED_CONTACT, confidence, str))
    kept = [
        UrgencyReason(reason, round(confidence, 4), cue())
        for reason, confidence, cue in found
        if confidence >= REPORTED
    ]
    return tuple(sorted(kept, key=lambda r: -r.confidence))


def _label_cue(text: str, signals: Signals, label: Label) -> str:
    return clause_cue(text, label) if label in signals.labels else opening(text)


def prototype_similarity(embedding: Vectors) -> dict[str, float]:
    """The highest cosine similarity of `embedding` to each reason's prototype enquiries."""
    return {name: float(np.max(vectors @ embedding)) for name, vectors in _prototypes().items()}


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, Vectors]:
    raw = (importlib.resources.files("bot.priority") / "prototypes.json").read_text("utf-8")
    data = json.loads(raw)
    return {name: embed_texts(list(data[name])) for name in PROTOTYPES}

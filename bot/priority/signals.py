"""What the priority heads read in one text: lexicon scores, triage labels, cues, an embedding.

Every reader runs offline from its wheel: VADER's English lexicon (`vaderSentiment`), the
contextual triage (`bot.drafting.triage`), two small cue grammars below and the multilingual
USE sentence embedding (`bot.faq.embedders.UseEmbedder`, about 2-5 ms a text). A text's
signals are cached, so `read_sentiment`, `read_urgency` and `assess_priority` on the same
text embed it once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

from bot.drafting.triage import Label, triage
from bot.faq.embedders import UseEmbedder, Vectors

_FLAGS = re.IGNORECASE
# Something the customer uses does not work: "App geht nicht", "site down", "Störung",
# "can't log in". Also the reviewer's cue when the learned outage head fires.
OUTAGE_CUE = re.compile(
    r"\b(geht|funktioniert|läuft|lädt|klappt|startet|öffnet)\s+(\w+\s+){0,3}(nicht|nich|net)\b"
    r"|\bnicht\s+(mehr\s+)?(erreichbar|verfügbar|möglich|funktionsfähig)\b"
    r"|\b(störung\w*|ausfall\w*|ausgefallen|fällt\s+\w*\s*aus|fehlermeldung\w*|abgestürzt"
    r"|stürzt\s+\w*\s*ab|abgelehnt|gesperrt|lahmgelegt)"
    r"|\b(is|are|was|goes|went|been)\s+(\w+\s+)?(down|offline)\b|\boutage\b|\bcrash(es|ed|ing)?\b"
    r"|\b(app|site|website|webseite|seite|shop|server|login|checkout)\s+(\w+\s+)?(down|offline)\b"
    r"|\bnothing\s+(loads|works)\b|\blädt\s+(gar\s+)?nichts\b"
    r"|\b(not|isn'?t|aren'?t|stopped)\s+(\w+\s+)?(working|loading|responding)\b"
    r"|\b(doesn'?t|does not|won'?t|will not|didn'?t|wouldn'?t)\s+(\w+\s+)?(work|load|open)\b"
    r"|\b(can'?t|cannot|can not|unable to|kann\s+mich\s+nicht|komme?\s+nicht)\s+(\w+\s+){0,2}"
    r"(log\s?in|sign\s?in|anmelden|einloggen|access|pay|bezahlen|zahlen|buchen|book|rein)"
    r"|\b(declined|failed|error|blocked)\b",
    _FLAGS,
)
# Time pressure, nearest first: (grammar, how soon). "heute morgen"/"guten Morgen" are no
# deadline; capitalised "Morgen" is the morning unless it opens the text.
_SOON: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            # "seit heute früh", "since this morning": a start, not a deadline.
            r"(?<!seit )(?<!since )\b(heute(?!\s+(früh|morgen|vormittag))(\s+noch|\s+abend"
            r"|\s+nacht)?|(?<!since )today|tonight|this (evening|afternoon)"
            r"|asap|as soon as possible|urgent(ly)?|dringend|sofort|umgehend|schnellstmöglich"
            r"|so schnell wie möglich|right now|immediately|in (\d+|einer|zwei|an|one|two) "
            r"(stunden?|hours?|minuten|minutes))\b",
            _FLAGS,
        ),
        1.0,
    ),
    (
        re.compile(
            r"(?<!heute )(?<!guten )(?<!good )\b(?-i:morgen)\b|^morgen\b|\bübermorgen\b"
            r"|\btomorrow\b|\bbis (spätestens )?(morgen|montag|dienstag|mittwoch|donnerstag"
            r"|freitag|samstag|sonntag|\d)|\bby (monday|tuesday|wednesday|thursday|friday"
            r"|saturday|sunday|tomorrow|tonight|\d)|\bdeadline\b|\bfrist\w*\b|\bdue (today"
            r"|tomorrow|on)\b",
            _FLAGS | re.MULTILINE,
        ),
        0.8,
    ),
    (
        re.compile(
            r"\b(am|this|on|next|kommenden?|diesen?)\s+(montag|dienstag|mittwoch|donnerstag"
            r"|freitag|samstag|sonntag|wochenende|monday|tuesday|wednesday|thursday|friday"
            r"|saturday|sunday|weekend)\b|\b\d{1,2}\.\s?\d{1,2}\.(\d{2,4})?(?!\d)"
            r"|\b(my|mein\w*) (flight|flug|zug|train|trip|reise|termin|appointment|event)\b"
            r".{0,30}\b(is|ist|geht|leaves|departs|fährt)\b",
            _FLAGS,
        ),
        0.6,
    ),
)
# The lexical features every head may weigh, in the order of `Signals.features`.
FEATURES = (
    "vader_compound",
    "vader_neg",
    "vader_pos",
    "complaint",
    "sarcasm",
    "praise",
    "abusive",
    "safety",
    "legal_threat",
    "press",
    "question",
    "outage_cue",
    "deadline_cue",
    "exclaim",
    "shouting",
    "length",
)
_TRIAGE_FEATURES = {
    "complaint": Label.COMPLAINT,
    "sarcasm": Label.SARCASM,
    "praise": Label.PRAISE,
    "abusive": Label.ABUSIVE,
    "safety": Label.SAFETY,
    "legal_threat": Label.LEGAL_THREAT,
    "press": Label.PRESS,
    "question": Label.QUESTION,
}
_CLAUSES = re.compile(r"(?<=[.!?…;\n])\s+|\s+(?=\b(aber|but|und|and)\b)", _FLAGS)
_CUE_WORDS = 10


@dataclass(frozen=True)
class Signals:
    """One text as the heads see it."""

    features: dict[str, float]
    embedding: Vectors
    labels: frozenset[Label]
    outage_cue: str
    deadline_cue: str
    deadline_soon: float  # 1.0 today/urgent, 0.8 tomorrow or a named deadline, 0.6 a date


def read_signals(text: str) -> Signals:
    """Read `text` once; repeated calls with the same text are served from a cache."""
    return _read_cached(text)


def embed_texts(texts: list[str]) -> Vectors:
    """Embed many texts in batches, as `read_signals` would one at a time (fitting)."""
    return _use().embed_documents(texts)


def lexical_signals(text: str, embedding: Vectors) -> Signals:
    """`read_signals` with the embedding given, for fitting on texts embedded in batches."""
    scores = _vader().polarity_scores(text)
    labels = triage(text).labels
    outage = OUTAGE_CUE.search(text)
    soon, deadline = _deadline(text)
    letters = [c for c in text if c.isalpha()]
    features = {
        "vader_compound": float(scores["compound"]),
        "vader_neg": float(scores["neg"]),
        "vader_pos": float(scores["pos"]),
        **{name: float(label in labels) for name, label in _TRIAGE_FEATURES.items()},
        "outage_cue": float(outage is not None),
        "deadline_cue": soon,
        "exclaim": min(text.count("!"), 3) / 3,
        "shouting": sum(c.isupper() for c in letters) / len(letters) if len(letters) > 8 else 0.0,
        "length": math.log1p(len(text.split())),
    }
    return Signals(
        features=features,
        embedding=embedding,
        labels=labels,
        outage_cue=_around(text, outage) if outage else "",
        deadline_cue=deadline,
        deadline_soon=soon,
    )


def clause_cue(text: str, label: Label) -> str:
    """The fewest words the contextual triage still gives `label`, with a word either side.

    Falls back to the text's opening words when no clause alone carries the label.
    """
    for clause in _CLAUSES.split(text):
        if clause and clause.strip() and triage(clause).has(label):
            words = clause.split()
            start, end = 0, len(words)
            while end - start > 1 and triage(" ".join(words[start + 1 : end])).has(label):
                start += 1
            while end - start > 1 and triage(" ".join(words[start : end - 1])).has(label):
                end -= 1
            return _shorten(" ".join(words[max(0, start - 1) : end + 1]))
    return opening(text)


def opening(text: str) -> str:
    """The text's first clause, shortened: the cue of a learned head when no word stands out."""
    first = next((c for c in _CLAUSES.split(text) if c and c.strip()), text)
    return _shorten(first)


def _deadline(text: str) -> tuple[float, str]:
    for pattern, soon in _SOON:
        match = pattern.search(text)
        if match:
            return soon, _around(text, match)
    return 0.0, ""


def _around(text: str, match: re.Match[str]) -> str:
    """The match with a few words either side as written, so a reviewer sees its context."""
    before = [m.start() for m in re.finditer(r"\S+", text[: match.start()])][-3:]
    after = [m.end() for m in re.finditer(r"\S+", text[match.end() :])][:3]
    start = before[0] if before else match.start()
    end = match.end() + (after[-1] if after else 0)
    return " ".join(text[start:end].split())


def _shorten(text: str) -> str:
    words = text.split()
    return " ".join(words[:_CUE_WORDS]) + (" …" if len(words) > _CUE_WORDS else "")


@lru_cache(maxsize=512)
def _read_cached(text: str) -> Signals:
    return lexical_signals(text, _use().embed_query(text))


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _use() -> UseEmbedder:
    return UseEmbedder()


def feature_vector(signals: Signals) -> Vectors:
    """The lexical features in `FEATURES` order."""
    return np.array([signals.features[name] for name in FEATURES], dtype=np.float32)

"""Labels an enquiry before drafting: spam, abuse, complaints, legal threats, personal data.

Rule-based on purpose: it must be fast, explainable to a reviewer, and the same offline and
with a language model. The patterns live in `triage_lexicon.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

_LEXICON = Path(__file__).with_name("triage_lexicon.yaml")


class Label(StrEnum):
    """What triage can notice about an enquiry; shown on the review card."""

    SPAM = "spam"
    ABUSIVE = "abusive"
    COMPLAINT = "complaint"
    SARCASM = "sarcasm"
    LEGAL_THREAT = "legal_threat"
    PRESS = "press"
    SAFETY = "safety"
    INJECTION = "injection"
    INTERNAL = "internal"
    PERSONAL_DATA = "personal_data"
    QUESTION = "question"


# Labels that always need a person who owns the case, whatever the FAQ says.
ESCALATING_LABELS = frozenset({Label.LEGAL_THREAT, Label.PRESS, Label.SAFETY})


@dataclass(frozen=True)
class Triage:
    """The labels found in one enquiry."""

    labels: frozenset[Label]

    def has(self, label: Label) -> bool:
        """Tell whether `label` was found."""
        return label in self.labels

    @property
    def is_spam(self) -> bool:
        """Spam without any sign of a real customer concern."""
        return Label.SPAM in self.labels and not self.labels & {Label.COMPLAINT, Label.LEGAL_THREAT}

    @property
    def needs_person(self) -> bool:
        """Legal threats, press and safety issues always go to a person."""
        return bool(self.labels & ESCALATING_LABELS)


@lru_cache(maxsize=1)
def _patterns() -> dict[Label, re.Pattern[str]]:
    raw = yaml.safe_load(_LEXICON.read_text(encoding="utf-8"))
    return {
        Label(name): re.compile(
            "|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE
        )
        for name, patterns in raw.items()
    }


def triage(text: str) -> Triage:
    """Find every label whose patterns occur in `text`."""
    found = frozenset(label for label, pattern in _patterns().items() if pattern.search(text))
    return Triage(found)

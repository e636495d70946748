"""Labels an enquiry before drafting: spam, abuse, complaints, praise, legal threats, safety.

Rule-based on purpose: it must be fast, explainable to a reviewer, and the same offline and
with a language model. The patterns live in `triage_lexicon.yaml`.

Two readings:

- the fixed-phrase lexicon alone (`triage(text, context=False)`): a label is set when one of
  its phrases occurs anywhere. Kept as the baseline the benchmarks compare against;
- the contextual reading (the default): complaint, sarcasm, praise, legal threats and safety
  issues are read with the words around them. A negation turns a cue round ("nicht kaputt",
  "not broken"), a positive word standing alone before a setback or with an eye roll is
  sarcasm ("Toll, schon wieder down 🙄", "great. another delay"), a question about a hazard
  is no incident ("Ist das gefährlich für Kinder?"), "Polizei" is a threat only when someone
  goes to it, and "Fire TV" or "feuerfest" are no fire.

Usage:
    >>> triage("Toll, schon wieder down 🙄").has(Label.SARCASM)
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

_LEXICON = Path(__file__).with_name("triage_lexicon.yaml")
_FLAGS = re.IGNORECASE | re.MULTILINE
# How far back a negation reaches: "ist nicht kaputt", "is really not that broken".
_NEGATION_WORDS = 3
_NEGATION_CHARS = 40
# Words that may stand before a positive word that is its own exclamation ("Na toll.").
_LEAD_IN = re.compile(
    r"^(\s|@\w+|re:|na|oh|ach|echt|wirklich|ja|einfach|ganz|sehr|so|wie|just|really|how|"
    r"what a|was für ein\w*|[^\w\s])*$",
    _FLAGS,
)
# A positive word followed by at most two words and then punctuation, an emoji or the end.
_STANDS_ALONE = re.compile(r"^(\s*[\w'-]+){0,2}\s*([,.!…:;]|[^\w\s,.!?…:;\"'„“]|$)")
_SENTENCE_END = re.compile(r"[.!?…\n]+")
_HANDLE_OR_LINK = re.compile(r"@\w+|https?://\S+")
_ASKING = re.compile(r"\?|\b(ob|whether|frage mich|wonder)\b", _FLAGS)


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
    # Praise or thanks with no complaint; may come with a question, which still wants its answer.
    PRAISE = "praise"


# Labels that always need a person who owns the case, whatever the FAQ says.
ESCALATING_LABELS = frozenset({Label.LEGAL_THREAT, Label.PRESS, Label.SAFETY})
# Labels the contextual reading decides itself; the lexicon's phrases for them are the baseline.
_READ_IN_CONTEXT = frozenset(
    {Label.COMPLAINT, Label.SARCASM, Label.LEGAL_THREAT, Label.SAFETY, Label.PRAISE}
)


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


def triage(text: str, *, context: bool = True) -> Triage:
    """Label `text`.

    Args:
        text: the customer's message.
        context: read complaint, sarcasm, praise, legal threats and safety in context (the
            default); False gives the fixed-phrase lexicon alone, the baseline of
            benchmarks/triage.py.

    Returns:
        Every label found.
    """
    lexicon, cues = _rules()
    found = {label for label, pattern in lexicon.items() if pattern.search(text)}
    if not context:
        return Triage(frozenset(found))
    found -= _READ_IN_CONTEXT
    if cues.insult.search(_HANDLE_OR_LINK.sub(" ", text)):  # "@KotzenderStern" is a name
        found.add(Label.ABUSIVE)
    return Triage(frozenset(found | _read(text, cues, found)))


@dataclass(frozen=True)
class _Cues:
    """The compiled `context` section of the lexicon; see the comments there."""

    negator: re.Pattern[str]
    clause_break: re.Pattern[str]
    problem: re.Pattern[str]
    setback: re.Pattern[str]
    sarcasm: re.Pattern[str]
    positive_word: re.Pattern[str]
    irony_emoji: re.Pattern[str]
    contrast: re.Pattern[str]
    sincere: re.Pattern[str]
    thanks: re.Pattern[str]
    praise: re.Pattern[str]
    positive_emoji: re.Pattern[str]
    incident: re.Pattern[str]
    hazard: re.Pattern[str]
    legal_threat: re.Pattern[str]
    insult: re.Pattern[str]


def _read(text: str, cues: _Cues, lexicon: set[Label]) -> set[Label]:
    """The labels read in context; `lexicon` holds the ones already found by phrase."""
    found: set[Label] = set()
    problems = _unnegated(cues.problem, text, cues)
    positive = _unnegated(cues.positive_word, text, cues)
    exclaimed = [m for m in positive if _stands_alone(text, m)]
    setback = bool(problems) or bool(cues.setback.search(text))
    ironic = bool(positive) and bool(cues.irony_emoji.search(text))
    # Praise followed by "aber"/"but" is sincere ("Super Lampe, aber kaputt"); after it, not.
    unturned = [m for m in exclaimed if not cues.contrast.search(text, m.end())]
    turned = bool(unturned) and setback and not cues.sincere.search(text)
    if cues.sarcasm.search(text) or ironic or turned:
        found |= {Label.SARCASM, Label.COMPLAINT}
    if problems:
        found.add(Label.COMPLAINT)
    if cues.legal_threat.search(text):
        found.add(Label.LEGAL_THREAT)
    hazards = [m for m in _unnegated(cues.hazard, text, cues) if not _in_question(text, m)]
    if hazards or _unnegated(cues.incident, text, cues):
        found.add(Label.SAFETY)
    praised = (
        _unnegated(cues.praise, text, cues)
        or cues.positive_emoji.search(text)
        or [m for m in positive if not _in_question(text, m)]
        # Thanks next to a question is politeness, not praise.
        or (cues.thanks.search(text) and "?" not in text)
    )
    # Spam flatters ("Great post!"), and an insult is no praise whatever else it says.
    vetoes = {Label.COMPLAINT, Label.ABUSIVE, Label.SPAM, *ESCALATING_LABELS}
    if praised and not (found | lexicon) & vetoes:
        found.add(Label.PRAISE)
    return found


def _unnegated(pattern: re.Pattern[str], text: str, cues: _Cues) -> list[re.Match[str]]:
    """The matches of `pattern` with no negation in the few words before them."""
    return [m for m in pattern.finditer(text) if not _negated(text, m.start(), cues)]


def _negated(text: str, start: int, cues: _Cues) -> bool:
    window = text[max(0, start - _NEGATION_CHARS) : start]
    clause = cues.clause_break.split(window)[-1] if window else ""
    words = clause.split()[-_NEGATION_WORDS:]
    return bool(cues.negator.search(" ".join(words)))


def _stands_alone(text: str, match: re.Match[str]) -> bool:
    """Whether a positive word is its own exclamation: "Toll, ...", "... door. great."."""
    before = _SENTENCE_END.split(text[: match.start()])[-1]
    return bool(_LEAD_IN.match(before)) and bool(_STANDS_ALONE.match(text[match.end() :]))


def _in_question(text: str, match: re.Match[str]) -> bool:
    """Whether the sentence around `match` asks rather than tells."""
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, match.start())]
    end = _SENTENCE_END.search(text, match.end())
    sentence = text[starts[-1] if starts else 0 : end.end() if end else len(text)]
    return bool(_ASKING.search(sentence))


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[Label, re.Pattern[str]], _Cues]:
    raw = yaml.safe_load(_LEXICON.read_text(encoding="utf-8"))
    lexicon = {Label(name): _compile(patterns) for name, patterns in raw["lexicon"].items()}
    cues = _Cues(**{name: _compile(patterns) for name, patterns in raw["context"].items()})
    return lexicon, cues


def _compile(patterns: str | list[str]) -> re.Pattern[str]:
    alternatives = [patterns] if isinstance(patterns, str) else patterns
    # An empty list must match nothing, not everything.
    return re.compile("|".join(f"(?:{p})" for p in alternatives) or r"(?!)", _FLAGS)

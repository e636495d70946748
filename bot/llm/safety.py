"""Catches a model reply that obeyed an attack hidden in the customer's message.

The model is told to treat the customer's text as data, but a prompt is no guarantee, so
the reply itself is checked: does it quote our instructions, drop its rules, link or name
contacts no cited entry or guideline gives, reveal internal figures or systems, insult,
name competitors, or promise money or liability? Patterns live in `reply_patterns.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.drafting.triage import Label, Triage, triage

# Flags for the review card.
INJECTION = "injection"
INTERNAL_INFO_REQUEST = "internal_info_request"
UNSAFE_REPLY = "unsafe_reply"
PROMPT_LEAK = "prompt_leak"
RULE_OVERRIDE = "rule_override"
UNVERIFIED_LINK = "unverified_link"
UNVERIFIED_CONTACT = "unverified_contact"
INTERNAL_INFO_REVEALED = "internal_info_revealed"
INSULT = "insult"
COMPETITOR_MENTION = "competitor_mention"
UNAPPROVED_COMMITMENT = "unapproved_commitment"
ECHOED_ATTACK = "echoed_attack"
UNSUPPORTED_FIGURE = "unsupported_figure"  # a hint for the reviewer, not unsafe by itself

_PATTERNS_FILE = Path(__file__).with_name("reply_patterns.yaml")
_LABEL_FLAGS = {Label.INJECTION: INJECTION, Label.INTERNAL: INTERNAL_INFO_REQUEST}
_SHINGLE_WORDS = 7  # long enough that ordinary replies never share a run with the prompt
_WORD = re.compile(r"\w+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+|\b00)\d{2}[\s\d/-]{7,}\d|\b0\d{2,4}[\s/-]?\d{3,}[\s-]?\d*")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\"']+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:de|com|net|org|io|ly|me|info|shop|eu|co|app|xyz|ru|cn|biz|link|online|site|top|to|gg)"
    r"\b(?:/[^\s<>()\"']*)?",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|allee|platz|gasse|ring)\s+\d+\w?"
    r"|\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+"
)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"[\"“„»'‚‘]([^\"“”„«»'‚‘’\n]{12,})[\"”“«'‘’]")
_ECHO_WORDS = 5
_MIN_QUOTED_WORDS = 3


@dataclass(frozen=True)
class ReplySources:
    """What a reply may legitimately draw on, for the checks to compare against.

    Attributes:
        cited_text: the cited entries (questions and answers): the only source of facts.
        guideline_text: the guideline clauses; they vouch for links and contacts only,
            since they also name what must not be said (internal figures, roadmaps).
        customer_text: the customer's message.
        author_name: the customer's name as the channel gave it.
        fingerprint: word runs of our own instructions (see `leak_fingerprint`).
    """

    cited_text: str
    guideline_text: str = ""
    customer_text: str = ""
    author_name: str = ""
    fingerprint: frozenset[str] = frozenset()


def input_flags(found: Triage) -> tuple[str, ...]:
    """Card flags for what triage noticed (injection attempts and internal-info bait named)."""
    labels = (label for label in found.labels if label is not Label.QUESTION)
    return tuple(sorted(_LABEL_FLAGS.get(label, label.value) for label in labels))


def leak_fingerprint(texts: Iterable[str]) -> frozenset[str]:
    """Every run of seven words in our instruction texts, to spot them quoted in a reply."""
    return frozenset(shingle for text in texts for shingle in _shingles(text))


def find_unsafe_content(reply: str, sources: ReplySources, found: Triage) -> tuple[str, ...]:
    """Flags for each sign that `reply` obeyed an attack; `unsafe_reply` first when any.

    `unsupported_figure` alone does not make a reply unsafe, except when the customer baited
    for internal information: then an unsupported figure counts as revealing it.
    """
    flags: list[str] = []
    cited = sources.cited_text.lower()
    vouched = f"{sources.cited_text}\n{sources.guideline_text}"
    if sources.fingerprint & set(_shingles(reply)):
        flags.append(PROMPT_LEAK)
    patterns = _patterns()
    reply_labels = triage(reply)
    if _matches(patterns["rule_override"], reply) or reply_labels.has(Label.INJECTION):
        flags.append(RULE_OVERRIDE)
    if _unverified_links(reply, (sources.cited_text, sources.guideline_text)):
        flags.append(UNVERIFIED_LINK)
    if _unverified_contacts(reply, f"{vouched}\n{sources.customer_text}"):
        flags.append(UNVERIFIED_CONTACT)
    figures = _unsupported_figures(reply, sources)
    if _novel(patterns["internal_disclosure"], reply, cited) or (
        figures and found.has(Label.INTERNAL)
    ):
        flags.append(INTERNAL_INFO_REVEALED)
    if found.has(Label.INJECTION) and _echoes(reply, sources.customer_text):
        flags.append(ECHOED_ATTACK)
    if reply_labels.has(Label.ABUSIVE):
        flags.append(INSULT)
    known_names = f"{cited} {sources.author_name.lower()}"
    if _novel(patterns["competitors"], reply, known_names):
        flags.append(COMPETITOR_MENTION)
    if _novel(patterns["commitment"], reply, cited):
        flags.append(UNAPPROVED_COMMITMENT)
    unsafe = [UNSAFE_REPLY] if flags else []
    return tuple([*unsafe, *flags, *([UNSUPPORTED_FIGURE] if figures else [])])


def normalise_url(url: str) -> str:
    """Compare links without scheme, `www.`, case or trailing punctuation."""
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().lower())
    return bare.rstrip(".,;:!?)/\"'")


def _unverified_links(reply: str, vouched_texts: Iterable[str]) -> list[str]:
    allowed = frozenset().union(*(_links_in(text) for text in vouched_texts))
    return [url for url in _links_in(reply) if url not in allowed]


@lru_cache(maxsize=512)
def _links_in(text: str) -> frozenset[str]:
    # Cached: the guideline text is the same for every draft and costs the most to scan.
    return frozenset(normalise_url(url) for url in _URL.findall(_EMAIL.sub(" ", text)))


def _unverified_contacts(reply: str, known_text: str) -> list[str]:
    if not (_EMAIL.search(reply) or _PHONE.search(reply) or _ADDRESS.search(reply)):
        return []  # the common case: skip scanning the guideline text
    known = known_text.lower()
    known_digits = re.sub(r"\D", "", known)
    emails = [email for email in _EMAIL.findall(reply) if email.lower() not in known]
    phones = [p for p in _PHONE.findall(reply) if re.sub(r"\D", "", p) not in known_digits]
    addresses = [a for a in _ADDRESS.findall(reply) if a.lower() not in known]
    return emails + phones + addresses


def _echoes(reply: str, customer_text: str) -> bool:
    """Whether the reply repeats what an injection asked it to say, word for word."""
    lowered = " ".join(_WORD.findall(reply.lower()))
    for quoted in _QUOTED.findall(customer_text):
        words = _WORD.findall(quoted.lower())
        if len(words) >= _MIN_QUOTED_WORDS and " ".join(words) in lowered:
            return True
    return bool(set(_shingles(reply, _ECHO_WORDS)) & set(_shingles(customer_text, _ECHO_WORDS)))


def _unsupported_figures(reply: str, sources: ReplySources) -> list[str]:
    known = set(_FIGURE.findall(f"{sources.cited_text} {sources.customer_text}"))
    return [figure for figure in _FIGURE.findall(reply) if figure not in known]


def _matches(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.search(text) is not None


def _novel(pattern: re.Pattern[str], reply: str, lowered_sources: str) -> bool:
    """A match counts only when the cited sources do not say the same words themselves."""
    return any(
        re.search(rf"(?<!\w){re.escape(match.group(0).lower())}(?!\w)", lowered_sources) is None
        for match in pattern.finditer(reply)
    )


def _shingles(text: str, size: int = _SHINGLE_WORDS) -> list[str]:
    words = _WORD.findall(text.lower())
    return [" ".join(words[i : i + size]) for i in range(max(len(words) - size + 1, 0))]


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    raw = yaml.safe_load(_PATTERNS_FILE.read_text(encoding="utf-8"))
    return {
        name: re.compile("|".join(f"(?:{p})" for p in items), re.IGNORECASE)
        for name, items in raw.items()
    }

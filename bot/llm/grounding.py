"""Checks a language model's draft against what it was given; pure functions, no I/O.

Each check returns what it corrected together with the flags that tell the reviewer so,
because a corrected draft must never look like a clean one. `bot.llm.safety` holds the
checks for hostile input; `bot.cli.evaluation` reuses both to measure any drafter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.drafting.concern import concern_topic
from bot.drafting.language import detect_language
from bot.drafting.port import DraftRequest
from bot.drafting.triage import Label
from bot.faq.files import Guidelines
from bot.faq.replies import ReplyKind, StandardReply, matching
from bot.models import Channel, Language, Passage, Register

PUBLIC_CHANNELS = frozenset({Channel.FACEBOOK, Channel.INSTAGRAM, Channel.X})
# A burst of several messages adds the entries found for each message on its own.
MAX_ENTRIES = 8

# Flags set by these checks; the review card shows them.
INVENTED_CITATION = "invented_citation"
INVENTED_CLAUSE = "invented_clause"
WRONG_LANGUAGE = "wrong_language"
OVER_LENGTH = "over_length"
REGISTER_MISMATCH = "register_mismatch"
SALUTATION_MISMATCH = "salutation_mismatch"
PERSONAL_DATA_IN_PUBLIC = "personal_data_in_public"
REDACTED = "[…]"

_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n{2,}")
_DU = re.compile(
    r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines|euch|euer|eure\w*)\b", re.I
)
# Formal forms are capitalised; at a sentence start "Sie" may also mean "she" or "they".
_SIE = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")
_SENTENCE_START = re.compile(r"(^|[.!?…:]\s*|\n\s*)$")
_GREETING = re.compile(r"^(?:Hallo|Hi|Hey|Hello|Guten Tag|Liebe[rs]?|Dear)\b\s*(?P<name>[^,\n]*),")
_TITLED = re.compile(r"^(?:Frau|Herr|Dr\.?|Prof\.?)\s+\S+")

_PERSONAL_DATA = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b"),  # IBAN
    re.compile(r"(?:\+|\b00)\d{2}[\s\d/-]{7,}\d"),  # international phone
    re.compile(r"\b0\d{2,4}[\s/-]?\d{3,}[\s-]?\d*\b"),  # national phone
    re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)*(?![\w-])"),  # order no.
    re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|allee|platz|gasse|ring)\s+\d+\w?"),
    re.compile(r"\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+"),  # postcode and town
)
_MIN_ID_DIGITS = 5  # shorter numbers are quantities, days and prices, not identifiers


@dataclass(frozen=True)
class Corrected:
    """A text after a check, and the flags saying what the check changed or found."""

    text: str
    flags: tuple[str, ...] = ()


def offered_passages(request: DraftRequest) -> tuple[Passage, ...]:
    """The entries shown to the model (and so citable): the passages, then each message's."""
    chosen: dict[str, Passage] = {}
    for passage in [*request.passages, *(p for ps in request.message_passages for p in ps)]:
        chosen.setdefault(passage.entry.id, passage)
    return tuple(chosen.values())[:MAX_ENTRIES]


def offered_replies(request: DraftRequest) -> tuple[StandardReply, ...]:
    """The standard replies shown to the model (and so citable as `reply:<id>`).

    Only those in the reply's language and register, and only kinds that may fit: thanks
    for praise, a holding statement when the post or a found entry is about an outage,
    the private handover on a public channel, and "we're looking into it" always.
    """
    kinds = [ReplyKind.LOOKING_INTO_IT]
    labels = request.triage.labels
    if Label.PRAISE in labels and not labels & {Label.COMPLAINT, Label.SARCASM, Label.ABUSIVE}:
        kinds.append(ReplyKind.THANKS)
    tags = {tag for passage in offered_passages(request) for tag in passage.entry.tags}
    if "outages" in tags or concern_topic(request.text) == "outages":
        kinds.append(ReplyKind.HOLDING_STATEMENT)
    if request.channel in PUBLIC_CHANNELS:
        kinds.append(ReplyKind.PRIVATE_HANDOVER)
    replies = request.guidelines.replies
    register = request.policy.register
    return tuple(
        reply for kind in kinds for reply in matching(replies, kind, request.language, register)
    )


def split_sentences_keeping_all(text: str) -> list[str]:
    """Split at sentence ends and paragraph breaks, keeping every piece however short."""
    return [part.strip() for part in _SENTENCE.split(text) if part.strip()]


def shorten_at_sentence(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a sentence end, else at a word, with "…"."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in split_sentences_keeping_all(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    return text[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def check_citations(
    cited: Iterable[str], passages: Sequence[Passage], replies: Sequence[StandardReply] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keep only cited ids that were among the retrieved passages or offered replies.

    Args:
        cited: the ids the draft cites: entry ids and `reply:<id>` for standard replies.
        passages: the entries offered (`offered_passages`).
        replies: the standard replies offered (`offered_replies`); a `reply:` citation of
            any other reply is invented.

    Returns:
        The kept ids in the model's order (duplicates removed) and `invented_citation` when
        any id was dropped.
    """
    retrieved = {passage.entry.id for passage in passages} | {r.citation for r in replies}
    unique = list(dict.fromkeys(item.strip() for item in cited if item.strip()))
    kept = tuple(item for item in unique if item in retrieved)
    return kept, ((INVENTED_CITATION,) if len(kept) < len(unique) else ())


def check_clauses(
    cited: Iterable[str], guidelines: Guidelines
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keep only clause ids the guidelines define (`§ 7` counts as `§7`)."""
    known = {clause.id for clause in guidelines.clauses}
    unique = list(dict.fromkeys(item.replace(" ", "") for item in cited if item.strip()))
    kept = tuple(item for item in unique if item in known)
    return kept, ((INVENTED_CLAUSE,) if len(kept) < len(unique) else ())


def check_language(text: str, expected: Language) -> tuple[str, ...]:
    """Flag `wrong_language` when `text` is not written in `expected`."""
    if not text.strip():
        return ()
    detected = detect_language(text, hint=expected.value, default=expected)
    return () if detected.language is expected else (WRONG_LANGUAGE,)


def fit_length(text: str, limit: int) -> Corrected:
    """Shorten `text` at a sentence boundary to the channel's limit; flag `over_length`."""
    if len(text) <= limit:
        return Corrected(text)
    return Corrected(shorten_at_sentence(text, limit), (OVER_LENGTH,))


def formal_forms(text: str) -> list[str]:
    """Formal German forms of address ("Sie", "Ihnen") that are not at a sentence start."""
    return [
        match.group(0)
        for match in _SIE.finditer(text)
        if not _SENTENCE_START.search(text[: match.start()])
    ]


def check_register(
    text: str, language: Language, register: Register, customer_text: str = ""
) -> tuple[str, ...]:
    """Flag `register_mismatch` when a German reply uses the other form of address.

    Mixing both forms in one reply is always a mismatch. On a "du" channel "Sie" is fine
    when the customer addressed us formally and never informally (guidelines, register
    clause: whoever says "Sie" to us may be answered with "Sie").
    """
    if language is not Language.DE:
        return ()
    informal, formal = bool(_DU.search(text)), bool(formal_forms(text))
    if informal and formal:
        return (REGISTER_MISMATCH,)
    if register is Register.SIE:
        return (REGISTER_MISMATCH,) if informal else ()
    customer_formal = bool(formal_forms(customer_text)) and not _DU.search(customer_text)
    return (REGISTER_MISMATCH,) if formal and not customer_formal else ()


def check_salutation(text: str, language: Language, register: Register) -> tuple[str, ...]:
    """Flag `salutation_mismatch` when the greeting addresses the customer wrongly.

    Guidelines §6: in Du and in English the first name (or none); in Sie "Frau"/"Herr" and
    surname, else first and last name, else no name; never a handle.
    """
    match = _GREETING.match(text.strip())
    if match is None:
        return ()
    name = match.group("name").strip()
    if not name:
        return ()
    if "@" in name or "_" in name or any(char.isdigit() for char in name):
        return (SALUTATION_MISMATCH,)
    if language is Language.DE and register is Register.SIE:
        titled_or_full = bool(_TITLED.match(name)) or " " in name
        return () if titled_or_full else (SALUTATION_MISMATCH,)
    return ()


def find_personal_data(text: str) -> tuple[str, ...]:
    """Personal data in a customer's message: e-mail, IBAN, phone, order numbers, addresses."""
    found: list[str] = []
    for pattern in _PERSONAL_DATA:
        for match in pattern.finditer(text):
            value = match.group(0).strip()
            digits = sum(char.isdigit() for char in value)
            is_number_like = pattern is _PERSONAL_DATA[4] or pattern is _PERSONAL_DATA[3]
            if is_number_like and digits < _MIN_ID_DIGITS:
                continue
            found.append(value)
    return tuple(dict.fromkeys(found))


def redact_personal_data(reply: str, customer_text: str) -> Corrected:
    """Remove personal data the customer posted from a public reply; flag it if any was there.

    Matching ignores spaces, dashes and slashes inside the value, so "0171 234 5678" in the
    message is also found as "0171-2345678" in the reply.
    """
    redacted = reply
    for value in find_personal_data(customer_text):
        compact = re.sub(r"[\s/-]", "", value)
        loose = r"[\s/-]?".join(re.escape(char) for char in compact)
        redacted = re.sub(loose, REDACTED, redacted, flags=re.IGNORECASE)
    if redacted == reply:
        return Corrected(reply)
    return Corrected(redacted, (PERSONAL_DATA_IN_PUBLIC,))


def repeats_personal_data(reply: str, customer_text: str) -> bool:
    """Tell whether `reply` repeats personal data from `customer_text` (for evaluation)."""
    return bool(redact_personal_data(reply, customer_text).flags)

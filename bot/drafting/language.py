"""Detects whether an enquiry is German or English, including short, mixed and hashtag posts."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

import yaml
from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from bot.models import Language

_WORDS_FILE = Path(__file__).with_name("language_words.yaml")

# Addresses carry no language, yet lingua reads "@DB_Bahn" or "t.co/4XMWBHcr9p" as words.
# The lookbehinds let a match start only at a token's start, which keeps the patterns linear.
_URL = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w.-])[\w.-]+\.(?:de|com|org|net|eu|at|ch|io|ly|co)\b(?:/\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w+")
# A token of hashtags ("#fail", "#bahn,") or of no word at all (emoji, "!!!").
_TAG_OR_NOISE = re.compile(r"[^\w#]*(?:#\w+[^\w#]*)*|\W+")
_HASH = re.compile(r"#(?=\w)")
_CAMEL = re.compile(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])|(?<=[A-ZÄÖÜ])(?=[A-ZÄÖÜ][a-zäöüß])")
_WORD = re.compile(r"[^\W\d_]{2,}")
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# Fewer words than this (tag words counting half) and lingua guesses: "refund?" is 52 %
# German to it.
_SHORT_TEXT_WORDS = 3
_TAG_WEIGHT = 0.5
# Lingua this close between the languages means the text mixes them (or lingua is lost).
_MIXED_MARGIN = 0.25
# Evidence is added as log-odds of German over English: lingua's, capped at 1:999, plus
# this much per listed word ("I", "the", "ich", "der"), so that one closed-class word
# outweighs lingua at 80 % on the other side: on short and name-heavy texts ("Where was
# Friedrich Ratzel born?" is 80 % German to lingua) the grammar words are the surer sign.
_WORD_WEIGHT = 1.5
_FLOOR = 0.001
# How sure the evidence must be before the text decides on its own: a short text as if
# lingua were 75 % sure ("symptoms" 77 % English, "omg" 76 % German); a longer one as if
# lingua were not torn (62.5 %, the old `_MIXED_MARGIN` rule).
_SHORT_SURE = math.log(0.75 / 0.25)
_LONG_SURE = math.log(0.625 / 0.375)
_HINT_CONFIDENCE = 0.5
# Earlier messages read, newest first; older ones rarely decide what the newer ones did not.
_HISTORY_MESSAGES = 10


@dataclass(frozen=True)
class DetectedLanguage:
    """The language to answer in, how sure we are, and whether the text mixed languages."""

    language: Language
    confidence: float
    mixed: bool


class _Strength(Enum):
    SURE = "sure"  # the text decides
    LEANING = "leaning"  # a torn text leans one way; history and the hint go first
    NOTHING = "nothing"  # no usable evidence


@dataclass(frozen=True)
class _Reading:
    language: Language | None
    confidence: float
    strength: _Strength
    mixed: bool


@dataclass(frozen=True)
class _WordLists:
    german: frozenset[str]
    english: frozenset[str]
    neutral: frozenset[str]


def detect_language(
    text: str,
    hint: str | None = None,
    default: Language = Language.DE,
    history: Sequence[str] = (),
) -> DetectedLanguage:
    """Pick the language to answer `text` in.

    @handles, URLs and e-mail addresses are ignored, and so are numbers and emoji; hashtags
    are read as words (CamelCase split), those opening or closing the post at half weight
    and only while the prose alone is too short. The evidence is weighed in this order, the
    first that tells decides:

    1. the text itself when it is sure: lingua and the closed-class words of
       `language_words.yaml` ("can", "my", "where" against "ich", "mein", "wo") together
       clearly favour one language. Short texts (fewer than three words) need stronger
       evidence ("Can I travel?", "refund?", "Wo ist mein Paket?", or lingua 75 % sure
       as of "symptoms") and use lingua only on the words the lists do not know;
    2. `history`, newest message first: the first earlier message that is sure on its own
       (the last ten are read);
    3. the channel's `hint`;
    4. for a longer text torn between German and English, the language of most of its words;
    5. `default` ("ok", "Hi", an emoji).

    Args:
        text: the customer's message.
        hint: a language the channel reported (e.g. Telegram's `language_code`), if any.
        default: the answer language when nothing in the text, history or hint tells.
        history: the same author's earlier messages in this conversation, oldest first.

    Returns:
        The language; a confidence between 0 and 1 (of the text, or of the earlier message
        that decided; 0.5 when the hint decided, 0 for the default); and whether lingua found
        the text torn between German and English.
    """
    own = _read(text)
    if own.strength is _Strength.SURE and own.language is not None:
        return DetectedLanguage(own.language, own.confidence, own.mixed)
    for earlier in reversed(history[-_HISTORY_MESSAGES:]):
        past = _read(earlier)
        if past.strength is _Strength.SURE and past.language is not None:
            return DetectedLanguage(past.language, past.confidence, own.mixed)
    hinted = _from_hint(hint)
    if hinted is not None:
        return DetectedLanguage(hinted, _HINT_CONFIDENCE, own.mixed)
    if own.language is not None:
        return DetectedLanguage(own.language, own.confidence, own.mixed)
    return DetectedLanguage(default, 0.0, own.mixed)


def _read(text: str) -> _Reading:
    prose, tags = _split_tags(_HANDLE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text))))
    prose_words = len(_WORD.findall(prose))
    if prose_words >= _SHORT_TEXT_WORDS:
        # Enough prose: tags would only add noise ("Zug fällt aus #fail #epicfail").
        return _read_long(prose, _word_votes(prose, ""))
    if prose_words + _TAG_WEIGHT * len(_WORD.findall(tags)) >= _SHORT_TEXT_WORDS:
        return _read_long(f"{prose}\n{tags}", _word_votes(prose, tags))
    return _read_short(prose, tags)


def _split_tags(text: str) -> tuple[str, str]:
    """Split `text` into prose and the hashtags opening or closing it, `#` removed.

    A run of hashtags at either end of a post is tagging, not prose; a hashtag inside a
    sentence ("die #Bahn ist zu spät") is read as the word it spells.
    """
    tokens = text.split()
    start, end = 0, len(tokens)
    while start < end and _TAG_OR_NOISE.fullmatch(tokens[start]):
        start += 1
    while end > start and _TAG_OR_NOISE.fullmatch(tokens[end - 1]):
        end -= 1
    tags = tokens[:start] + tokens[end:]
    return _words_of(" ".join(tokens[start:end])), _words_of(" ".join(tags))


def _words_of(text: str) -> str:
    return _CAMEL.sub(" ", _HASH.sub("", text)).replace("_", " ")


def _read_long(text: str, votes: float) -> _Reading:
    german, english = _confidences(text)
    torn = abs(german - english) < _MIXED_MARGIN
    score = _log_odds(german, english) + _WORD_WEIGHT * votes
    if abs(score) >= _LONG_SURE:
        return _sure(score, mixed=torn)
    share = _by_word_share(text)
    strength = _Strength.NOTHING if share is None else _Strength.LEANING
    return _Reading(share, max(german, english), strength, mixed=True)


def _read_short(prose: str, tags: str) -> _Reading:
    lists = _word_lists()
    votes = _word_votes(prose, tags)
    # Lingua reads only the words the lists say nothing about: it is lost on single function
    # words and greetings ("Hallo" is 87 % English to it).
    listed = lists.german | lists.english | lists.neutral
    content = " ".join(t for t in _tokens(f"{prose} {tags}") if t not in listed)
    if _WORD.search(content):
        german, english = _confidences(content)
    elif votes:
        german, english = 0.5, 0.5  # "I?": only the word lists tell
    else:
        return _Reading(None, 0.0, _Strength.NOTHING, mixed=False)
    score = _log_odds(german, english) + _WORD_WEIGHT * votes
    if abs(score) < _SHORT_SURE:
        # "Storno?", "train": too short to tell; the history, the hint or the default will.
        return _Reading(None, _sigmoid(abs(score)), _Strength.NOTHING, mixed=False)
    return _sure(score, mixed=False)


def _sure(score: float, mixed: bool) -> _Reading:
    language = Language.DE if score >= 0 else Language.EN
    return _Reading(language, _sigmoid(abs(score)), _Strength.SURE, mixed)


def _word_votes(prose: str, tags: str) -> float:
    """Listed German words minus listed English words, tags counting `_TAG_WEIGHT` each."""
    lists = _word_lists()

    def votes(text: str) -> int:
        tokens = _tokens(text)
        return sum(t in lists.german for t in tokens) - sum(t in lists.english for t in tokens)

    return votes(prose) + _TAG_WEIGHT * votes(tags)


def _log_odds(german: float, english: float) -> float:
    """Lingua's odds of German over English, in nats, capped: it says 1.0 too readily."""
    german, english = (min(max(p, _FLOOR), 1 - _FLOOR) for p in (german, english))
    return math.log(german / english)


def _sigmoid(score: float) -> float:
    return 1 / (1 + math.exp(-score))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("’", "'").lower())


def _confidences(text: str) -> tuple[float, float]:
    values = {
        value.language: value.value
        for value in _detector().compute_language_confidence_values(text)
    }
    return values.get(LinguaLanguage.GERMAN, 0.0), values.get(LinguaLanguage.ENGLISH, 0.0)


def _by_word_share(text: str) -> Language | None:
    counts = {Language.DE: 0, Language.EN: 0}
    for result in _detector().detect_multiple_languages_of(text):
        words = len(_WORD.findall(text[result.start_index : result.end_index]))
        counts[Language.DE if result.language == LinguaLanguage.GERMAN else Language.EN] += words
    if counts[Language.DE] == counts[Language.EN]:
        return None
    return max(counts, key=lambda language: counts[language])


def _from_hint(hint: str | None) -> Language | None:
    if not hint:
        return None
    code = hint.strip().lower()[:2]
    return Language(code) if code in {"de", "en"} else None


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Only German and English are told apart: every enquiry is answered in one of the two,
    # and a narrower choice is both faster and surer on short posts.
    return (
        LanguageDetectorBuilder.from_languages(LinguaLanguage.GERMAN, LinguaLanguage.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


@lru_cache(maxsize=1)
def _word_lists() -> _WordLists:
    raw = yaml.safe_load(_WORDS_FILE.read_text(encoding="utf-8"))
    return _WordLists(
        german=frozenset(raw["de"]), english=frozenset(raw["en"]), neutral=frozenset(raw["neutral"])
    )

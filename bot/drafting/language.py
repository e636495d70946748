"""Detects whether an enquiry is German or English, including short and mixed posts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from bot.models import Language

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# A customer's own word for the language (Telegram's language_code, say) wins over the text
# when the text is too short to tell.
_SHORT_TEXT_WORDS = 3
_MIXED_MARGIN = 0.25
_SURE = 0.9


@dataclass(frozen=True)
class DetectedLanguage:
    """The language to answer in, how sure we are, and whether the text mixed languages."""

    language: Language
    confidence: float
    mixed: bool


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Only German and English are told apart: every enquiry is answered in one of the two,
    # and a narrower choice is both faster and surer on short posts.
    return (
        LanguageDetectorBuilder.from_languages(LinguaLanguage.GERMAN, LinguaLanguage.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def detect_language(
    text: str, hint: str | None = None, default: Language = Language.DE
) -> DetectedLanguage:
    """Pick the language to answer `text` in.

    Args:
        text: the customer's message.
        hint: a language the channel reported (e.g. Telegram's `language_code`), if any.
        default: the answer language when nothing in the text or hint tells.

    Returns:
        The language, a confidence between 0 and 1, and whether the text mixed German and
        English (then the language that carries more of the text wins).
    """
    hinted = _from_hint(hint)
    words = _WORD.findall(text)
    if len(words) < _SHORT_TEXT_WORDS and hinted is not None:
        return DetectedLanguage(hinted, 0.5, mixed=False)
    if not words:
        return DetectedLanguage(hinted or default, 0.0, mixed=False)
    values = {
        value.language: value.value
        for value in _detector().compute_language_confidence_values(text)
    }
    german = values.get(LinguaLanguage.GERMAN, 0.0)
    english = values.get(LinguaLanguage.ENGLISH, 0.0)
    mixed = abs(german - english) < _MIXED_MARGIN and len(words) >= _SHORT_TEXT_WORDS
    if mixed and hinted is not None:
        return DetectedLanguage(hinted, max(german, english), mixed=True)
    if mixed:
        return DetectedLanguage(_by_word_share(text, default), max(german, english), mixed=True)
    language = Language.DE if german >= english else Language.EN
    confidence = max(german, english)
    if len(words) < _SHORT_TEXT_WORDS and confidence < _SURE:
        # "Hallo", "ok danke": too short to tell; answer in the company's language.
        return DetectedLanguage(default, confidence, mixed=False)
    return DetectedLanguage(language, confidence, mixed=False)


def _by_word_share(text: str, default: Language) -> Language:
    counts = {Language.DE: 0, Language.EN: 0}
    for result in _detector().detect_multiple_languages_of(text):
        words = len(_WORD.findall(text[result.start_index : result.end_index]))
        counts[Language.DE if result.language == LinguaLanguage.GERMAN else Language.EN] += words
    if counts[Language.DE] == counts[Language.EN]:
        return default
    return max(counts, key=lambda language: counts[language])


def _from_hint(hint: str | None) -> Language | None:
    if not hint:
        return None
    code = hint.strip().lower()[:2]
    return Language(code) if code in {"de", "en"} else None

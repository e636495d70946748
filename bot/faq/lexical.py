"""BM25 over FAQ entries, each stemmed in its own language (German or English)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

from bot.faq.text import plain_text
from bot.models import FaqEntry, Language

_TOKEN = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = {Language.DE: frozenset(STOPWORDS_GERMAN), Language.EN: frozenset(STOPWORDS_EN)}
_STEMMER_NAMES = {Language.DE: "german", Language.EN: "english"}


@lru_cache(maxsize=2)
def _stemmer(language: Language) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES[language])


def tokenize(text: str, language: Language) -> list[str]:
    """Lower-case, drop stop words, stem with the language's Snowball stemmer."""
    words = [word for word in _TOKEN.findall(text.lower()) if word not in _STOPWORDS[language]]
    stems: list[str] = _stemmer(language).stemWords(words)
    return stems


def entry_text(entry: FaqEntry) -> str:
    """What BM25 indexes of an entry: every question phrasing and the answer."""
    phrasings = " ".join([entry.question, *entry.alternate_questions])
    return f"{phrasings} {plain_text(entry.answer)}"


class LexicalIndex:
    """BM25 scores of a query against every document, in document order."""

    def __init__(self, documents: Sequence[str], languages: Sequence[Language]) -> None:
        self._size = len(documents)
        self._bm25 = bm25s.BM25()
        corpus = [
            tokenize(text, language) or ["\u2205"]
            for text, language in zip(documents, languages, strict=True)
        ]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def scores(self, query: str, language: Language) -> npt.NDArray[np.float32]:
        """Score every document; all zeros when no query word occurs anywhere."""
        if self._size == 0:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize(query, language)
        if not tokens:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

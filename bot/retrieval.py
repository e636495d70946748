"""Question -> ranked FAQ entries: dense similarity plus language-aware BM25.

How the signals combine (figures in benchmarks/retrieval.py):
- Dense: the best cosine of the query with any question phrasing of an entry, or with its
  answer (the mean of whole-answer and best-sentence similarity), whichever is higher.
- Lexical: BM25, normalised by the best BM25 score of the query, added with a weight only
  where the entry's language is the query's. Across languages BM25 finds little but names,
  and giving it a say there made cross-lingual recall worse, not better.
- Both language versions of an entry count once; the customer's language is preferred.
- The reported score is calibrated to 0..1 so "nothing fits" is one threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.embeddings import Embedder
from bot.indexing import plain_text
from bot.lexical import LexicalIndex, tokenize
from bot.models import FaqEntry, Language, Passage
from bot.settings import RetrievalMode
from bot.vector_store import VectorStore

# Calibration of the fused score to a probability that the top entry answers the question.
# Fitted on the sample paraphrases (answerable) against CLINC150 out-of-scope queries, see
# benchmarks/calibration.py; midpoint is where an answer is as likely as not.
_CALIBRATION_MIDPOINT = 0.62
_CALIBRATION_SLOPE = 14.0


@dataclass(frozen=True)
class ScoredEntry:
    """An entry with the signals that ranked it, for benchmarks and debugging."""

    entry: FaqEntry
    fused: float
    dense: float
    lexical: float


class Retriever:
    """Ranks the entries of one knowledge folder for a customer's question."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        store: VectorStore,
        embedder: Embedder,
        *,
        mode: RetrievalMode = RetrievalMode.HYBRID,
        lexical_weight: float = 0.25,
        candidates: int = 64,
    ) -> None:
        self._entries = list(entries)
        self._position = {entry.id: index for index, entry in enumerate(self._entries)}
        self._store = store
        self._embedder = embedder
        self._mode = mode
        self._lexical_weight = lexical_weight
        self._candidates = candidates
        self._lexical = LexicalIndex(
            [_lexical_text(entry) for entry in self._entries],
            [entry.language for entry in self._entries],
        )
        self._languages = np.array([entry.language.value for entry in self._entries])
        self._group = _translation_groups(self._entries)
        self._tokens = [set(tokenize(_lexical_text(e), e.language)) for e in self._entries]

    @property
    def entries(self) -> list[FaqEntry]:
        """The entries this retriever ranks."""
        return list(self._entries)

    def search(self, text: str, language: Language, k: int = 5) -> list[Passage]:
        """Return the `k` best entries for `text`, best first, with calibrated scores."""
        ranked = self.rank(text, language)
        chosen: list[Passage] = []
        seen_groups: set[str] = set()
        for scored in ranked:
            group = self._group[scored.entry.id]
            if group in seen_groups:
                continue
            seen_groups.add(group)
            entry = self._preferred_version(scored.entry, language)
            chosen.append(Passage(entry, self._calibrate(scored, text, language)))
            if len(chosen) == k:
                break
        return chosen

    def rank(self, text: str, language: Language) -> list[ScoredEntry]:
        """Score every entry that any signal finds, best first (no grouping)."""
        if not self._entries:
            return []
        dense = self._dense_scores(text) if self._mode != RetrievalMode.LEXICAL else None
        lexical = (
            self._lexical_scores(text, language) if self._mode != RetrievalMode.DENSE else None
        )
        if dense is None:
            assert lexical is not None  # noqa: S101 - one signal is always on
            fused = lexical
        elif lexical is None:
            fused = dense
        else:
            same_language = (self._languages == language.value).astype(np.float32)
            fused = dense + self._lexical_weight * same_language * lexical
        zeros = np.zeros(len(self._entries), dtype=np.float32)
        dense_scores = dense if dense is not None else zeros
        lexical_scores = lexical if lexical is not None else zeros
        order = np.argsort(-fused, kind="stable")
        return [
            ScoredEntry(
                self._entries[i], float(fused[i]), float(dense_scores[i]), float(lexical_scores[i])
            )
            for i in order
        ]

    def _dense_scores(self, text: str) -> np.ndarray:
        hits = self._store.nearest(self._embedder.embed_query(text), self._candidates)
        floor = min((hit.similarity for hit in hits), default=0.0)
        question = np.full(len(self._entries), floor, dtype=np.float32)
        answer = np.full(len(self._entries), floor, dtype=np.float32)
        sentence = np.full(len(self._entries), floor, dtype=np.float32)
        best = {"question": question, "answer": answer, "sentence": sentence}
        has_sentences = np.zeros(len(self._entries), dtype=bool)
        for hit in hits:
            index = self._position.get(hit.entry_id)
            if index is None:
                continue
            target = best[hit.kind]
            target[index] = max(target[index], hit.similarity)
            if hit.kind == "sentence":
                has_sentences[index] = True
        answer_score = np.where(has_sentences, (answer + sentence) / 2, answer)
        result: np.ndarray = np.maximum(question, answer_score)
        return result

    def _lexical_scores(self, text: str, language: Language) -> np.ndarray:
        scores = self._lexical.scores(text, language)
        top = float(scores.max()) if scores.size else 0.0
        result: np.ndarray = scores / top if top > 0 else scores
        return result

    def _calibrate(self, scored: ScoredEntry, text: str, language: Language) -> float:
        # Calibrate on query-independent evidence: dense similarity plus the share of query
        # words the entry contains (normalised BM25 is always 1 for the best entry).
        query_tokens = set(tokenize(text, language))
        index = self._position[scored.entry.id]
        coverage = (
            len(query_tokens & self._tokens[index]) / len(query_tokens) if query_tokens else 0.0
        )
        same_language = 1.0 if scored.entry.language == language else 0.0
        if self._mode == RetrievalMode.LEXICAL:
            evidence = 0.3 + 0.5 * coverage
        else:
            evidence = scored.dense + self._lexical_weight * same_language * coverage
        return 1.0 / (1.0 + math.exp(-_CALIBRATION_SLOPE * (evidence - _CALIBRATION_MIDPOINT)))

    def _preferred_version(self, entry: FaqEntry, language: Language) -> FaqEntry:
        if entry.language == language or not entry.translation_of:
            return entry
        index = self._position.get(entry.translation_of)
        if index is None:
            return entry
        return self._entries[index]


def _lexical_text(entry: FaqEntry) -> str:
    phrasings = " ".join([entry.question, *entry.alternate_questions])
    return f"{phrasings} {plain_text(entry.answer)}"


def _translation_groups(entries: Sequence[FaqEntry]) -> dict[str, str]:
    known = {entry.id for entry in entries}
    group: dict[str, str] = {}
    for entry in entries:
        partner = entry.translation_of if entry.translation_of in known else None
        group[entry.id] = min(entry.id, partner) if partner else entry.id
    return group

"""Question -> ranked FAQ entries with one model: dense similarity plus language-aware BM25.

The single-model modes (hybrid, dense, lexical), for an embeddings server or a quick
comparison; the default with local models is `bot.faq.fused`. Both implement `Searcher`.

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

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from bot.faq.embedders import Embedder
from bot.faq.lexical import LexicalIndex, entry_text, tokenize
from bot.faq.vector_store import VectorStore
from bot.models import EmbeddingModel, FaqEntry, Language, Passage, RetrievalMode

# Below this score the single-model modes escalate (fitted for USE hybrid on the sample).
DEFAULT_ANSWER_THRESHOLD = 0.3


class Searcher(Protocol):
    """Finds the entries that answer a question: what drafting and the CLI need."""

    @property
    def entries(self) -> list[FaqEntry]:
        """The entries searched."""
        ...

    @property
    def answer_threshold(self) -> float:
        """The score from which a draft answers with the best entry."""
        ...

    def search(self, text: str, language: Language, k: int = 5) -> list[Passage]:
        """The `k` best entries still valid today, sorted by their calibrated score."""
        ...


@dataclass(frozen=True)
class ModelTuning:
    """Per-model constants: each model's similarities live on a scale of their own.

    `midpoint` and `slope` map the evidence to a probability that the entry answers the
    question; fitted (class-balanced) on the sample paraphrases against CLINC150
    out-of-scope queries by benchmarks/calibration.py. `lexical_weight` is how much BM25
    adds: e5's similarities sit in a narrow band (0.75-0.93), where 0.25 would swamp them.
    """

    lexical_weight: float
    midpoint: float
    slope: float

    def calibrated(self, evidence: float) -> float:
        """Map evidence (see `Retriever.evidence`) to a 0..1 score with the logistic curve."""
        return 1.0 / (1.0 + math.exp(-self.slope * (evidence - self.midpoint)))


TUNING = {
    EmbeddingModel.E5.value: ModelTuning(lexical_weight=0.05, midpoint=0.99, slope=32.0),
}
DEFAULT_TUNING = ModelTuning(lexical_weight=0.25, midpoint=0.62, slope=14.0)  # USE


@dataclass(frozen=True)
class ScoredEntry:
    """An entry with the signals that ranked it, for benchmarks and debugging.

    In the dense modes `dense` is the larger of `question` and `answer`; in LEXICAL mode
    the three are 0. `lexical` is BM25 divided by the query's best BM25 score.
    """

    entry: FaqEntry
    fused: float
    dense: float
    lexical: float
    coverage: float = 0.0  # share of the query's words the entry holds
    question: float = 0.0  # best similarity of a question phrasing
    answer: float = 0.0  # answer similarity, averaged with its best sentence where split


class Retriever:
    """Ranks the entries of one knowledge folder for a customer's question."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        store: VectorStore,
        embedder: Embedder,
        *,
        mode: RetrievalMode = RetrievalMode.HYBRID,
        lexical_weight: float | None = None,
        candidates: int = 64,
        tuning: ModelTuning | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        """Index the entries for BM25 and remember where their vectors are.

        Args:
            entries: the entries to rank, as indexed in `store`.
            store: the vectors of the entries' texts.
            embedder: the model that embedded `store`; embeds the queries.
            mode: which signals rank entries.
            lexical_weight: how much BM25 adds; `tuning`'s when None.
            candidates: how many stored texts nearest to the query the dense signal reads.
            tuning: weight and calibration constants; the embedder's model's (`TUNING`)
                when None.
            today: the date entries must still be valid on (`valid_until`).
        """
        self._today = today
        self._entries = list(entries)
        self._position = {entry.id: index for index, entry in enumerate(self._entries)}
        self._store = store
        self._embedder = embedder
        self._mode = mode
        base = tuning if tuning is not None else TUNING.get(embedder.name, DEFAULT_TUNING)
        self._tuning = (
            base if lexical_weight is None else replace(base, lexical_weight=lexical_weight)
        )
        self._candidates = candidates
        texts = [entry_text(entry) for entry in self._entries]
        languages = [entry.language for entry in self._entries]
        self._lexical = LexicalIndex(texts, languages)
        self._languages = np.array([language.value for language in languages])
        self._group = translation_groups(self._entries)
        self._tokens = [
            set(tokenize(text, language)) for text, language in zip(texts, languages, strict=True)
        ]

    @property
    def entries(self) -> list[FaqEntry]:
        """The entries this retriever ranks."""
        return list(self._entries)

    @property
    def store(self) -> VectorStore:
        """The vector store the dense signal reads, e.g. to rank the same index otherwise."""
        return self._store

    @property
    def answer_threshold(self) -> float:
        """The score from which a draft answers (see `DEFAULT_ANSWER_THRESHOLD`)."""
        return DEFAULT_ANSWER_THRESHOLD

    @property
    def tuning(self) -> ModelTuning:
        """The lexical weight and calibration constants this retriever scores with."""
        return self._tuning

    def search(self, text: str, language: Language, k: int = 5) -> list[Passage]:
        """Return the `k` best valid entries for `text`, sorted by their calibrated score.

        The fused ranking score and the calibrated one weigh BM25 differently, so the
        passages are sorted by the score they report: the first is the one drafts use.
        """
        day = self._today()
        chosen: list[Passage] = []
        seen_groups: set[str] = set()
        for scored in self.rank(text, language):
            group = self._group[scored.entry.id]
            if group in seen_groups or not scored.entry.is_valid_on(day):
                continue
            seen_groups.add(group)
            entry = self._preferred_version(scored.entry, language)
            chosen.append(Passage(entry, self._calibrate(scored, language)))
        chosen.sort(key=lambda passage: passage.score, reverse=True)
        return chosen[:k]

    def rank(self, text: str, language: Language) -> list[ScoredEntry]:
        """Score every entry that any signal finds, best first (no grouping)."""
        if not self._entries:
            return []
        coverage = self._coverage(text, language)
        zeros = np.zeros(len(self._entries), dtype=np.float32)
        dense: np.ndarray | None = None
        question = answer = zeros
        if self._mode != RetrievalMode.LEXICAL:
            question, answer = self._dense_scores(text)
            dense = np.maximum(question, answer)
        lexical = (
            self._lexical_scores(text, language) if self._mode != RetrievalMode.DENSE else None
        )
        if dense is None:
            assert lexical is not None  # noqa: S101 - one signal is always on
            fused = lexical
        elif lexical is None:
            fused = dense
        else:
            # BM25 normalised by the query's best score gives the best same-language entry
            # the full bonus however weak its match; scaling by the share of query words it
            # holds keeps a weak same-language match from burying a strong translation.
            same_language = (self._languages == language.value).astype(np.float32)
            fused = dense + self._tuning.lexical_weight * same_language * lexical * coverage
        dense_scores = dense if dense is not None else zeros
        lexical_scores = lexical if lexical is not None else zeros
        order = np.argsort(-fused, kind="stable")
        return [
            ScoredEntry(
                self._entries[i],
                float(fused[i]),
                float(dense_scores[i]),
                float(lexical_scores[i]),
                float(coverage[i]),
                float(question[i]),
                float(answer[i]),
            )
            for i in order
        ]

    def evidence(self, scored: ScoredEntry, language: Language) -> float:
        """The evidence that `scored` answers a query in `language`, before calibration.

        Query-independent: dense similarity plus the share of query words the entry holds
        (normalised BM25 is always 1 for the best entry). `tuning.calibrated` maps it to
        the score `search` reports.
        """
        coverage = scored.coverage
        same_language = 1.0 if scored.entry.language == language else 0.0
        if self._mode == RetrievalMode.LEXICAL:
            return 0.3 + 0.5 * coverage
        return scored.dense + self._tuning.lexical_weight * same_language * coverage

    def _dense_scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: the best question-phrasing similarity and the answer similarity."""
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
        answer_score: np.ndarray = np.where(has_sentences, (answer + sentence) / 2, answer)
        return question, answer_score

    def _lexical_scores(self, text: str, language: Language) -> np.ndarray:
        scores = self._lexical.scores(text, language)
        top = float(scores.max()) if scores.size else 0.0
        result: np.ndarray = scores / top if top > 0 else scores
        return result

    def _coverage(self, text: str, language: Language) -> np.ndarray:
        """Share of the query's words each entry contains."""
        query_tokens = set(tokenize(text, language))
        if not query_tokens:
            return np.zeros(len(self._entries), dtype=np.float32)
        shares = [len(query_tokens & tokens) / len(query_tokens) for tokens in self._tokens]
        return np.asarray(shares, dtype=np.float32)

    def _calibrate(self, scored: ScoredEntry, language: Language) -> float:
        return self._tuning.calibrated(self.evidence(scored, language))

    def _preferred_version(self, entry: FaqEntry, language: Language) -> FaqEntry:
        if entry.language == language or not entry.translation_of:
            return entry
        index = self._position.get(entry.translation_of)
        if index is None:
            return entry
        return self._entries[index]


def translation_groups(entries: Sequence[FaqEntry]) -> dict[str, str]:
    """Map each entry id to its group: the smaller id of the entry and its translation.

    Both language versions of an entry share a group, so a ranking counts them once.
    """
    known = {entry.id for entry in entries}
    group: dict[str, str] = {}
    for entry in entries:
        partner = entry.translation_of if entry.translation_of in known else None
        group[entry.id] = min(entry.id, partner) if partner else entry.id
    return group

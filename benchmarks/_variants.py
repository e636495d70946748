"""Experimental scoring variants for benchmarks/retrieval.py --variants (not the bot's code).

Two kinds of input, both read from the product through public calls:

- exact cosines of the query with every stored text (`ChromaVectorStore.stored_vectors()` of
  the index the real indexing wrote), grouped per entry into best question phrasing, whole
  answer and best answer sentence;
- the bot's own signals from `Retriever.rank()` (hybrid, with every stored text as a
  candidate, so its cosines are exact too): fused score, dense and answer similarity,
  normalised BM25 and query-word coverage.

Each variant recombines those signals. `bot-exact` is the bot's fused score itself, so the
rest can be compared against it (it differs from the main table only where the bot's 64
nearest texts miss an entry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.faq.embedders import Embedder
from bot.faq.retrieval import Retriever, translation_groups
from bot.faq.vector_store import ChromaVectorStore
from bot.models import EmbeddingModel, FaqEntry, Language, RetrievalMode

KINDS = ("question", "answer", "sentence")


class IndexedModel(Protocol):
    """A corpus indexed with one model."""

    @property
    def store(self) -> ChromaVectorStore: ...

    @property
    def embedder(self) -> Embedder: ...


class VariantCorpus(Protocol):
    """The entries of a corpus, and whether translations count once (sample knowledge)."""

    @property
    def entries(self) -> Sequence[FaqEntry]: ...

    @property
    def grouped(self) -> bool: ...


class VariantQuery(Protocol):
    """A query with the ids of the entries that answer it."""

    @property
    def text(self) -> str: ...

    @property
    def language(self) -> Language: ...

    @property
    def gold(self) -> frozenset[str]: ...


FirstGold = Callable[[Sequence[str], frozenset[str]], int]


@dataclass
class Signals:
    """Per-query, per-entry signals (arrays of shape [queries, entries])."""

    # Exact cosines from the stored vectors.
    question: np.ndarray  # best phrasing cosine, -inf when the entry has no phrasing
    answer: np.ndarray  # whole-answer cosine
    sentence: np.ndarray  # best sentence cosine, -inf when the answer has no sentence split
    # The bot's signals (ScoredEntry fields of Retriever.rank, hybrid).
    bot: np.ndarray  # fused: the bot's ranking score
    dense: np.ndarray  # max(question, answer score)
    answer_score: np.ndarray  # answer cosine, averaged with the best sentence where split
    lexical: np.ndarray  # BM25 divided by the query's best BM25 ("maxnorm")
    coverage: np.ndarray  # share of query tokens found in the entry
    same: np.ndarray  # 1.0 where entry language == query language


def collect(
    indexed: IndexedModel, entries: Sequence[FaqEntry], queries: Sequence[VariantQuery]
) -> Signals:
    position = {entry.id: i for i, entry in enumerate(entries)}
    stored = indexed.store.stored_vectors()
    owner = np.array([position[entry_id] for entry_id in stored.entry_ids])
    kinds = np.array([KINDS.index(kind) for kind in stored.kinds])
    # Every stored text a candidate: the bot's formula on exact cosines, no nearest-64 cut.
    retriever = Retriever(
        entries,
        indexed.store,
        indexed.embedder,
        mode=RetrievalMode.HYBRID,
        candidates=len(stored.entry_ids),
    )
    languages = np.array([entry.language.value for entry in entries])
    shape = (len(queries), len(entries))
    best = {kind: np.full(shape, -np.inf, dtype=np.float32) for kind in KINDS}
    bot, dense, answer_score, lexical, coverage, same = (
        np.zeros(shape, dtype=np.float32) for _ in range(6)
    )
    for row, query in enumerate(queries):
        sims = stored.matrix @ indexed.embedder.embed_query(query.text)
        for k, kind in enumerate(KINDS):
            mask = kinds == k
            np.maximum.at(best[kind][row], owner[mask], sims[mask])
        ranked = retriever.rank(query.text, query.language)
        columns = [position[scored.entry.id] for scored in ranked]
        bot[row, columns] = [scored.fused for scored in ranked]
        dense[row, columns] = [scored.dense for scored in ranked]
        answer_score[row, columns] = [scored.answer for scored in ranked]
        lexical[row, columns] = [scored.lexical for scored in ranked]
        coverage[row, columns] = [scored.coverage for scored in ranked]
        same[row] = languages == query.language.value
    return Signals(
        best["question"],
        best["answer"],
        best["sentence"],
        bot,
        dense,
        answer_score,
        lexical,
        coverage,
        same,
    )


def maxnorm_same(s: Signals) -> np.ndarray:
    """BM25 normalised by the best score among entries in the query's language only."""
    masked = s.lexical * s.same
    top = masked.max(axis=1, keepdims=True)
    result: np.ndarray = np.divide(masked, top, out=np.zeros_like(masked), where=top > 0)
    return result


def rrf(*scores: np.ndarray, k: int = 60) -> np.ndarray:
    total = np.zeros_like(scores[0])
    for score in scores:
        ranks = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1) + 1
        total += 1.0 / (k + ranks)
    return total


def _q(s: Signals) -> np.ndarray:
    """Question similarity, falling back to the answer score for passage-only entries."""
    result: np.ndarray = np.where(np.isfinite(s.question), s.question, s.answer_score)
    return result


def _mix(s: Signals) -> np.ndarray:
    return 0.7 * _q(s) + 0.3 * s.answer_score


def _near_top(dense: np.ndarray, margin: float) -> np.ndarray:
    top: np.ndarray = dense.max(axis=1, keepdims=True)
    return (dense >= top - margin).astype(np.float32)


VARIANTS: dict[str, Callable[[Signals], np.ndarray]] = {
    "bot-exact (the bot's fused score)": lambda s: s.bot,
    "dense only (bot formula)": lambda s: s.dense,
    "dense: question only": _q,
    "dense: max(q, answer)": lambda s: np.maximum(s.question, s.answer),
    "dense: max(q, best sentence)": lambda s: np.maximum(
        s.question, np.where(np.isfinite(s.sentence), s.sentence, s.answer)
    ),
    "dense: max(q, .8·answer-score)": lambda s: np.maximum(_q(s), 0.8 * s.answer_score),
    "dense: .7·q + .3·answer-score": _mix,
    "hybrid w=.10": lambda s: s.dense + 0.10 * s.same * s.lexical,
    "hybrid w=.50": lambda s: s.dense + 0.50 * s.same * s.lexical,
    "hybrid maxnorm over same-language only": lambda s: s.dense + 0.25 * s.same * maxnorm_same(s),
    "hybrid .25·same·coverage": lambda s: s.dense + 0.25 * s.same * s.coverage,
    "hybrid .25·same·maxnorm·coverage": lambda s: s.dense + 0.25 * s.same * s.lexical * s.coverage,
    "hybrid .25·maxnorm (all languages)": lambda s: s.dense + 0.25 * s.lexical,
    "hybrid .25·same·maxnorm, gated dense ≥ top-.10": lambda s: (
        s.dense + 0.25 * s.same * s.lexical * _near_top(s.dense, 0.10)
    ),
    "rrf(dense, bm25)": lambda s: rrf(s.dense, s.lexical),
    "dense: .6·q + .4·answer-score": lambda s: 0.6 * _q(s) + 0.4 * s.answer_score,
    "dense: .8·q + .2·answer-score": lambda s: 0.8 * _q(s) + 0.2 * s.answer_score,
    "A: .7q+.3a + .25·same·maxnorm": lambda s: _mix(s) + 0.25 * s.same * s.lexical,
    "B: .7q+.3a + .10·same·maxnorm": lambda s: _mix(s) + 0.10 * s.same * s.lexical,
    "C: .7q+.3a + .25·same·maxnorm·coverage": lambda s: (
        _mix(s) + 0.25 * s.same * s.lexical * s.coverage
    ),
    "D: .7q+.3a + .40·same·maxnorm·coverage": lambda s: (
        _mix(s) + 0.40 * s.same * s.lexical * s.coverage
    ),
}


def positions(
    scores: np.ndarray,
    corpus: VariantCorpus,
    queries: Sequence[VariantQuery],
    first_gold: FirstGold,
) -> list[int]:
    ids = [entry.id for entry in corpus.entries]
    # Grouped like search(): the two language versions of an entry count once.
    group = translation_groups(corpus.entries) if corpus.grouped else {i: i for i in ids}
    result = []
    for row, query in enumerate(queries):
        order = np.argsort(-scores[row], kind="stable")
        seen: set[str] = set()
        ranked = []
        for i in order:
            g = group[ids[i]]
            if g in seen:
                continue
            seen.add(g)
            ranked.append(g)
        gold = frozenset(group[g] for g in query.gold if g in group)
        result.append(first_gold(ranked, gold))
    return result


def variant_table(
    per_model: Mapping[EmbeddingModel, IndexedModel],
    corpus: VariantCorpus,
    queries: Sequence[VariantQuery],
    first_gold: FirstGold,
) -> list[list[object]]:
    rows: list[list[object]] = []
    for model, indexed in per_model.items():
        signals = collect(indexed, corpus.entries, queries)
        tag = "" if model is EmbeddingModel.USE else " [e5]"
        for name, variant in VARIANTS.items():
            pos = positions(variant(signals), corpus, queries, first_gold)
            n = len(pos)
            rows.append(
                [
                    name + tag,
                    *(sum(p <= k for p in pos) / n for k in (1, 3, 5)),
                    sum(1 / p for p in pos) / n,
                    n,
                ]
            )
    return rows

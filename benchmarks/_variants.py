"""Experimental scoring variants for benchmarks/retrieval.py --variants (not the bot's code).

Works on exact cosines of the query with every stored text (read back from the Chroma
collection the real indexing wrote), grouped per entry into best question phrasing, whole
answer and best answer sentence, plus the bot's own BM25 index. Each variant recombines those
signals; `bot-exact` re-implements the bot's formula so the rest can be compared against it
(it differs from the main table only where the bot's 64 nearest texts miss an entry).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.faq.lexical import tokenize
from bot.faq.retrieval import Retriever
from bot.models import RetrievalMode

KINDS = ("question", "answer", "sentence")


@dataclass
class Signals:
    """Per-query, per-entry signals (arrays of shape [queries, entries])."""

    question: np.ndarray  # best phrasing cosine, -inf when the entry has no phrasing
    answer: np.ndarray
    sentence: np.ndarray  # best sentence cosine, -inf when the answer has no sentence split
    bm25: np.ndarray  # raw BM25 of the query in its language
    coverage: np.ndarray  # share of query tokens found in the entry
    same: np.ndarray  # 1.0 where entry language == query language


def collect(indexed, corpus, queries) -> Signals:  # type: ignore[no-untyped-def]
    entries = corpus.entries
    position = {entry.id: i for i, entry in enumerate(entries)}
    stored = indexed.store._collection.get(include=["embeddings", "metadatas"])  # noqa: SLF001
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    owner = np.array([position[m["entry_id"]] for m in stored["metadatas"]])
    kinds = np.array([KINDS.index(m["kind"]) for m in stored["metadatas"]])
    retriever = Retriever(entries, indexed.store, indexed.embedder, mode=RetrievalMode.HYBRID)
    entry_tokens = retriever._tokens  # noqa: SLF001
    languages = np.array([entry.language.value for entry in entries])
    shape = (len(queries), len(entries))
    best = {kind: np.full(shape, -np.inf, dtype=np.float32) for kind in KINDS}
    bm25 = np.zeros(shape, dtype=np.float32)
    coverage = np.zeros(shape, dtype=np.float32)
    same = np.zeros(shape, dtype=np.float32)
    for row, query in enumerate(queries):
        sims = vectors @ indexed.embedder.embed_query(query.text)
        for k, kind in enumerate(KINDS):
            mask = kinds == k
            np.maximum.at(best[kind][row], owner[mask], sims[mask])
        bm25[row] = retriever._lexical.scores(query.text, query.language)  # noqa: SLF001
        tokens = set(tokenize(query.text, query.language))
        if tokens:
            coverage[row] = [len(tokens & t) / len(tokens) for t in entry_tokens]
        same[row] = languages == query.language.value
    return Signals(best["question"], best["answer"], best["sentence"], bm25, coverage, same)


def _answer(s: Signals) -> np.ndarray:
    return np.where(np.isfinite(s.sentence), (s.answer + s.sentence) / 2, s.answer)


def dense_bot(s: Signals) -> np.ndarray:
    return np.maximum(s.question, _answer(s))


def maxnorm(s: Signals) -> np.ndarray:
    top = s.bm25.max(axis=1, keepdims=True)
    return np.divide(s.bm25, top, out=np.zeros_like(s.bm25), where=top > 0)


def maxnorm_same(s: Signals) -> np.ndarray:
    """BM25 normalised by the best score among entries in the query's language only."""
    masked = s.bm25 * s.same
    top = masked.max(axis=1, keepdims=True)
    return np.divide(masked, top, out=np.zeros_like(masked), where=top > 0)


def rrf(*scores: np.ndarray, k: int = 60) -> np.ndarray:
    total = np.zeros_like(scores[0])
    for score in scores:
        ranks = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1) + 1
        total += 1.0 / (k + ranks)
    return total


def _q(s: Signals) -> np.ndarray:
    """Question similarity, falling back to the answer for passage-only entries."""
    return np.where(np.isfinite(s.question), s.question, _answer(s))


VARIANTS: dict[str, Callable[[Signals], np.ndarray]] = {
    "bot-exact (dense + .25·same·maxnorm)": lambda s: dense_bot(s) + 0.25 * s.same * maxnorm(s),
    "dense only (bot formula)": dense_bot,
    "dense: question only": _q,
    "dense: max(q, answer)": lambda s: np.maximum(s.question, s.answer),
    "dense: max(q, best sentence)": lambda s: np.maximum(
        s.question, np.where(np.isfinite(s.sentence), s.sentence, s.answer)
    ),
    "dense: max(q, .8·answer-score)": lambda s: np.maximum(_q(s), 0.8 * _answer(s)),
    "dense: .7·q + .3·answer-score": lambda s: 0.7 * _q(s) + 0.3 * _answer(s),
    "hybrid w=.10": lambda s: dense_bot(s) + 0.10 * s.same * maxnorm(s),
    "hybrid w=.50": lambda s: dense_bot(s) + 0.50 * s.same * maxnorm(s),
    "hybrid maxnorm over same-language only": lambda s: (
        dense_bot(s) + 0.25 * s.same * maxnorm_same(s)
    ),
    "hybrid .25·same·coverage": lambda s: dense_bot(s) + 0.25 * s.same * s.coverage,
    "hybrid .25·same·maxnorm·coverage": lambda s: (
        dense_bot(s) + 0.25 * s.same * maxnorm(s) * s.coverage
    ),
    "hybrid .25·maxnorm (all languages)": lambda s: dense_bot(s) + 0.25 * maxnorm(s),
    "hybrid .25·same·maxnorm, gated dense ≥ top-.10": lambda s: (
        dense_bot(s) + 0.25 * s.same * maxnorm(s) * _near_top(dense_bot(s), 0.10)
    ),
    "rrf(dense, bm25)": lambda s: rrf(dense_bot(s), s.bm25),
    "dense: .6·q + .4·answer-score": lambda s: 0.6 * _q(s) + 0.4 * _answer(s),
    "dense: .8·q + .2·answer-score": lambda s: 0.8 * _q(s) + 0.2 * _answer(s),
    "A: .7q+.3a + .25·same·maxnorm": lambda s: _mix(s) + 0.25 * s.same * maxnorm(s),
    "B: .7q+.3a + .10·same·maxnorm": lambda s: _mix(s) + 0.10 * s.same * maxnorm(s),
    "C: .7q+.3a + .25·same·maxnorm·coverage": lambda s: (
        _mix(s) + 0.25 * s.same * maxnorm(s) * s.coverage
    ),
    "D: .7q+.3a + .40·same·maxnorm·coverage": lambda s: (
        _mix(s) + 0.40 * s.same * maxnorm(s) * s.coverage
    ),
}


def _mix(s: Signals) -> np.ndarray:
    return 0.7 * _q(s) + 0.3 * _answer(s)


def _near_top(dense: np.ndarray, margin: float) -> np.ndarray:
    return (dense >= dense.max(axis=1, keepdims=True) - margin).astype(np.float32)


def positions(
    scores: np.ndarray,
    corpus,
    queries,
    first_gold,  # type: ignore[no-untyped-def]
) -> list[int]:
    ids = [entry.id for entry in corpus.entries]
    group = _groups(corpus.entries) if corpus.grouped else {i: i for i in ids}
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


def _groups(entries: Sequence) -> dict[str, str]:  # type: ignore[type-arg]
    known = {entry.id for entry in entries}
    out = {}
    for entry in entries:
        partner = entry.translation_of if entry.translation_of in known else None
        out[entry.id] = min(entry.id, partner) if partner else entry.id
    return out


def variant_table(per_model, corpus, queries, first_gold) -> list[list[object]]:  # type: ignore[no-untyped-def]
    rows: list[list[object]] = []
    for model, indexed in per_model.items():
        signals = collect(indexed, corpus, queries)
        tag = "" if model.value.startswith("use") else " [e5]"
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

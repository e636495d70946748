"""Signals of every question of a corpus, computed by the product's own code and cached.

Each corpus is indexed with both models in the fused layouts (the real indexing into a
temporary Chroma), and `bot.faq.signals.SignalExtractor` computes each question's dense
signals. Embedding is the slow part (e5 about 20 ms a question, long answers far more), so
those are kept in a cache folder keyed by everything that shapes them, the models' names
among them (two builds of one model never share an entry); the word-based signals
(`LexicalSignals`) are computed afresh each run, in milliseconds. The fitting script and
the retrieval benchmark then rank them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import console, temp_index
from _datasets import Corpus, Query

from bot.faq.embedders import Embedder
from bot.faq.indexing import FUSED_E5_LAYOUT, FUSED_USE_LAYOUT, QA_ANSWER_CHARS
from bot.faq.signals import (
    DENSE_FEATURES,
    LexicalSignals,
    ModelIndex,
    QuerySignals,
    SignalExtractor,
)

CACHE_VERSION = "2"


@dataclass
class SetSignals:
    """One query set of a corpus with each question's signals."""

    corpus: Corpus
    name: str
    queries: list[Query]
    signals: list[QuerySignals]


def cache_key(corpus: Corpus, name: str, queries: list[Query], e5: Embedder, use: Embedder) -> str:
    parts = [
        CACHE_VERSION,
        # The models' names: two builds of one model (USE in ONNX or numpy) never share an entry.
        e5.name,
        use.name,
        corpus.name,
        name,
        *DENSE_FEATURES,
        FUSED_E5_LAYOUT.tag,
        str(QA_ANSWER_CHARS),
        *(entry.content_hash for entry in corpus.entries),
        *(f"{q.language.value}:{q.text}" for q in queries),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def corpus_signals(
    corpus: Corpus, e5: Embedder, use: Embedder, cache: Path | None
) -> list[SetSignals]:
    """Signals for every query set of `corpus`, from the cache where present."""
    keys = {
        name: cache_key(corpus, name, queries, e5, use)
        for name, queries in corpus.query_sets.items()
    }
    paths = {name: cache / f"{key}.npz" for name, key in keys.items()} if cache else {}
    lexical = LexicalSignals(corpus.entries)
    results: list[SetSignals] = []
    missing = [name for name in corpus.query_sets if not (cache and paths[name].is_file())]
    extractor = None
    if missing:
        started = time.perf_counter()
        with (
            temp_index(corpus.entries, e5, "e5", FUSED_E5_LAYOUT) as (e5_store, _),
            temp_index(corpus.entries, use, "use", FUSED_USE_LAYOUT) as (use_store, _),
        ):
            extractor = SignalExtractor(
                corpus.entries,
                ModelIndex(e5, e5_store),
                ModelIndex(use, use_store),
            )
        console.print(
            f"  indexed {corpus.name} ({len(corpus.entries)} entries) with both models "
            f"in {time.perf_counter() - started:.0f} s",
            style="dim",
        )
    for name, queries in corpus.query_sets.items():
        if name in missing:
            assert extractor is not None  # noqa: S101 - built above for every missing set
            dense = [
                extractor.dense(e5.embed_query(q.text), use.embed_query(q.text)) for q in queries
            ]
            if cache:
                cache.mkdir(parents=True, exist_ok=True)
                empty = np.zeros((0, len(corpus.entries), len(DENSE_FEATURES)), np.float32)
                np.savez(paths[name], dense=np.stack(dense) if dense else empty)
        else:
            dense = list(np.load(paths[name])["dense"])
        signals = [
            QuerySignals(np.hstack([matrix, lexical.columns(q.text, q.language)]))
            for matrix, q in zip(dense, queries, strict=True)
        ]
        results.append(SetSignals(corpus, name, queries, signals))
    return results

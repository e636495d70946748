"""Per-entry evidence for one question: what every model and BM25 say, side by side.

The fused retriever (`bot.faq.fused`) weighs these signals with constants fitted on the
shared data sets (`bot.faq.scoring`); the benchmarks read the same matrix to rank with any
single signal (plain e5, USE, BM25) over the very same index.

Signals per entry (columns of `QuerySignals.matrix`, names in `FEATURES`):
- e5: best question phrasing (`e5_q`), question+answer text (`e5_qa`), the larger of the
  two (`e5_d`), and the best phrasing embedded as a query (`e5_qq`: query-to-query, which
  matches how customers word things rather than how answers are written);
- USE: best phrasing, answer (averaged with its best sentence when split), question+answer,
  and the larger of phrasing and answer;
- BM25 normalised by the query's best score, and the share of query words the entry
  holds, both only where the entry's language is the query's; BM25 over every entry
  whatever its language (`bm25_any`: across languages it finds names such as "Packstation"
  or "DSGVO", and little else); whether the languages match.

An entry without question phrasings (an answer text only) uses its answer similarities
in place of the missing phrasing ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.faq.embedders import Embedder, Vectors
from bot.faq.lexical import LexicalIndex, entry_text, tokenize
from bot.faq.vector_store import StoredVectors, VectorStore
from bot.models import FaqEntry, Language

# From the two models' vectors (the expensive part: embedding the question).
DENSE_FEATURES = ("e5_q", "e5_qa", "e5_d", "e5_qq", "use_q", "use_a", "use_qa", "use_d")
# From the words (milliseconds).
LEXICAL_FEATURES = ("bm25", "coverage", "same_language", "bm25_any")
FEATURES = DENSE_FEATURES + LEXICAL_FEATURES
COLUMN = {name: index for index, name in enumerate(FEATURES)}

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ModelIndex:
    """One model's vectors of the entries, and the model that embeds queries for it."""

    embedder: Embedder
    store: VectorStore


@dataclass(frozen=True)
class QuerySignals:
    """Every entry's signals for one question, row for row with the extractor's entries."""

    matrix: Matrix

    def column(self, name: str) -> Matrix:
        """One signal for every entry."""
        column: Matrix = self.matrix[:, COLUMN[name]]
        return column


class _KindMaxima:
    """Per-entry maxima of stored-vector similarities, by kind of text."""

    def __init__(self, stored: StoredVectors, position: dict[str, int], size: int) -> None:
        self._size = size
        keep = [i for i, entry_id in enumerate(stored.entry_ids) if entry_id in position]
        self._matrix: Matrix = stored.matrix[keep] if keep else np.zeros((0, 1), dtype=np.float32)
        self._rows: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]] = {}
        for kind in set(stored.kinds):
            rows = [i for i, row in enumerate(keep) if stored.kinds[row] == kind]
            owners = [position[stored.entry_ids[keep[i]]] for i in rows]
            self._rows[kind] = (np.asarray(rows, dtype=np.intp), np.asarray(owners, dtype=np.intp))

    def similarities(self, vectors: Vectors) -> Matrix:
        """Cosines of every stored text with each given vector: [texts, vectors]."""
        result: Matrix = self._matrix @ np.atleast_2d(vectors).T
        return result

    def best(self, similarities: Matrix, kinds: Sequence[str]) -> Matrix:
        """Per entry (and per column of `similarities`), the best text of the given kinds."""
        columns = similarities.shape[1]
        out = np.full((self._size, columns), -np.inf, dtype=np.float32)
        for kind in kinds:
            rows, owners = self._rows.get(kind, (np.zeros(0, np.intp), np.zeros(0, np.intp)))
            if rows.size:
                np.maximum.at(out, owners, similarities[rows])
        return out


class LexicalSignals:
    """The word-based signals of every entry: BM25, coverage and language."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        texts = [entry_text(entry) for entry in entries]
        languages = [entry.language for entry in entries]
        self._size = len(texts)
        self._index = LexicalIndex(texts, languages)
        self._tokens = [
            set(tokenize(text, language)) for text, language in zip(texts, languages, strict=True)
        ]
        self._languages = np.array([language.value for language in languages])

    def columns(self, text: str, language: Language) -> Matrix:
        """The `LEXICAL_FEATURES` of every entry for `text`: [entries, 4]."""
        out = np.zeros((self._size, len(LEXICAL_FEATURES)), dtype=np.float32)
        if self._size == 0:
            return out
        same = (self._languages == language.value).astype(np.float32)
        bm25 = self._index.scores(text, language)
        out[:, 0] = _normalised(bm25 * same)
        out[:, 1] = self._coverage(text, language) * same
        out[:, 2] = same
        out[:, 3] = _normalised(bm25)
        return out

    def _coverage(self, text: str, language: Language) -> Matrix:
        """Share of the query's words each entry contains."""
        query_tokens = set(tokenize(text, language))
        if not query_tokens:
            return np.zeros(self._size, dtype=np.float32)
        shares = [len(query_tokens & tokens) / len(query_tokens) for tokens in self._tokens]
        return np.asarray(shares, dtype=np.float32)


class SignalExtractor:
    """Computes `QuerySignals` for the entries of one knowledge folder."""

    def __init__(self, entries: Sequence[FaqEntry], e5: ModelIndex, use: ModelIndex) -> None:
        """Read both models' stored vectors once.

        Args:
            entries: the entries to score, in the order of the signal rows.
            e5: the e5 index (kinds question, query, qa; see `FUSED_E5_LAYOUT`).
            use: the USE index (kinds question, answer, sentence, qa).
        """
        self._entries = list(entries)
        size = len(self._entries)
        position = {entry.id: index for index, entry in enumerate(self._entries)}
        self._e5, self._use = e5, use
        self._e5_texts = _KindMaxima(e5.store.stored_vectors(), position, size)
        self._use_texts = _KindMaxima(use.store.stored_vectors(), position, size)
        self._lexical = LexicalSignals(self._entries)

    @property
    def entries(self) -> list[FaqEntry]:
        """The entries, in the order of the signal rows."""
        return list(self._entries)

    @property
    def e5(self) -> ModelIndex:
        """The e5 index and embedder."""
        return self._e5

    @property
    def use(self) -> ModelIndex:
        """The USE index and embedder."""
        return self._use

    def signals(self, text: str, language: Language) -> QuerySignals:
        """Embed `text` with both models and compute every entry's signals."""
        e5_query = self._e5.embedder.embed_query(text)
        use_query = self._use.embedder.embed_query(text)
        return self.signals_for_vectors(text, language, e5_query, use_query)

    def signals_for_vectors(
        self, text: str, language: Language, e5_query: Vectors, use_query: Vectors
    ) -> QuerySignals:
        """Like `signals`, with the query vectors at hand."""
        dense = self.dense(e5_query, use_query)
        return QuerySignals(np.hstack([dense, self._lexical.columns(text, language)]))

    def dense(self, e5_query: Vectors, use_query: Vectors) -> Matrix:
        """The `DENSE_FEATURES` of every entry: [entries, 8]."""
        size = len(self._entries)
        out = np.zeros((size, len(DENSE_FEATURES)), dtype=np.float32)
        if size == 0:
            return out
        e5_sims = self._e5_texts.similarities(e5_query)
        qa = self._e5_texts.best(e5_sims, ["qa"])[:, 0]
        question = _or(self._e5_texts.best(e5_sims, ["question"])[:, 0], qa)
        out[:, 0] = question
        out[:, 1] = qa
        out[:, 2] = np.maximum(question, qa)
        out[:, 3] = _or(self._e5_texts.best(e5_sims, ["query"])[:, 0], question)

        use_sims = self._use_texts.similarities(use_query)
        whole = self._use_texts.best(use_sims, ["answer"])[:, 0]
        sentence = self._use_texts.best(use_sims, ["sentence"])[:, 0]
        answer = np.where(np.isfinite(sentence), (whole + sentence) / 2, whole)
        use_question = _or(self._use_texts.best(use_sims, ["question"])[:, 0], answer)
        out[:, 4] = use_question
        out[:, 5] = answer
        out[:, 6] = _or(self._use_texts.best(use_sims, ["qa"])[:, 0], answer)
        out[:, 7] = np.maximum(use_question, answer)
        return out


def _normalised(scores: Matrix) -> Matrix:
    """Scores divided by the best one (all zeros stay zeros)."""
    top = float(scores.max()) if scores.size else 0.0
    result: Matrix = (scores / top if top > 0 else scores).astype(np.float32)
    return result


def _or(values: Matrix, fallback: Matrix) -> Matrix:
    """`values` where the entry has such a text, `fallback` where it has none (-inf)."""
    result: Matrix = np.where(np.isfinite(values), values, fallback).astype(np.float32)
    return result

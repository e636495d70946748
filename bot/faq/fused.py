"""The default retriever: e5, USE and BM25 signals fused with fitted weights.

Why fused: on real FAQ questions e5 ranks best within a language, USE adds across
languages, BM25 on names and rare words; no single one wins on every data set (figures in
benchmarks/retrieval.py, fitting in benchmarks/fit_scoring.py).

Each result's score is the calibrated probability that the entry answers the question
(`bot.faq.scoring`), results are sorted by it, and the same number decides between
answering and escalating.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.faq.retrieval import translation_groups
from bot.faq.scoring import ScoringModel, default_scoring
from bot.faq.signals import COLUMN, ModelIndex, QuerySignals, SignalExtractor
from bot.models import FaqEntry, Language, Passage


@dataclass(frozen=True)
class RankedGroup:
    """One entry (both language versions counted once) in a fused ranking.

    `entry` is the version shown to the customer (their language when it exists); `best`
    is the row of the version whose signals scored highest. `share` is the softmax share
    among all groups, `score` the calibrated probability reported and decided on.
    """

    entry: FaqEntry
    best: int
    fused: float
    share: float
    score: float


@dataclass(frozen=True)
class Ranking:
    """Entry groups best first, and the evidence the answer decision read for the first."""

    groups: list[RankedGroup]
    evidence: dict[str, float]


class GroupRanker:
    """Turns signals into a ranking of entry groups with calibrated scores.

    Apart from the retriever so the fitting script can rank stored signals without models.
    """

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        scoring: ScoringModel | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._entries = list(entries)
        self._scoring = scoring or default_scoring()
        self._today = today
        group_of = translation_groups(self._entries)
        names = sorted(set(group_of.values()))
        index_of = {name: index for index, name in enumerate(names)}
        self._group = np.array([index_of[group_of[e.id]] for e in self._entries], dtype=np.intp)
        self._groups = len(names)
        self._versions = {
            (int(self._group[row]), entry.language): entry
            for row, entry in enumerate(self._entries)
        }
        self._phrasings = np.array(
            [
                math.log1p(sum(1 for p in (e.question, *e.alternate_questions) if p.strip()))
                for e in self._entries
            ],
            dtype=np.float32,
        )

    @property
    def scoring(self) -> ScoringModel:
        """The fitted constants this ranker scores with."""
        return self._scoring

    def rank(
        self, signals: QuerySignals, language: Language, scoring: ScoringModel | None = None
    ) -> Ranking:
        """Every valid entry group for these signals, best first, and the decision's inputs.

        `scoring` replaces the retriever's constants for this call (the fitting script
        tries constants over one set of signals).
        """
        scoring = scoring or self._scoring
        if not self._entries:
            return Ranking([], {})
        fused = scoring.fused(signals.matrix)
        day = self._today()
        valid = np.array([entry.is_valid_on(day) for entry in self._entries])
        fused = np.where(valid, fused, -np.inf)
        # Each group counts once, with its best-scoring version's signals.
        best_of_group = np.full(self._groups, -1, dtype=np.intp)
        for row in np.argsort(-fused, kind="stable"):
            if np.isfinite(fused[row]) and best_of_group[self._group[row]] < 0:
                best_of_group[self._group[row]] = row
        rows = best_of_group[best_of_group >= 0]
        if rows.size == 0:
            return Ranking([], {})
        rows = rows[np.argsort(-fused[rows], kind="stable")]
        group_scores = fused[rows]
        shares = np.exp(group_scores - group_scores[0])
        shares /= shares.sum()
        evidence = self._evidence(signals, rows, float(shares[0]))
        probability = scoring.answer_probability(evidence)
        groups = [
            RankedGroup(
                self._shown_version(int(row), language),
                int(row),
                float(fused[row]),
                float(share),
                probability * float(share / shares[0]),
            )
            for row, share in zip(rows, shares, strict=True)
        ]
        return Ranking(groups, evidence)

    def _evidence(self, signals: QuerySignals, rows: np.ndarray, share: float) -> dict[str, float]:
        """The decision's inputs for the best group (`rows[0]`)."""
        top = int(rows[0])
        e5 = signals.column("e5_d")
        runner_up = float(e5[rows[1:]].max()) if rows.size > 1 else 0.0
        nearest = np.sort(e5[rows])[::-1][:10]
        return {
            "share": share,
            "e5_top": float(e5[top]),
            "e5_margin": float(e5[top]) - runner_up,
            "e5_spread": float(e5[top]) - float(nearest.mean()),
            "e5_qq_top": float(signals.matrix[top, COLUMN["e5_qq"]]),
            "phrasings": float(self._phrasings[top]),
            "coverage": float(signals.matrix[top, COLUMN["coverage"]]),
            "same_language": float(signals.matrix[top, COLUMN["same_language"]]),
        }

    def _shown_version(self, row: int, language: Language) -> FaqEntry:
        """The customer's language version of the entry when there is one."""
        return self._versions.get((int(self._group[row]), language), self._entries[row])


class FusedRetriever:
    """Ranks the entries of one knowledge folder with every signal, fitted."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        e5: ModelIndex,
        use: ModelIndex,
        *,
        scoring: ScoringModel | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        """Read the indexes and prepare the signals.

        Args:
            entries: the entries to rank, as indexed in both stores.
            e5: the multilingual-e5-small index and embedder.
            use: the multilingual USE index and embedder.
            scoring: fitted constants; the shipped `scoring.json` when None.
            today: the date entries must still be valid on (`valid_until`).
        """
        self._extractor = SignalExtractor(entries, e5, use)
        self._ranker = GroupRanker(entries, scoring=scoring, today=today)

    @property
    def entries(self) -> list[FaqEntry]:
        """The entries this retriever ranks."""
        return self._extractor.entries

    @property
    def answer_threshold(self) -> float:
        """The fitted score from which a draft answers instead of escalating."""
        return self._ranker.scoring.threshold

    @property
    def extractor(self) -> SignalExtractor:
        """The signal extractor, for benchmarks that rank by single signals."""
        return self._extractor

    @property
    def ranker(self) -> GroupRanker:
        """The ranker, for benchmarks that rank stored signals."""
        return self._ranker

    def search(self, text: str, language: Language, k: int = 5) -> list[Passage]:
        """Return the `k` best entries for `text`, best first, with calibrated scores."""
        ranking = self._ranker.rank(self._extractor.signals(text, language), language)
        return [Passage(group.entry, group.score) for group in ranking.groups[:k]]

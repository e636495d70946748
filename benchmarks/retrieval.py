"""Retrieval quality and the answer decision on every shared data set, methods side by side.

Per query set (see `_datasets`), in one run:
- fused: the default, `bot.faq.fused` with the shipped `scoring.json`;
- e5 max(Q,QA): plain multilingual-e5-small, an entry scored by the better of its best
  question phrasing and its question+answer text;
- USE: plain multilingual USE, the better of phrasing and answer;
- BM25: BM25 with stemming, any language;
- previous default: `bot.faq.retrieval.Retriever`, USE hybrid (the default until issue 10).
All but the previous default rank the very same signals (`_signals`, cached), so they differ
only in how they combine them. Both language versions of a sample entry count once.

Then the answer decision, as shares of each set's questions: answered with a right entry,
answered with a wrong one (every answered out-of-scope question is wrong), escalated; for
the fused default at its fitted threshold and the previous default at 0.3.

The fused constants were fitted on these same sets (benchmarks/fit_scoring.py prints the
figures with each family held out); the sample knowledge was never fitted on.

Usage (from the repo root):
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/retrieval.py [--quick] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import console, table, temp_index  # noqa: E402
from _datasets import Corpus, Query, all_corpora  # noqa: E402
from _signals import SetSignals, corpus_signals  # noqa: E402

from bot.faq.fused import GroupRanker  # noqa: E402
from bot.faq.retrieval import DEFAULT_ANSWER_THRESHOLD, Retriever  # noqa: E402
from bot.faq.scoring import default_scoring  # noqa: E402
from bot.faq.signals import QuerySignals  # noqa: E402
from bot.models import EmbeddingModel, RetrievalMode  # noqa: E402
from bot.wiring import embedder_for_model  # noqa: E402

QUICK_QUERIES = 200
QUERIES = 1000
KS = (1, 3, 5)
NEVER = 10**6
METHODS = ("fused", "e5 max(Q,QA)", "USE", "BM25", "previous default")


def group_keys(corpus: Corpus) -> dict[str, str]:
    """Entry id -> its translation group (both language versions count once)."""
    return {e.id: min(e.id, e.translation_of) if e.translation_of else e.id for e in corpus.entries}


def position_in(ids: Sequence[str], query: Query, groups: dict[str, str]) -> int:
    """1-based rank of the first answering group among `ids` (groups counted once)."""
    gold = {groups[g] for g in query.gold if g in groups}
    seen: set[str] = set()
    for entry_id in ids:
        group = groups[entry_id]
        if group in seen:
            continue
        seen.add(group)
        if group in gold:
            return len(seen)
    return NEVER


def by_column(item: SetSignals, scores: Callable[[QuerySignals], np.ndarray]) -> list[int]:
    ids = [e.id for e in item.corpus.entries]
    groups = group_keys(item.corpus)
    positions = []
    for query, signals in zip(item.queries, item.signals, strict=True):
        order = np.argsort(-scores(signals), kind="stable")
        positions.append(position_in([ids[i] for i in order], query, groups))
    return positions


def signal(name: str) -> Callable[[QuerySignals], np.ndarray]:
    """Rank by one signal column."""

    def scores(signals: QuerySignals) -> np.ndarray:
        return signals.column(name)

    return scores


def recall(positions: Sequence[int]) -> tuple[float, float, float, float]:
    """R@1, R@3, R@5 and MRR."""
    p = np.array(positions)
    r1, r3, r5 = (float((p <= k).mean()) for k in KS)
    return r1, r3, r5, float((1.0 / p).mean())


def decision_row(
    name: str, answered: Sequence[bool], right: Sequence[bool], threshold: float
) -> list[object]:
    a, r = np.array(answered), np.array(right)
    return [
        name,
        float((a & r).mean()),
        float((a & ~r).mean()),
        float((~a).mean()),
        threshold,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_QUERIES} queries per set")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "replydesk-signals",
        help="signal cache folder (shared with fit_scoring.py)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    limit = QUICK_QUERIES if args.quick else QUERIES
    e5 = embedder_for_model(EmbeddingModel.E5)
    use = embedder_for_model(EmbeddingModel.USE)
    scoring = default_scoring()
    summary: list[list[object]] = []
    for corpus in all_corpora(limit):
        sets = corpus_signals(corpus, e5, use, args.cache)
        ranker = GroupRanker(corpus.entries, scoring=scoring)
        groups = group_keys(corpus)
        ids = [e.id for e in corpus.entries]
        with temp_index(corpus.entries, use, "previous") as (store, _):
            previous = Retriever(corpus.entries, store, use, mode=RetrievalMode.HYBRID)
            for item in sets:
                answerable = [i for i, q in enumerate(item.queries) if q.gold]
                fused_positions, fused_answered = [], []
                for query, signals in zip(item.queries, item.signals, strict=True):
                    ranking = ranker.rank(signals, query.language)
                    fused_positions.append(
                        position_in([g.entry.id for g in ranking.groups], query, groups)
                    )
                    top = ranking.groups[0].score if ranking.groups else 0.0
                    fused_answered.append(top >= scoring.threshold)
                previous_positions, previous_answered = [], []
                for query in item.queries:
                    passages = previous.search(query.text, query.language, k=len(ids))
                    previous_positions.append(
                        position_in([p.entry.id for p in passages], query, groups)
                    )
                    top = passages[0].score if passages else 0.0
                    previous_answered.append(top >= DEFAULT_ANSWER_THRESHOLD)
                columns = {
                    "fused": fused_positions,
                    "e5 max(Q,QA)": by_column(item, signal("e5_d")),
                    "USE": by_column(item, signal("use_d")),
                    "BM25": by_column(item, signal("bm25_any")),
                    "previous default": previous_positions,
                }
                title = f"{corpus.name} — {item.name} ({len(corpus.entries)} entries)"
                if answerable:
                    metrics = {
                        name: recall([columns[name][i] for i in answerable]) for name in METHODS
                    }
                    table(
                        f"{title}, {len(answerable)} answerable questions",
                        ["method", "R@1", "R@3", "R@5", "MRR"],
                        [[name, *values] for name, values in metrics.items()],
                    )
                    fused, others = metrics["fused"], list(metrics.values())[1:]
                    best_r3 = max(values[1] for values in others)
                    best_mrr = max(values[3] for values in others)
                    summary.append(
                        [
                            f"{corpus.name} {item.name}",
                            fused[1],
                            best_r3,
                            "yes" if fused[1] >= best_r3 else "NO",
                            fused[3],
                            best_mrr,
                            "yes" if fused[3] >= best_mrr else "NO",
                        ]
                    )
                right = [p == 1 for p in fused_positions]
                previous_right = [p == 1 for p in previous_positions]
                table(
                    f"{title}: answer decision, shares of {len(item.queries)} questions",
                    ["method", "answered right", "answered wrong", "escalated", "threshold"],
                    [
                        decision_row("fused", fused_answered, right, scoring.threshold),
                        decision_row(
                            "previous default",
                            previous_answered,
                            previous_right,
                            DEFAULT_ANSWER_THRESHOLD,
                        ),
                    ],
                )
    table(
        "fused against the best other method on each set",
        ["set", "fused R@3", "best other R@3", "≥", "fused MRR", "best other MRR", "≥"],
        summary,
    )
    console.print(f"total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fit the fused retriever's constants (`bot/faq/scoring.json`), one family held out at a time.

1. Fusion: a conditional logit over entries (softmax of the weighted signals; the loss is
   the probability the answering entries get), each family weighing the same.
2. Decision: a logistic regression on the best entry's evidence (`DECISION_FEATURES`),
   trained on whether the best entry answers (out-of-scope questions never do).
3. Threshold: the score maximising right answers minus `WRONG_COST` times wrong ones,
   averaged over the training families: a confident wrong draft is the worst outcome.

Every figure printed per family comes from constants fitted without that family; the sample
knowledge (our own paraphrases) is never fitted on, only reported. `--write` stores the
constants fitted on all shared families.

Usage (from the repo root):
    .venv/bin/python benchmarks/fit_scoring.py [--quick] [--write] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, console, table  # noqa: E402
from _datasets import all_corpora  # noqa: E402
from _signals import SetSignals, corpus_signals  # noqa: E402

from bot.faq.fused import GroupRanker  # noqa: E402
from bot.faq.scoring import DECISION_FEATURES, ScoringModel  # noqa: E402
from bot.faq.signals import COLUMN, FEATURES  # noqa: E402
from bot.models import EmbeddingModel  # noqa: E402
from bot.wiring import embedder_for_model  # noqa: E402

SCORING_FILE = REPO_ROOT / "bot" / "faq" / "scoring.json"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "replydesk-signals"
FIT_QUERIES = 1000
QUICK_QUERIES = 200
WRONG_COST = 4.0
L2 = 1e-3
THRESHOLDS = np.round(np.arange(0.20, 0.91, 0.02), 2)
FITTED_FAMILIES = ("xquad", "stackfaq", "banking77", "clinc150", "bitext")
# Signals left out of a fit (`--drop`), to measure what each one adds.
DROPPED: set[str] = set()


@dataclass
class Outcome:
    """Per question: where the first answering group ranks, and the decision's inputs."""

    position: int  # 1-based; large when no answering entry is ranked (or none exists)
    answerable: bool
    top_right: bool
    evidence: dict[str, float]


# ---------------------------------------------------------------------------- fusion


def fusion_loss(
    weights: np.ndarray,
    sets: Sequence[tuple[np.ndarray, np.ndarray, float]],
    penalty: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Mean negative log-probability of the answering entries, and its gradient.

    `penalty` is the L2 strength per (standardised) weight: e5's own similarity is free,
    every other signal has to earn its weight.
    """
    loss = float((penalty * weights * weights).sum())
    grad = 2 * penalty * weights
    for matrices, gold, weight in sets:
        scores = matrices @ weights  # [questions, entries]
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        gold_mass = (probabilities * gold).sum(axis=1)
        loss -= weight * float(np.log(gold_mass + 1e-12).mean())
        within_gold = probabilities * gold / (gold_mass[:, None] + 1e-12)
        expected = np.einsum("qe,qef->f", probabilities - within_gold, matrices)
        grad += weight * expected / len(matrices)
    return loss, grad


def fit_fusion(train: Sequence[SetSignals], l2: float) -> dict[str, float]:
    families: dict[str, list[SetSignals]] = {}
    for item in train:
        families.setdefault(item.corpus.family, []).append(item)
    sets = []
    for members in families.values():
        for item in members:
            rows = [i for i, q in enumerate(item.queries) if q.gold]
            if not rows:
                continue
            matrices = np.stack([item.signals[i].matrix for i in rows]).astype(np.float64)
            ids = [e.id for e in item.corpus.entries]
            gold = np.array([[eid in item.queries[i].gold for eid in ids] for i in rows], float)
            sets.append((matrices, gold, 1.0 / (len(families) * len(members))))
    # Standardise: e5's similarities span a narrow band, so raw weights are not comparable.
    pooled = np.concatenate([m.reshape(-1, len(FEATURES)) for m, _, _ in sets])
    scale = pooled.std(axis=0)
    scale[scale == 0] = 1.0
    keep = np.array([name not in DROPPED for name in FEATURES], dtype=float)
    standard = [(m / scale * keep, g, w) for m, g, w in sets]
    penalty = np.full(len(FEATURES), l2)
    penalty[COLUMN["e5_d"]] = 0.0
    start = np.zeros(len(FEATURES))
    start[COLUMN["e5_d"]] = 1.0
    result = minimize(fusion_loss, start, args=(standard, penalty), jac=True, method="L-BFGS-B")
    raw = result.x / scale
    return {name: round(float(w), 4) for name, w in zip(FEATURES, raw, strict=True)}


# ---------------------------------------------------------------------------- decision


def outcomes(item: SetSignals, model: ScoringModel) -> list[Outcome]:
    ranker = GroupRanker(item.corpus.entries, scoring=model)
    group_of = _group_members(item)
    result = []
    for query, signals in zip(item.queries, item.signals, strict=True):
        ranking = ranker.rank(signals, query.language)
        position = 10**6
        for rank, group in enumerate(ranking.groups, start=1):
            if group_of[group.entry.id] & query.gold:
                position = rank
                break
        result.append(Outcome(position, bool(query.gold), position == 1, ranking.evidence))
    return result


def _group_members(item: SetSignals) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for entry in item.corpus.entries:
        key = min(entry.id, entry.translation_of) if entry.translation_of else entry.id
        members.setdefault(key, set()).add(entry.id)
    result = {}
    for entry in item.corpus.entries:
        key = min(entry.id, entry.translation_of) if entry.translation_of else entry.id
        result[entry.id] = frozenset(members[key])
    return result


def fit_decision(per_family: dict[str, list[Outcome]], l2: float) -> tuple[float, dict[str, float]]:
    xs, ys, ws = [], [], []
    for items in per_family.values():
        for outcome in items:
            xs.append(
                [0.0 if name in DROPPED else outcome.evidence[name] for name in DECISION_FEATURES]
            )
            ys.append(1.0 if outcome.top_right else 0.0)
            ws.append(1.0 / (len(per_family) * len(items)))
    x, y, w = np.array(xs), np.array(ys), np.array(ws)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        logits = design @ beta
        p = 1 / (1 + np.exp(-np.clip(logits, -50, 50)))
        value = -float((w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum())
        grad = design.T @ (w * (p - y))
        penalty = l2 * float(beta[1:] @ beta[1:])
        grad[1:] += 2 * l2 * beta[1:]
        return value + penalty, grad

    result = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B")
    raw = result.x[1:] / scale
    intercept = float(result.x[0] - (raw * mean).sum())
    weights = {n: round(float(b), 4) for n, b in zip(DECISION_FEATURES, raw, strict=True)}
    return round(intercept, 4), weights


def decide(model: ScoringModel, items: Sequence[Outcome]) -> np.ndarray:
    return np.array([model.answer_probability(o.evidence) for o in items])


def rates(model: ScoringModel, items: Sequence[Outcome], threshold: float) -> tuple[float, ...]:
    """(answered right, answered wrong, escalated) as shares of the questions."""
    if not items:
        return (float("nan"),) * 3
    answered = decide(model, items) >= threshold
    right = np.array([o.top_right for o in items])
    n = len(items)
    return (
        float((answered & right).sum() / n),
        float((answered & ~right).sum() / n),
        float((~answered).sum() / n),
    )


def choose_threshold(
    model: ScoringModel, per_family: dict[str, list[Outcome]], wrong_cost: float = WRONG_COST
) -> float:
    best, best_utility = 0.5, -np.inf
    for threshold in THRESHOLDS:
        utility = np.mean(
            [
                rates(model, items, threshold)[0] - wrong_cost * rates(model, items, threshold)[1]
                for items in per_family.values()
            ]
        )
        if utility > best_utility:
            best, best_utility = float(threshold), float(utility)
    return best


def fit(
    train: Sequence[SetSignals], l2: float = L2, wrong_cost: float = WRONG_COST
) -> ScoringModel:
    fusion = fit_fusion(train, l2)
    provisional = ScoringModel(fusion, 0.0, {}, 0.5)
    per_family: dict[str, list[Outcome]] = {}
    for item in train:
        per_family.setdefault(item.corpus.family, []).extend(outcomes(item, provisional))
    intercept, weights = fit_decision(per_family, l2)
    model = ScoringModel(fusion, intercept, weights, 0.5)
    threshold = choose_threshold(model, per_family, wrong_cost)
    return ScoringModel(fusion, intercept, weights, threshold)


# ---------------------------------------------------------------------------- report


def recall_row(positions: Sequence[int]) -> list[object]:
    p = np.array(positions)
    return [*(float((p <= k).mean()) for k in (1, 3, 5)), float((1.0 / p).mean())]


def single_signal_positions(item: SetSignals, column: str) -> list[int]:
    ids = [e.id for e in item.corpus.entries]
    group_of = _group_members(item)
    positions = []
    for query, signals in zip(item.queries, item.signals, strict=True):
        order = np.argsort(-signals.column(column), kind="stable")
        seen: set[frozenset[str]] = set()
        rank = 0
        position = 10**6
        for row in order:
            members = group_of[ids[row]]
            if members in seen:
                continue
            seen.add(members)
            rank += 1
            if members & query.gold:
                position = rank
                break
        positions.append(position)
    return positions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_QUERIES} questions a set")
    parser.add_argument("--write", action="store_true", help=f"write {SCORING_FILE.name}")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="signal cache folder")
    parser.add_argument("--l2", type=float, default=L2, help="L2 strength (standardised)")
    parser.add_argument(
        "--wrong-cost", type=float, default=WRONG_COST, help="a wrong answer costs this many right"
    )
    parser.add_argument("--drop", default="", help="comma-separated signals to leave out")
    args = parser.parse_args(argv)
    DROPPED.update(name for name in args.drop.split(",") if name)
    started = time.perf_counter()
    limit = QUICK_QUERIES if args.quick else FIT_QUERIES
    e5 = embedder_for_model(EmbeddingModel.E5)
    use = embedder_for_model(EmbeddingModel.USE)
    data: list[SetSignals] = []
    for corpus in all_corpora(limit):
        data += corpus_signals(corpus, e5, use, args.cache)
    console.print(f"signals ready after {time.perf_counter() - started:.0f} s")

    shared = [item for item in data if item.corpus.family in FITTED_FAMILIES]
    families = sorted({item.corpus.family for item in shared})
    recall_rows, decision_rows = [], []
    for held_out in families:
        model = fit(
            [item for item in shared if item.corpus.family != held_out], args.l2, args.wrong_cost
        )
        for item in shared:
            if item.corpus.family != held_out:
                continue
            results = outcomes(item, model)
            label = f"{item.corpus.name} {item.name}"
            answerable = [o for o in results if o.answerable]
            if answerable:
                recall_rows.append(
                    [
                        label,
                        *recall_row([o.position for o in answerable]),
                        *recall_row(
                            [
                                p
                                for p, q in zip(
                                    single_signal_positions(item, "e5_d"), item.queries, strict=True
                                )
                                if q.gold
                            ]
                        )[1:4:2],
                    ]
                )
            decision_rows.append(
                [label, *rates(model, results, model.threshold), model.threshold, len(results)]
            )
    table(
        "held out: fused ranking (constants fitted without the row's family) vs plain e5",
        ["set", "R@1", "R@3", "R@5", "MRR", "e5 R@3", "e5 MRR"],
        recall_rows,
    )
    table(
        "held out: answer decision (right / wrong / escalated, shares of all questions)",
        ["set", "right", "wrong", "escalated", "threshold", "questions"],
        decision_rows,
    )

    final = fit(shared, args.l2, args.wrong_cost)
    curve_rows = []
    shown = sorted({0.3, 0.5, 0.6, 0.7, 0.8, 0.9, final.threshold})
    for item in data:
        results = outcomes(item, final)
        label = f"{item.corpus.name} {item.name}"
        cells: list[object] = [label]
        for threshold in shown:
            right, wrong, _ = rates(final, results, threshold)
            cells.append(f"{right:.2f}/{wrong:.2f}")
        curve_rows.append(cells)
    table(
        "all-family fit: right/wrong at thresholds (in-sample except the sample knowledge)",
        ["set", *(f"{t:.2f}" + (" (fitted)" if t == final.threshold else "") for t in shown)],
        curve_rows,
    )
    console.print(json.dumps(final.to_json(), indent=1))
    if args.write:
        SCORING_FILE.write_text(json.dumps(final.to_json(), indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {SCORING_FILE}")
    console.print(f"total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

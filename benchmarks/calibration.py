"""Calibration of the retriever's score, and the actions the offline drafter takes.

1. Fits `midpoint` / `slope` of the model's `ModelTuning` in bot/faq/retrieval.py: the
   evidence `Retriever.evidence` gives for the top entry of `rank()` (dense similarity +
   lexical_weight x same-language x query-word coverage) is regressed with a 1-D logistic
   regression (numpy, Newton steps). Positives: sample paraphrases whose top-1
   (`search(k=1)`) is correct. Negatives: 300 CLINC150 out-of-scope queries (oos_test, fixed
   seed) plus the paraphrases whose top-1 is wrong, all against the sample knowledge.
2. For thresholds 0.2-0.7 on the calibrated score (`ModelTuning.calibrated`): share of
   paraphrases kept (and kept with a correct top-1), share of out-of-scope queries rejected -
   with the current constants and the fitted ones.
3. Runs the 40 sample enquiries through `bot.drafting.draft_reply` with the OfflineDrafter:
   expected vs produced action, top-1 citation accuracy on the "review" cases.

Usage (from the repo root):
    .venv/bin/python benchmarks/calibration.py [--quick] [--e5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SAMPLE_ENQUIRIES,
    SAMPLE_KNOWLEDGE,
    SAMPLE_PARAPHRASES,
    benchmark_settings,
    console,
    dataset,
    subsample,
    table,
    temp_dir,
)

from bot.drafting.language import detect_language  # noqa: E402
from bot.drafting.offline import OfflineDrafter  # noqa: E402
from bot.drafting.pipeline import DraftingContext, draft_reply  # noqa: E402
from bot.faq.embedders import Embedder  # noqa: E402
from bot.faq.files import Guidelines  # noqa: E402
from bot.faq.opening import OpenedKnowledge  # noqa: E402
from bot.faq.retrieval import DEFAULT_ANSWER_THRESHOLD, ModelTuning, Retriever  # noqa: E402
from bot.models import (  # noqa: E402
    Channel,
    DraftAction,
    EmbeddingModel,
    Language,
    RetrievalMode,  # noqa: E402
)
from bot.wiring import embedder_for_model, open_knowledge  # noqa: E402

OOS_QUERIES = 300
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class Observation:
    text: str
    language: Language
    kind: str  # "paraphrase" or "oos"
    correct: bool  # top-1 correct (always False for oos)
    evidence: float
    dense: float
    coverage: float


def evidence_of(retriever: Retriever, text: str, language: Language) -> Observation:
    """The bot's evidence for the top entry of `rank()`, checked against `search()`'s score.

    search's first passage is calibrated from rank()[0], so mapping this evidence through
    the retriever's tuning must give the score search reports.
    """
    top = retriever.rank(text, language)[0]
    evidence = retriever.evidence(top, language)
    score = retriever.search(text, language, k=1)[0].score
    expected = retriever.tuning.calibrated(evidence)
    assert math.isclose(score, expected, abs_tol=1e-9), (text, score, expected)
    return Observation(text, language, "", False, evidence, top.dense, top.coverage)


def fit_logistic(x: np.ndarray, y: np.ndarray, balanced: bool) -> tuple[float, float]:
    """Fit p = 1 / (1 + exp(-slope (x - midpoint))) by Newton's method (tiny ridge)."""
    weights = np.ones_like(x)
    if balanced:
        weights = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ beta)))
        gradient = design.T @ (weights * (y - p)) - 1e-6 * beta
        hessian = (design.T * (weights * p * (1 - p))) @ design + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    intercept, slope = float(beta[0]), float(beta[1])
    return -intercept / slope, slope


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos, neg = np.asarray(positives), np.asarray(negatives)
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def with_tuning(retriever: Retriever, embedder: Embedder, tuning: ModelTuning) -> Retriever:
    """A retriever over the same entries and index that scores with other constants."""
    return Retriever(
        retriever.entries, retriever.store, embedder, mode=RetrievalMode.HYBRID, tuning=tuning
    )


def load_oos(limit: int) -> list[str]:
    folder = dataset("clinc150_oos_en", "data_full.json")
    if folder is None:
        return []
    data = json.loads((folder / "data_full.json").read_text(encoding="utf-8"))
    return subsample([text for text, _ in data["oos_test"]], limit)


def observe(opened: OpenedKnowledge, oos: Sequence[str]) -> list[Observation]:
    retriever = opened.retriever
    assert isinstance(retriever, Retriever)  # noqa: S101 - calibrates the single-model modes
    observations = []
    for line in SAMPLE_PARAPHRASES.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        language = Language(raw["language"])
        top = retriever.search(raw["text"], language, k=1)[0]
        base = evidence_of(retriever, raw["text"], language)
        observations.append(
            Observation(
                raw["text"],
                language,
                "paraphrase",
                top.entry.id in set(raw["gold"]),
                base.evidence,
                base.dense,
                base.coverage,
            )
        )
    for text in oos:
        language = detect_language(text).language
        base = evidence_of(retriever, text, language)
        observations.append(
            Observation(text, language, "oos", False, base.evidence, base.dense, base.coverage)
        )
    return observations


def trade_off_rows(
    observations: Sequence[Observation], label: str, tuning: ModelTuning
) -> list[list[object]]:
    paraphrases = [o for o in observations if o.kind == "paraphrase"]
    wrong = [o for o in paraphrases if not o.correct]
    oos = [o for o in observations if o.kind == "oos"]
    rows: list[list[object]] = []
    for threshold in THRESHOLDS:

        def kept(o: Observation, t: float = threshold) -> bool:
            return tuning.calibrated(o.evidence) >= t

        kept_correct = sum(kept(o) and o.correct for o in paraphrases)
        kept_any = sum(kept(o) for o in observations)
        rows.append(
            [
                label if threshold == THRESHOLDS[0] else "",
                threshold,
                sum(kept(o) for o in paraphrases) / len(paraphrases),
                kept_correct / len(paraphrases),
                sum(not kept(o) for o in wrong) / len(wrong) if wrong else float("nan"),
                sum(not kept(o) for o in oos) / len(oos) if oos else float("nan"),
                kept_correct / kept_any if kept_any else float("nan"),
            ]
        )
    return rows


EnquiryResult = tuple[Counter[tuple[str, str]], int, int, list[str]]


async def run_enquiries(
    retriever: Retriever, guidelines: Guidelines, threshold: float
) -> EnquiryResult:
    context = DraftingContext(
        retriever=retriever,
        guidelines=guidelines,
        drafter=OfflineDrafter(),
        answer_threshold=threshold,
    )
    confusion: Counter[tuple[str, str]] = Counter()
    review_total = review_correct = 0
    misses = []
    for line in SAMPLE_ENQUIRIES.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        reply = await draft_reply(
            context, raw["text"], Channel(raw["channel"]), raw.get("author_name")
        )
        expected = raw["expect"]["action"]
        confusion[(expected, reply.action.value)] += 1
        if expected == DraftAction.REVIEW.value:
            review_total += 1
            cited = reply.citations[0] if reply.citations else None
            if cited in set(raw["expect"].get("entries", [])):
                review_correct += 1
            else:
                misses.append(
                    f"{raw['id']}: {reply.action.value} cited={cited} conf={reply.confidence} "
                    f"expected={raw['expect'].get('entries', [])[:2]}"
                )
        elif reply.action.value != expected:
            misses.append(
                f"{raw['id']}: expected {expected}, got {reply.action.value} "
                f"cited={list(reply.citations)} conf={reply.confidence} flags={list(reply.flags)}"
            )
    return confusion, review_correct, review_total, misses


def print_confusion(title: str, result: EnquiryResult) -> None:
    confusion, correct, total, misses = result
    actions = [a.value for a in DraftAction]
    rows = [
        [
            f"expected {e}",
            *(confusion[(e, p)] for p in actions),
            sum(confusion[(e, p)] for p in actions),
        ]
        for e in actions
    ]
    table(title, ["", *(f"→ {a}" for a in actions), "total"], rows)
    agree = sum(confusion[(a, a)] for a in actions)
    console.print(
        f"action agreement {agree}/{sum(confusion.values())}; top-1 citation correct on "
        f"expected-review enquiries {correct}/{total} = {correct / max(total, 1):.3f}"
    )
    for miss in misses:
        console.print(f"  [dim]{miss}[/dim]")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 out-of-scope queries")
    parser.add_argument("--e5", action="store_true", help="also fit for multilingual-e5-small")
    args = parser.parse_args(argv)
    for path in (SAMPLE_KNOWLEDGE, SAMPLE_PARAPHRASES, SAMPLE_ENQUIRIES):
        if not path.exists():
            console.print(f"[yellow]skipped: {path} not found[/yellow]")
            return 0
    oos = load_oos(100 if args.quick else OOS_QUERIES)
    models = [EmbeddingModel.USE] + ([EmbeddingModel.E5] if args.e5 else [])
    for model in models:
        with temp_dir() as root:
            settings = benchmark_settings(
                root, embedding_model=model, retrieval_mode=RetrievalMode.HYBRID
            )
            embedder = embedder_for_model(model)
            opened = open_knowledge(settings, SAMPLE_KNOWLEDGE, embedder=embedder)
            guidelines = opened.knowledge.guidelines
            single = opened.retriever
            assert isinstance(single, Retriever)  # noqa: S101 - hybrid mode, set above
            current = single.tuning
            console.rule(f"{model.value}  (hybrid, lexical weight {current.lexical_weight})")
            observations = observe(opened, oos)
            fitted = report_fit(observations, current)
            for name, tuning in {"current": current, **fitted}.items():
                retriever = with_tuning(single, embedder, tuning)
                result = asyncio.run(run_enquiries(retriever, guidelines, DEFAULT_ANSWER_THRESHOLD))
                print_confusion(
                    f"sample enquiries, {name} constants (midpoint {tuning.midpoint:.3f}, slope "
                    f"{tuning.slope:.2f}), answer_threshold {DEFAULT_ANSWER_THRESHOLD}",
                    result,
                )
            sweep_rows = []
            for threshold in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
                confusion, correct, total, _ = asyncio.run(
                    run_enquiries(single, guidelines, threshold)
                )
                sweep_rows.append(
                    [
                        threshold,
                        sum(confusion[(a.value, a.value)] for a in DraftAction),
                        confusion[("review", "escalate")],
                        confusion[("escalate", "review")],
                        f"{correct}/{total}",
                    ]
                )
            table(
                "sample enquiries vs answer_threshold (current constants; 40 enquiries)",
                [
                    "answer_threshold",
                    "action agrees",
                    "review→escalate",
                    "escalate→review",
                    "review cases: top-1 cited correctly",
                ],
                sweep_rows,
            )
            top1 = top1_accuracy(opened)
            console.print(
                f"top-1 entry of search() correct regardless of action, expected-review "
                f"enquiries: {top1[0]}/{top1[1]}"
            )
    return 0


def top1_accuracy(opened: OpenedKnowledge) -> tuple[int, int]:
    correct = total = 0
    for line in SAMPLE_ENQUIRIES.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw["expect"]["action"] != DraftAction.REVIEW.value:
            continue
        language = detect_language(raw["text"]).language
        top = opened.retriever.search(raw["text"], language, k=1)
        total += 1
        correct += bool(top) and top[0].entry.id in set(raw["expect"].get("entries", []))
    return correct, total


def report_fit(observations: Sequence[Observation], current: ModelTuning) -> dict[str, ModelTuning]:
    """Print the evidence, the fits and their threshold trade-offs; return the fitted tunings."""
    paraphrases = [o for o in observations if o.kind == "paraphrase"]
    positives = [o for o in paraphrases if o.correct]
    wrong = [o for o in paraphrases if not o.correct]
    oos = [o for o in observations if o.kind == "oos"]
    x = np.array([o.evidence for o in observations])
    y = np.array([1.0 if o.correct else 0.0 for o in observations])
    fits = {
        name: dataclasses.replace(current, midpoint=midpoint, slope=slope)
        for name, (midpoint, slope) in (
            ("fitted", fit_logistic(x, y, balanced=False)),
            ("fitted-balanced", fit_logistic(x, y, balanced=True)),
        )
    }

    def q(values: Sequence[float]) -> str:
        if not values:
            return "–"
        a = np.percentile(values, [10, 50, 90])
        return f"{a[0]:.3f} / {a[1]:.3f} / {a[2]:.3f}"

    table(
        "raw evidence (dense + w·same·coverage), p10 / p50 / p90",
        ["group", "n", "evidence", "dense", "coverage"],
        [
            [
                name,
                len(group),
                q([o.evidence for o in group]),
                q([o.dense for o in group]),
                q([o.coverage for o in group]),
            ]
            for name, group in (
                ("paraphrase, top-1 correct (positive)", positives),
                ("paraphrase, top-1 wrong (negative)", wrong),
                ("CLINC150 out-of-scope (negative)", oos),
            )
        ],
    )
    negatives = wrong + oos
    evidence_pos = [o.evidence for o in positives]
    auc_all = auc(evidence_pos, [o.evidence for o in negatives])
    auc_dense = auc([o.dense for o in positives], [o.dense for o in negatives])
    auc_oos = auc(evidence_pos, [o.evidence for o in oos])
    console.print(
        f"AUC positive vs negative: evidence {auc_all:.3f}, dense alone {auc_dense:.3f}; "
        f"positive vs OOS only: {auc_oos:.3f}"
    )
    table(
        "calibration constants",
        ["constants", "midpoint", "slope"],
        [
            [name, tuning.midpoint, tuning.slope]
            for name, tuning in {"current (bot/faq/retrieval.py)": current, **fits}.items()
        ],
    )
    rows: list[list[object]] = []
    for name, tuning in {"current": current, **fits}.items():
        rows += trade_off_rows(observations, name, tuning)
    table(
        "threshold trade-off on the calibrated score",
        [
            "constants",
            "threshold",
            "paraphrases kept",
            "kept & top-1 correct",
            "wrong top-1 rejected",
            "OOS rejected",
            "precision of kept",
        ],
        rows,
    )
    return fits


if __name__ == "__main__":
    raise SystemExit(main())

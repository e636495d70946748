"""The fitted constants of the fused retriever: how signals rank, and when to answer.

Both parts are fitted by `benchmarks/fit_scoring.py` on the shared data sets, one family
left out at a time to report held-out figures, and written to `scoring.json` (never edited
by hand):

- `fusion`: a weight per signal (`bot.faq.signals.FEATURES`). An entry's score is the
  weighted sum; the softmax over entries is the probability that each one is the answer,
  given that one is (a conditional logit, fitted on which entry answers each question).
- `decision`: a logistic regression on the best entry's evidence (its softmax share, its
  e5 similarity, its margin over the runner-up and over the ten nearest, query-to-query
  similarity, how many phrasings the entry has, query-word coverage, language) giving the
  probability that the best entry really answers the question. That probability is the
  score every result list reports; the drafter answers when it reaches `threshold`,
  otherwise it escalates.
"""

from __future__ import annotations

import importlib.resources
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.faq.signals import FEATURES

DECISION_FEATURES = (
    "share",
    "e5_top",
    "e5_margin",
    "e5_spread",
    "e5_qq_top",
    "phrasings",
    "coverage",
    "same_language",
)


@dataclass(frozen=True)
class ScoringModel:
    """Fusion weights and answer decision, as fitted."""

    fusion: Mapping[str, float]
    decision_intercept: float
    decision: Mapping[str, float]
    threshold: float

    def fused(self, matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Each entry's fused score from its row of signals."""
        weights = np.array([self.fusion.get(name, 0.0) for name in FEATURES], dtype=np.float64)
        scores: npt.NDArray[np.float64] = matrix.astype(np.float64) @ weights
        return scores

    def answer_probability(self, evidence: Mapping[str, float]) -> float:
        """The probability that the entry with this evidence answers the question."""
        logit = self.decision_intercept + sum(
            weight * evidence[name] for name, weight in self.decision.items()
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def to_json(self) -> dict[str, Any]:
        """The JSON form `scoring.json` holds."""
        return {
            "fusion": dict(self.fusion),
            "decision": {
                "intercept": self.decision_intercept,
                "weights": dict(self.decision),
                "threshold": self.threshold,
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoringModel:
        """Read the JSON form; unknown signal names are an error, not silently ignored."""
        fusion = {str(k): float(v) for k, v in data["fusion"].items()}
        decision = data["decision"]
        weights = {str(k): float(v) for k, v in decision["weights"].items()}
        unknown = (set(fusion) - set(FEATURES)) | (set(weights) - set(DECISION_FEATURES))
        if unknown:
            raise ValueError(f"scoring model names unknown signals: {sorted(unknown)}")
        return cls(fusion, float(decision["intercept"]), weights, float(decision["threshold"]))


@lru_cache(maxsize=1)
def default_scoring() -> ScoringModel:
    """The shipped, fitted model (`bot/faq/scoring.json`)."""
    text = (importlib.resources.files("bot.faq") / "scoring.json").read_text("utf-8")
    return ScoringModel.from_json(json.loads(text))

"""The fitted heads of the priority reading (`priority.json`, written by fit_priority.py).

Each head is a logistic regression over the lexical features (`signals.FEATURES`) and, where
cross-dataset validation chose it, the 512 USE embedding dimensions. Its confidence is
shifted so that its operating threshold reads 0.5: the even odds of the class-balanced fit,
or the threshold that maximised F1 on the training sets, whichever did better held out.

`prototypes` holds, per reason without gold anywhere (legal, press, physical hazards), the
band of cosine similarity to a few hand-written prototype sentences that ordinary enquiries
in the shared data sets reach: `low` is their 99th percentile, `high` their 99.9th.
"""

from __future__ import annotations

import importlib.resources
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bot.priority.signals import FEATURES, Signals

# The point every head's confidence is shifted to: a reason at or above it is urgent.
OPERATING_POINT = 0.5


@dataclass(frozen=True)
class Head:
    """One fitted logistic regression and its operating threshold (a raw probability)."""

    intercept: float
    weights: Mapping[str, float]
    embedding: tuple[float, ...]  # empty: the head reads no embedding
    threshold: float
    shape: str = "lexical"  # how it was fitted (benchmarks/fit_priority.py SHAPES)

    def probability(self, signals: Signals) -> float:
        """The raw fitted probability for this text."""
        logit = self.intercept + sum(w * signals.features[name] for name, w in self.weights.items())
        if self.embedding:
            logit += float(np.dot(np.asarray(self.embedding, dtype=np.float32), signals.embedding))
        return _sigmoid(logit)

    def confidence(self, signals: Signals) -> float:
        """The probability moved so that `threshold` reads `OPERATING_POINT`."""
        return _sigmoid(_logit(self.probability(signals)) - _logit(self.threshold))

    def to_json(self) -> dict[str, Any]:
        """The JSON form of this head."""
        return {
            "intercept": round(self.intercept, 5),
            "weights": {name: round(w, 5) for name, w in self.weights.items()},
            "embedding": [round(v, 5) for v in self.embedding],
            "threshold": round(self.threshold, 4),
            "shape": self.shape,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Head:
        """Read the JSON form; unknown feature names are an error."""
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"priority head names unknown features: {sorted(unknown)}")
        return cls(
            float(data["intercept"]),
            weights,
            tuple(float(v) for v in data["embedding"]),
            float(data["threshold"]),
            str(data.get("shape", "lexical")),
        )


@dataclass(frozen=True)
class Band:
    """Prototype similarity that ordinary enquiries reach (`low`) and rarely pass (`high`)."""

    low: float
    high: float

    def place(self, similarity: float) -> float:
        """0 at or below `low`, 1 at or above `high`."""
        return min(1.0, max(0.0, (similarity - self.low) / max(self.high - self.low, 1e-6)))


@dataclass(frozen=True)
class PriorityModel:
    """All heads and prototype bands, plus the data sets they were fitted on."""

    heads: Mapping[str, Head]
    bands: Mapping[str, Band]
    fitted_on: Sequence[str]

    def to_json(self) -> dict[str, Any]:
        """The JSON form `priority.json` holds."""
        return {
            "fitted_on": list(self.fitted_on),
            "heads": {name: head.to_json() for name, head in self.heads.items()},
            "prototypes": {n: {"low": b.low, "high": b.high} for n, b in self.bands.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriorityModel:
        """Read the JSON form."""
        return cls(
            {str(name): Head.from_json(head) for name, head in data["heads"].items()},
            {
                str(name): Band(float(band["low"]), float(band["high"]))
                for name, band in data["prototypes"].items()
            },
            tuple(str(name) for name in data["fitted_on"]),
        )


@lru_cache(maxsize=1)
def default_model() -> PriorityModel:
    """The shipped, fitted model (`bot/priority/priority.json`)."""
    text = (importlib.resources.files("bot.priority") / "priority.json").read_text("utf-8")
    return PriorityModel.from_json(json.loads(text))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))

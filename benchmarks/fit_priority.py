"""Fit the priority heads (`bot/priority/priority.json`), one data set held out at a time.

Heads: `negative`, `positive` (sentiment), `safety`, `outage` (urgency). Each is an L2
logistic regression in one of three shapes, chosen per head by held-out F1:

- `lexical`: VADER scores, contextual triage labels and the cue grammars (16 features);
- `embedding`: the 512 multilingual USE dimensions;
- `fused`: both.

Every data set weighs the same, and within a set the two classes weigh the same. The
threshold maximises the training sets' mean F1 minus their mean false-alarm rate where a
set has no positives. Legal and press have no gold anywhere: only the band of prototype
similarity that ordinary enquiries reach is fitted (99th and 99.9th percentile), and
so for the physical hazards the safety gold (fraud, lost cards) does not cover.

Every figure printed comes from a fit without the row's data set; `--write` stores the fit
on all five sets. Gold mappings: see benchmarks/priority.py.

Usage (from the repo root):
    .venv/bin/python benchmarks/fit_priority.py [--write]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, console, dataset, subsample, table  # noqa: E402

from bot.priority.model import Band, Head, PriorityModel  # noqa: E402
from bot.priority.signals import FEATURES, Signals, embed_texts, lexical_signals  # noqa: E402
from bot.priority.urgency import PROTOTYPES, prototype_similarity  # noqa: E402

MODEL_FILE = REPO_ROOT / "bot" / "priority" / "priority.json"
CACHE = Path(tempfile.gettempdir()) / "replydesk-priority"
HEADS = ("negative", "positive", "safety", "outage")
# name:L2 of the embedding weights; "prototype" reads one embedding direction (see below).
SHAPES = ("lexical", "prototype", "embedding:0.003", "fused:0.03", "fused:0.3")
L2_FEATURES = 1e-3
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.025), 3)
MIN_POSITIVES = 3  # a set with fewer positives says nothing about recall or F1

# ---------------------------------------------------------------------------- data sets
# The gold each set gives, per head or reason (absent: not judged). See benchmarks/priority.py.
FAMILIES = ("germeval2017", "germeval2018", "bitext", "clinc150", "banking77")
FIT_SAMPLE = 3000  # CLINC150 and BANKING77 training messages fitted on (of 15,000 / 10,003)
DISRUPTION = ("Störung", "Technische_Schäden", "Sonstige_Unregelmässigkeiten")
BITEXT_OUTAGE = {"registration_problems", "payment_issue"}
CLINC_PROBLEMS = {"damaged_card", "lost_luggage", "freeze_account"}
CLINC_SAFETY = {"report_fraud", "report_lost_card"}
CLINC_OUTAGE = {"card_declined", "account_blocked"}
BANKING_SAFETY = {
    "compromised_card",
    "lost_or_stolen_card",
    "lost_or_stolen_phone",
    "card_payment_not_recognised",
    "cash_withdrawal_not_recognised",
    "direct_debit_payment_not_recognised",
}
BANKING_OUTAGE = {
    "card_not_working",
    "contactless_not_working",
    "virtual_card_not_working",
    "declined_card_payment",
    "declined_cash_withdrawal",
    "declined_transfer",
    "failed_transfer",
    "top_up_failed",
    "pin_blocked",
    "card_swallowed",
}
BANKING_UNCLEAR = {"beneficiary_not_allowed", "unable_to_verify_identity", "passcode_forgotten"}


@dataclass(frozen=True)
class Row:
    text: str
    gold: dict[str, bool]


def load_family(family: str) -> tuple[list[Row], list[Row]] | None:
    """The set's rows to fit on and to report on (the same rows where the set is small)."""
    return {
        "germeval2017": _germeval2017,
        "germeval2018": _germeval2018,
        "bitext": _bitext,
        "clinc150": _clinc,
        "banking77": _banking,
    }[family]()


def _germeval2017() -> tuple[list[Row], list[Row]] | None:
    folder = dataset("germeval2017_db_social_de_trial", "trial.tsv")
    if folder is None:
        return None
    rows = []
    with (folder / "trial.tsv").open(encoding="utf-8", newline="") as handle:
        for line in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            sentiment, aspects = line[3], line[4] if len(line) > 4 else ""
            disrupted = any(
                any(d in a for d in DISRUPTION) and a.endswith(":negative") for a in aspects.split()
            )
            gold = {
                "negative": sentiment == "negative",
                "positive": sentiment == "positive",
                "safety": "Sicherheit" in aspects,
                "outage": disrupted,
            }
            rows.append(Row(line[1], gold))
    return rows, rows


def _germeval2018() -> tuple[list[Row], list[Row]] | None:
    names = ("germeval2018.training.txt", "germeval2018.test.txt")
    folder = dataset("germeval2018_offensive_de", *names)
    if folder is None:
        return None
    splits = []
    for name in names:
        rows = []
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            text, coarse, _ = line.split("\t")
            offence = coarse == "OFFENSE"
            gold = {"negative": offence} | ({"positive": False} if offence else {})
            rows.append(Row(text.replace("|LBR|", "\n"), gold))
        splits.append(rows)
    return splits[0], splits[1]


def _bitext() -> tuple[list[Row], list[Row]] | None:
    name = "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    folder = dataset("bitext_customer_support_en", name)
    if folder is None:
        return None
    rows = []
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            intent, outage = r["intent"], r["intent"] in BITEXT_OUTAGE
            gold = {"positive": False, "safety": False, "outage": outage}
            gold |= {"legal": False, "press": False}
            if not outage:
                gold["negative"] = intent == "complaint" or "W" in r["tags"]
            rows.append(Row(r["instruction"], gold))
    return rows[0::2], rows[1::2]


def _intent_row(text: str, intent: str, safety: set[str], outage: set[str]) -> Row:
    gold = {"safety": intent in safety, "outage": intent in outage, "legal": False}
    return Row(text, gold | {"press": False, "positive": intent == "thank_you"})


def _clinc() -> tuple[list[Row], list[Row]] | None:
    folder = dataset("clinc150_oos_en", "data_full.json")
    if folder is None:
        return None
    data = json.loads((folder / "data_full.json").read_text(encoding="utf-8"))

    def rows(pairs: list[list[str]]) -> list[Row]:
        out = []
        for text, intent in pairs:
            row = _intent_row(text, intent, CLINC_SAFETY, CLINC_OUTAGE)
            if intent in CLINC_PROBLEMS:
                row.gold.pop("safety")
                row.gold.pop("outage")
            elif intent != "oos" and intent not in CLINC_SAFETY | CLINC_OUTAGE:
                row.gold["negative"] = False
            out.append(row)
        return out

    fit = subsample(rows(data["train"]), FIT_SAMPLE) + rows(data["oos_train"])
    return fit, rows(data["test"]) + rows(data["oos_test"])


def _banking() -> tuple[list[Row], list[Row]] | None:
    folder = dataset("banking77_en", "train.csv", "test.csv")
    if folder is None:
        return None

    def rows(name: str) -> list[Row]:
        out = []
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for r in csv.DictReader(handle):
                row = _intent_row(r["text"], r["category"], BANKING_SAFETY, BANKING_OUTAGE)
                if r["category"] in BANKING_UNCLEAR:
                    row.gold.pop("outage")
                out.append(row)
        return out

    return subsample(rows("train.csv"), FIT_SAMPLE), rows("test.csv")


@dataclass
class Split:
    """Rows with their signals, and the signals as arrays for fitting."""

    items: list[tuple[Row, Signals]]
    lexical: np.ndarray
    embedding: np.ndarray

    def judged(self, head: str) -> tuple[np.ndarray, np.ndarray]:
        """The indices of the rows with gold for `head`, and that gold."""
        index = [i for i, (row, _) in enumerate(self.items) if head in row.gold]
        gold = [self.items[i][0].gold[head] for i in index]
        return np.array(index, dtype=int), np.array(gold, dtype=bool)


@dataclass
class Read:
    """A data set's rows to fit on and to report on."""

    family: str
    fit: Split
    report: Split


def read_family(family: str) -> Read | None:
    loaded = load_family(family)
    if loaded is None:
        return None
    fit_rows, report_rows = loaded
    return Read(family, _split(fit_rows), _split(report_rows))


def _split(rows: Sequence[Row]) -> Split:
    texts = [row.text for row in rows]
    key = hashlib.sha1("\x00".join(texts).encode(), usedforsecurity=False).hexdigest()[:16]
    path = CACHE / f"{key}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        vectors = embed_texts(texts)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    items = [(row, lexical_signals(row.text, v)) for row, v in zip(rows, vectors, strict=True)]
    lexical = np.array([[s.features[f] for f in FEATURES] for _, s in items], dtype=np.float64)
    return Split(items, lexical, vectors.astype(np.float64))


def matrix(split: Split, index: np.ndarray, shape: str, direction: np.ndarray) -> np.ndarray:
    lexical, embedding = split.lexical[index], split.embedding[index]
    if shape == "lexical":
        return np.asarray(lexical)
    if shape == "prototype":
        return np.hstack([lexical, (embedding @ direction)[:, None]])
    if shape.startswith("embedding"):
        return np.asarray(embedding)
    return np.hstack([lexical, embedding])


def prototype_direction(sets: Sequence[Read], head: str) -> np.ndarray:
    """Unit vector from the mean negative to the mean positive text, each set weighing the same.

    The "prototype" shape reads only this direction: a nearest-centroid score with one
    weight, far fewer parameters than a 512-dimension head.
    """
    centroids: dict[bool, list[np.ndarray]] = {True: [], False: []}
    for read in sets:
        index, gold = read.fit.judged(head)
        for value in (True, False):
            chosen = index[gold == value]
            if len(chosen):
                mean = read.fit.embedding[chosen].mean(axis=0)
                centroids[value].append(mean / np.linalg.norm(mean))
    if not centroids[True] or not centroids[False]:
        return np.zeros(512)
    direction = np.mean(centroids[True], axis=0) - np.mean(centroids[False], axis=0)
    return np.asarray(direction / np.linalg.norm(direction), dtype=np.float64)


def fit_head(sets: Sequence[Read], head: str, variant: str) -> Head:
    """A logistic regression on the fit splits, each set and class weighing the same.

    `variant` is "shape+threshold": the threshold is "tuned" on the training sets or
    "fixed" at 0.5 (the classes weigh the same, so 0.5 is the even odds).
    """
    shape, mode = variant.split("+")
    direction = prototype_direction(sets, head)
    parts = [(r, *r.fit.judged(head)) for r in sets]
    parts = [(r, index, gold) for r, index, gold in parts if len(index)]
    xs, ys, ws = [], [], []
    for read, index, gold in parts:
        y = gold.astype(np.float64)
        w = np.zeros_like(y)
        classes = len(set(gold.tolist()))
        for value in (0.0, 1.0):
            count = (y == value).sum()
            if count:
                w[y == value] = 1.0 / (len(parts) * classes * count)
        xs.append(matrix(read.fit, index, shape, direction))
        ys.append(y)
        ws.append(w)
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (x - mean) / scale
    lexical = 0 if shape.startswith("embedding") else len(FEATURES)
    penalty = np.full(x.shape[1], float(shape.split(":")[1]) if ":" in shape else L2_FEATURES)
    penalty[:lexical] = L2_FEATURES

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = np.clip(standard @ beta[1:] + beta[0], -40, 40)
        p = 1 / (1 + np.exp(-z))
        value = -float((w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum())
        value += float((penalty * beta[1:] ** 2).sum())
        error = w * (p - y)
        grad = np.concatenate([[error.sum()], standard.T @ error + 2 * penalty * beta[1:]])
        return value, grad

    result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
    raw = result.x[1:] / scale
    intercept = float(result.x[0] - (raw * mean).sum())
    weights = {name: float(v) for name, v in zip(FEATURES[:lexical], raw[:lexical], strict=True)}
    rest = raw[lexical:]
    if shape == "prototype":
        rest = rest[0] * direction
    fitted = Head(intercept, weights, tuple(float(v) for v in rest), 0.5, variant)
    if mode == "fixed":
        return fitted
    threshold = choose_threshold(fitted, sets, head)
    return Head(intercept, weights, fitted.embedding, threshold, variant)


def probabilities(head: Head, split: Split, index: np.ndarray) -> np.ndarray:
    """`Head.probability` for many rows at once."""
    weights = np.array([head.weights.get(name, 0.0) for name in FEATURES])
    z = head.intercept + split.lexical[index] @ weights
    if head.embedding:
        z = z + split.embedding[index] @ np.array(head.embedding)
    return np.asarray(1 / (1 + np.exp(-np.clip(z, -50, 50))))


def choose_threshold(head: Head, sets: Sequence[Read], name: str) -> float:
    scored = []
    for read in sets:
        index, gold = read.fit.judged(name)
        if len(index):
            scored.append((probabilities(head, read.fit, index), gold))

    def objective(t: float) -> float:
        f1s, alarms = [], []
        for p, gold in scored:
            s = Score.of(p >= t, gold)
            if s.positives >= MIN_POSITIVES:
                f1s.append(s.f1)
            else:
                alarms.append(s.false_alarms)
        return float(np.mean(f1s) if f1s else 0.0) - float(np.mean(alarms) if alarms else 0.0)

    return float(max(THRESHOLDS, key=objective))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @classmethod
    def of(cls, predicted: np.ndarray, gold: np.ndarray) -> Score:
        return cls(
            int((predicted & gold).sum()),
            int((predicted & ~gold).sum()),
            int((~predicted & gold).sum()),
            int((~predicted & ~gold).sum()),
        )

    def add(self, predicted: bool, gold: bool) -> None:
        self.tp += predicted and gold
        self.fp += predicted and not gold
        self.fn += gold and not predicted
        self.tn += not predicted and not gold

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else float("nan")

    @property
    def false_alarms(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def fit_bands(sets: Sequence[Read]) -> dict[str, Band]:
    """Where ordinary enquiries' similarity to the legal and press prototypes ends."""
    sims = [prototype_similarity(s.embedding) for r in sets for _, s in r.fit.items]
    bands = {}
    for name in PROTOTYPES:
        values = np.array([sim[name] for sim in sims])
        low, high = np.percentile(values, 99), np.percentile(values, 99.9)
        bands[name] = Band(round(float(low), 4), round(float(max(high, low + 0.01)), 4))
    return bands


def fit_model(sets: Sequence[Read], variants: dict[str, str]) -> PriorityModel:
    heads = {head: fit_head(sets, head, variants[head]) for head in HEADS}
    return PriorityModel(heads, fit_bands(sets), tuple(r.family for r in sets))


def held_out_models(sets: Sequence[Read], variants: dict[str, str]) -> dict[str, PriorityModel]:
    """Per data set, the model fitted on all the others."""
    return {r.family: fit_model([o for o in sets if o is not r], variants) for r in sets}


def choose_variants(sets: Sequence[Read]) -> dict[str, str]:
    """Per head, the variant with the best mean held-out F1; prints every variant's figures."""
    chosen: dict[str, str] = {}
    for head in HEADS:
        rows: list[list[object]] = []
        means: dict[str, list[float]] = {}
        for shape in SHAPES:
            for held in sets:
                index, gold = held.report.judged(head)
                if not len(index):
                    continue
                fitted = fit_head([o for o in sets if o is not held], head, f"{shape}+tuned")
                p = probabilities(fitted, held.report, index)
                for mode, t in (("tuned", fitted.threshold), ("fixed", 0.5)):
                    s = Score.of(p >= t, gold)
                    if s.positives >= MIN_POSITIVES:
                        means.setdefault(f"{shape}+{mode}", []).append(s.f1)
                    rows.append(
                        [
                            f"{shape}+{mode}",
                            held.family,
                            f"{s.positives}/{len(index)}",
                            s.precision,
                            s.recall,
                            s.false_alarms,
                            s.f1,
                            t,
                        ]
                    )
        mean = {variant: float(np.mean(f1s)) for variant, f1s in means.items()}
        # On a tie (within 0.005) the fixed threshold wins: one fitted number fewer.
        chosen[head] = max(mean, key=lambda v: (round(mean[v] / 0.005), v.endswith("fixed")))
        rows.sort(key=lambda row: (row[0] != chosen[head], str(row[0])))
        table(
            f"head {head}: each set held out (fit on the others); mean held-out F1: "
            + ", ".join(f"{v} {m:.3f}" for v, m in sorted(mean.items(), key=lambda i: -i[1]))
            + f" -> {chosen[head]}",
            ["variant", "held-out set", "gold+/n", "P", "R", "FA", "F1", "threshold"],
            rows,
        )
    return chosen


def read_all() -> list[Read]:
    return [read for family in FAMILIES if (read := read_family(family)) is not None]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="store the all-set fit")
    args = parser.parse_args(argv)
    sets = read_all()
    sizes = ", ".join(f"{r.family} ({len(r.fit.items)}/{len(r.report.items)})" for r in sets)
    console.print(f"sets (fit/report rows): {sizes}")
    variants = choose_variants(sets)
    model = fit_model(sets, variants)
    console.print(f"variants: {variants}; bands: {dict(model.bands)}")
    if args.write:
        MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        console.print(f"wrote {MODEL_FILE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

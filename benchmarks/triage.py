"""Triage and the no-reply decision on public data, next to the fixed-phrase lexicon.

For each label, precision / recall / false-alarm rate (false positives among the texts that
should not get the label) of the contextual triage (`triage(text)`, the default) beside the
baseline measured in the same run, the fixed-phrase lexicon alone (`triage(text,
context=False)`, the label regexes as they were before the contextual reading). "No reply"
is `reply_needed(...)` returning a reason or triage calling the text spam; its baseline is
lexicon spam, the only way a post got no draft before.

Gold is approximate, the data sets were labelled for other tasks:

- GermEval 2017 trial (100 German posts about Deutsche Bahn): complaint ~ sentiment negative,
  praise ~ positive, no reply ~ relevance false (off-topic posts; many on-topic posts need no
  reply either, news and retweets above all, so no-reply "false alarms" there are mostly not
  errors). Company handles DB_Bahn, DB_Info; names "Deutsche Bahn", "DB Bahn";
- GermEval 2018 (German tweets, mostly politics): abusive ~ OFFENSE. Training split: rules
  developed on it; test split: held out, never looked at while writing rules;
- Bitext customer support (English): complaint ~ intent `complaint`; every row is a harmless
  customer request, so any safety or legal_threat label is a false alarm;
- BANKING77 test, CLINC150 test and out-of-scope test (English questions): harmless, so any
  safety, legal_threat, complaint or no-reply is a false alarm (complaint only roughly:
  "my card doesn't work" is a complaint of sorts).

The rules were written on GermEval 2017 trial and GermEval 2018 training only; every other
figure is held out, with one exception: after the first held-out run, "news" stopped firing on
questions written without a question mark (CLINC150 "how busy is the cafe at 7:00"), so the
CLINC150 no-reply rate is no longer strictly held out.

Usage (from the repo root):
    .venv/bin/python benchmarks/triage.py
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import console, dataset, table  # noqa: E402

from bot.drafting.reply_needed import reply_needed  # noqa: E402
from bot.drafting.triage import Label, Triage, triage  # noqa: E402

DB_HANDLES = ("DB_Bahn", "DB_Info")
DB_NAMES = ("Deutsche Bahn", "DB Bahn")
NO_REPLY = "no reply"


@dataclass(frozen=True)
class Post:
    """One text with the gold answers it has ("complaint": True, "praise": False, ...)."""

    text: str
    gold: dict[str, bool]


# The labels of one text under one reading, plus NO_REPLY when it would get no draft.
Reader = Callable[[str], frozenset[str]]


def contextual(handles: Sequence[str] = (), names: Sequence[str] = ()) -> Reader:
    def read(text: str) -> frozenset[str]:
        found = triage(text)
        reason = reply_needed(text, company_handles=handles, company_names=names)
        return frozenset(_names(found) | ({NO_REPLY} if reason or found.is_spam else set()))

    return read


def lexicon_only(text: str) -> frozenset[str]:
    found = triage(text, context=False)
    return frozenset(_names(found) | ({NO_REPLY} if found.is_spam else set()))


def _names(found: Triage) -> set[str]:
    return {label.value for label in found.labels}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, gold: bool) -> None:
        if predicted and gold:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def false_alarms(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")


def report(title: str, posts: Sequence[Post], readers: dict[str, Reader]) -> None:
    """One table: per gold label, precision / recall / false alarms of each reader."""
    labels = sorted({name for post in posts for name in post.gold})
    readings = {name: [read(post.text) for post in posts] for name, read in readers.items()}
    rows: list[list[object]] = []
    for label in labels:
        judged = [(i, post.gold[label]) for i, post in enumerate(posts) if label in post.gold]
        positives = sum(gold for _, gold in judged)
        row: list[object] = [label, f"{positives}/{len(judged)}"]
        for reader in readers:
            score = Score()
            for i, gold in judged:
                score.add(label in readings[reader][i], gold)
            row += [score.precision, score.recall, score.false_alarms]
        rows.append(row)
    columns = ["label", "gold+/n"]
    for reader in readers:
        columns += [f"P {reader}", f"R {reader}", f"FA {reader}"]
    table(title, columns, rows)


def readers(handles: Sequence[str] = (), names: Sequence[str] = ()) -> dict[str, Reader]:
    return {"context": contextual(handles, names), "lexicon": lexicon_only}


def germeval2017() -> None:
    folder = dataset("germeval2017_db_social_de_trial", "trial.tsv")
    if folder is None:
        return
    posts: list[Post] = []
    reasons: Counter[str] = Counter()
    with (folder / "trial.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            text, relevant, sentiment = row[1], row[2] == "true", row[3]
            gold = {
                Label.COMPLAINT.value: sentiment == "negative",
                Label.PRAISE.value: sentiment == "positive",
                NO_REPLY: not relevant,
            }
            posts.append(Post(text, gold))
            reason = reply_needed(text, company_handles=DB_HANDLES, company_names=DB_NAMES)
            reasons[f"{reason or 'reply due'} ({'relevant' if relevant else 'off-topic'})"] += 1
    report(
        "GermEval 2017 trial (development set): complaint ~ negative, praise ~ positive, "
        "no reply ~ relevance false",
        posts,
        readers(DB_HANDLES, DB_NAMES),
    )
    table(
        "GermEval 2017 trial: reply_needed reasons by relevance",
        ["reason", "posts"],
        sorted(reasons.items()),
    )


def germeval2018() -> None:
    files = {"training": "germeval2018.training.txt", "test": "germeval2018.test.txt"}
    folder = dataset("germeval2018_offensive_de", *files.values())
    if folder is None:
        return
    for split, name in files.items():
        posts = []
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            text, coarse, _fine = line.split("\t")
            posts.append(Post(text.replace("|LBR|", "\n"), {"abusive": coarse == "OFFENSE"}))
        role = "development set" if split == "training" else "HELD OUT, never used to write rules"
        report(f"GermEval 2018 {split} ({role}): abusive ~ OFFENSE", posts, readers())


def bitext() -> None:
    name = "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    folder = dataset("bitext_customer_support_en", name)
    if folder is None:
        return
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        rows = [(r["instruction"], r["intent"]) for r in csv.DictReader(handle)]
    posts = [
        Post(
            text,
            {
                Label.COMPLAINT.value: intent == "complaint",
                Label.SAFETY.value: False,
                Label.LEGAL_THREAT.value: False,
                NO_REPLY: False,
            },
        )
        for text, intent in rows
    ]
    report(
        "Bitext customer support (held out): complaint ~ intent complaint; safety, "
        "legal_threat and no reply are all false alarms",
        posts,
        readers(),
    )


def harmless_questions() -> None:
    texts: dict[str, list[str]] = {}
    banking = dataset("banking77_en", "test.csv")
    if banking is not None:
        with (banking / "test.csv").open(encoding="utf-8", newline="") as handle:
            texts["BANKING77 test"] = [row["text"] for row in csv.DictReader(handle)]
    clinc = dataset("clinc150_oos_en", "data_full.json")
    if clinc is not None:
        data = json.loads((clinc / "data_full.json").read_text(encoding="utf-8"))
        texts["CLINC150 test"] = [text for text, _ in data["test"]]
        texts["CLINC150 out-of-scope test"] = [text for text, _ in data["oos_test"]]
    alarms = (Label.SAFETY.value, Label.LEGAL_THREAT.value, Label.COMPLAINT.value, NO_REPLY)
    rows: list[list[object]] = []
    for name, sample in texts.items():
        read = {reader: [fn(text) for text in sample] for reader, fn in readers().items()}
        for label in alarms:
            rows.append([name, label, len(sample), *(_share(read[r], label) for r in read)])
    table(
        "Harmless questions (held out): false-alarm rate per label",
        ["set", "label", "n", "FA context", "FA lexicon"],
        rows,
    )


def _share(readings: Iterable[frozenset[str]], label: str) -> float:
    flags = [label in reading for reading in readings]
    return sum(flags) / len(flags) if flags else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.parse_args(argv)
    console.print(
        "Rules developed on GermEval 2017 trial and GermEval 2018 training only; "
        "GermEval 2018 test, Bitext, BANKING77 and CLINC150 are held out. "
        "P precision, R recall, FA false-alarm rate; 'lexicon' = fixed phrases alone."
    )
    germeval2017()
    germeval2018()
    bitext()
    harmless_questions()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

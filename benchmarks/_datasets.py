"""The shared data sets as FAQ corpora: entries, and questions with the entries that answer them.

Read in place from the shared data folder (see `_common.datasets_dir`), never copied. Each
corpus belongs to a family; fitting leaves one family out at a time (benchmarks/fit_scoring.py).

- xquad: Wikipedia paragraphs as entries (answer text only), parallel German/English
  questions, in all four directions;
- stackfaq: 125 FAQ threads, 1,375 paraphrased questions;
- banking77 / clinc150 / bitext: intents as entries (the intent name as the question, ten
  training messages as alternate phrasings, Bitext's reference reply as the answer), test
  messages as questions; CLINC150's out-of-scope questions have no answering entry;
- sample: the shipped knowledge with our own paraphrases (reported, never fitted on).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass

from _common import (
    SAMPLE_KNOWLEDGE,
    SAMPLE_PARAPHRASES,
    console,
    dataset,
    make_entry,
    subsample,
)

from bot.faq.files import load_knowledge
from bot.models import FaqEntry, Language

ANSWER_CHARS = 1500
PHRASINGS_PER_INTENT = 10


@dataclass(frozen=True)
class Query:
    text: str
    language: Language
    gold: frozenset[str]  # empty: no entry answers it (out of scope)


@dataclass
class Corpus:
    """Entries indexed once, queried by one or more query sets (e.g. two XQuAD directions)."""

    name: str
    family: str
    entries: list[FaqEntry]
    query_sets: dict[str, list[Query]]
    grouped: bool = False  # rank with search() (translation groups) instead of rank()


def xquad_corpora(limit: int | None) -> list[Corpus]:
    folder = dataset("xquad_de_en_crosslingual", "xquad.de.json", "xquad.en.json")
    if folder is None:
        return []
    paragraphs: dict[Language, list[str]] = {}
    questions: dict[Language, list[tuple[str, str]]] = {}  # (qas id, question)
    where: dict[Language, dict[str, int]] = {}  # qas id -> paragraph index
    for language in (Language.DE, Language.EN):
        data = json.loads((folder / f"xquad.{language.value}.json").read_text(encoding="utf-8"))
        paragraphs[language], questions[language], where[language] = [], [], {}
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                index = len(paragraphs[language])
                paragraphs[language].append(paragraph["context"])
                for qa in paragraph["qas"]:
                    questions[language].append((qa["id"], qa["question"]))
                    where[language][qa["id"]] = index
    corpora = []
    for target in (Language.DE, Language.EN):
        entries = [
            make_entry(f"xq-{target.value}-{i:03d}", "", text, target)
            for i, text in enumerate(paragraphs[target])
        ]
        query_sets = {}
        for source in (Language.DE, Language.EN):
            queries = [
                Query(text, source, frozenset({f"xq-{target.value}-{where[target][qid]:03d}"}))
                for qid, text in questions[source]
                if qid in where[target]
            ]
            query_sets[f"{source.value}→{target.value}"] = subsample(queries, limit)
        corpora.append(Corpus(f"xquad (index: {target.value})", "xquad", entries, query_sets))
    return corpora


def stackfaq_corpus(limit: int | None) -> list[Corpus]:
    folder = dataset("stackfaq_en", "stackExchange-FAQ.json")
    if folder is None:
        return []
    data = json.loads((folder / "stackExchange-FAQ.json").read_text(encoding="utf-8"))
    entries, queries = [], []
    for index, pair in enumerate(data["root"]["qapair"]):
        answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
        answer = " ".join(str(answers[0]).split())[:ANSWER_CHARS]
        entry_id = f"sf-{index:03d}"
        entries.append(make_entry(entry_id, str(pair["question"]).strip(), answer, Language.EN))
        for text in pair.get("rephr") or []:
            if isinstance(text, str) and text.strip() and text.strip() != "*":
                queries.append(Query(text.strip(), Language.EN, frozenset({entry_id})))
    return [Corpus("stackfaq_en", "stackfaq", entries, {"en→en": subsample(queries, limit)})]


def humanise(intent: str) -> str:
    return intent.replace("_", " ")


def banking_corpus(limit: int | None) -> list[Corpus]:
    folder = dataset("banking77_en", "train.csv", "test.csv")
    if folder is None:
        return []

    def rows(name: str) -> list[tuple[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return [(row["text"].strip(), row["category"]) for row in csv.DictReader(handle)]

    train: dict[str, list[str]] = {}
    for text, intent in rows("train.csv"):
        train.setdefault(intent, []).append(text)
    entries = [
        make_entry(
            f"b77-{intent}",
            humanise(intent),
            humanise(intent),
            Language.EN,
            texts[:PHRASINGS_PER_INTENT],
        )
        for intent, texts in train.items()
    ]
    queries = [
        Query(text, Language.EN, frozenset({f"b77-{intent}"})) for text, intent in rows("test.csv")
    ]
    return [Corpus("banking77_en", "banking77", entries, {"en→en": subsample(queries, limit)})]


def sample_corpus(limit: int | None) -> list[Corpus]:
    for path in (SAMPLE_KNOWLEDGE, SAMPLE_PARAPHRASES):
        if not path.exists():
            console.print(f"[yellow]skipped: {path} not found[/yellow]")
            return []
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    by_id = knowledge.by_id()
    queries, cross = [], []
    for line in SAMPLE_PARAPHRASES.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        query = Query(raw["text"], Language(raw["language"]), frozenset(raw["gold"]))
        queries.append(query)
        languages = {by_id[g].language for g in query.gold if g in by_id}
        if languages and query.language not in languages:
            cross.append(query)
    sets = {"all": subsample(queries, limit), "cross-language": subsample(cross, limit)}
    return [Corpus("sample knowledge", "sample", list(knowledge.entries), sets, grouped=True)]


def clinc_corpus(limit: int | None) -> list[Corpus]:
    folder = dataset("clinc150_oos_en", "data_full.json")
    if folder is None:
        return []
    data = json.loads((folder / "data_full.json").read_text(encoding="utf-8"))
    train: dict[str, list[str]] = {}
    for text, intent in data["train"]:
        train.setdefault(intent, []).append(text)
    entries = [
        make_entry(
            f"clinc-{intent}",
            humanise(intent),
            humanise(intent),
            Language.EN,
            texts[:PHRASINGS_PER_INTENT],
        )
        for intent, texts in train.items()
    ]
    in_scope = [Query(t, Language.EN, frozenset({f"clinc-{i}"})) for t, i in data["test"]]
    out_of_scope = [Query(text, Language.EN, frozenset()) for text, _ in data["oos_test"]]
    sets = {
        "in scope": subsample(in_scope, limit),
        "out of scope": subsample(out_of_scope, limit),
    }
    return [Corpus("clinc150_oos_en", "clinc150", entries, sets)]


def bitext_corpus(limit: int | None) -> list[Corpus]:
    name = "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    folder = dataset("bitext_customer_support_en", name)
    if folder is None:
        return []
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        rows = [
            (r["instruction"].strip(), r["intent"], r["response"]) for r in csv.DictReader(handle)
        ]
    by_intent: dict[str, list[tuple[str, str]]] = {}
    for text, intent, response in rows:
        by_intent.setdefault(intent, []).append((text, response))
    entries, queries = [], []
    for intent, items in by_intent.items():
        phrasings = [text for text, _ in items[:PHRASINGS_PER_INTENT]]
        answer = " ".join(items[0][1].split())[:ANSWER_CHARS]
        entries.append(
            make_entry(f"bitext-{intent}", humanise(intent), answer, Language.EN, phrasings)
        )
        queries += [
            Query(text, Language.EN, frozenset({f"bitext-{intent}"}))
            for text, _ in items[PHRASINGS_PER_INTENT:]
        ]
    return [Corpus("bitext_en", "bitext", entries, {"en→en": subsample(queries, limit)})]


def all_corpora(limit: int | None, banking_limit: int | None = None) -> list[Corpus]:
    """Every shared corpus and the sample, `limit` questions per set at most."""
    return [
        *xquad_corpora(limit),
        *stackfaq_corpus(limit),
        *banking_corpus(banking_limit if banking_limit is not None else limit),
        *clinc_corpus(limit),
        *bitext_corpus(limit),
        *sample_corpus(limit),
    ]

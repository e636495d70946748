"""Latency, indexing throughput and memory of ReplyDesk, each next to a baseline.

- Warm latency per enquiry (p50/p95 over the 40 sample enquiries repeated to >= 500 calls):
  retrieve (language detection + Retriever.search, hybrid) and draft
  (bot.drafting.draft_reply with the OfflineDrafter); baselines: a BM25-only retrieve
  (RetrievalMode.LEXICAL) and a bare embed_query.
- Indexing throughput (entries/s, texts/s) of a cold index (fresh temp dir each run) of the
  sample knowledge and of 2,000 synthetic entries built from BANKING77 questions and StackFAQ
  answers; baseline: embed_documents of the same texts alone, so Chroma's share shows.
- Unchanged re-index: open_knowledge of the sample knowledge a second time (model loaded).
- Peak RSS (ru_maxrss) of a serving process that loaded the model, opened the (already built)
  index and drafted 100 replies, measured in a fresh subprocess.

Every figure is the median of several repetitions (the machine is shared).

Usage (from the repo root):
    .venv/bin/python benchmarks/latency.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SAMPLE_ENQUIRIES,
    SAMPLE_KNOWLEDGE,
    benchmark_settings,
    console,
    dataset,
    make_entry,
    median,
    percentile,
    table,
    temp_dir,
    temp_index,
)

from bot.drafting.language import detect_language  # noqa: E402
from bot.drafting.offline import OfflineDrafter  # noqa: E402
from bot.drafting.pipeline import DraftingContext, draft_reply  # noqa: E402
from bot.faq.embedders import Embedder, UseEmbedder  # noqa: E402
from bot.faq.files import load_knowledge  # noqa: E402
from bot.faq.indexing import records_for  # noqa: E402
from bot.faq.retrieval import Retriever  # noqa: E402
from bot.faq.vector_store import ChromaVectorStore  # noqa: E402
from bot.models import Channel, EmbeddingModel, FaqEntry, Language, RetrievalMode  # noqa: E402
from bot.wiring import embedder_for_model, open_knowledge  # noqa: E402

MIN_CALLS = 500
SYNTHETIC_ENTRIES = 2000
SERVING_DRAFTS = 100
TARGET_DRAFT_P95_MS = 15.0
TARGET_ENTRIES_PER_S = 500.0
TARGET_REINDEX_S = 1.0
TARGET_RSS_MB = 600.0


def load_enquiries() -> list[dict[str, str]]:
    return [
        json.loads(line)
        for line in SAMPLE_ENQUIRIES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# ---------------------------------------------------------------------------- warm latency


class MemoryReport(TypedDict):
    """What a `--child-index` or `--child-serve` process prints (JSON, last line)."""

    peak_mb: float
    hwm_mb: float
    marks: dict[str, float]
    open_seconds: float
    embedded: int


class RetrieveReport(TypedDict):
    """What a `--child-retrieve-*` process prints (JSON, last line): warm retrieve, ms."""

    p50: float
    p95: float


def calls_with(call: Callable[[str], object], texts: Sequence[str]) -> list[Callable[[], object]]:
    """One argument-free call of `call` per text."""
    return [functools.partial(call, text) for text in texts]


def time_calls(calls: Sequence[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


async def time_drafts(context: DraftingContext, enquiries: Sequence[dict[str, str]]) -> list[float]:
    samples = []
    for raw in enquiries:
        started = time.perf_counter()
        await draft_reply(context, raw["text"], Channel(raw["channel"]), raw.get("author_name"))
        samples.append(time.perf_counter() - started)
    return samples


def warm_latency(repeats: int, min_calls: int) -> dict[str, tuple[float, float]]:
    enquiries = load_enquiries()
    rounds = -(-min_calls // len(enquiries))
    workload = enquiries * rounds
    with temp_dir() as root:
        settings = benchmark_settings(root)
        embedder = embedder_for_model(settings.embedding_model)
        opened = open_knowledge(settings, SAMPLE_KNOWLEDGE, embedder=embedder)
        hybrid = opened.retriever
        lexical = Retriever(hybrid.entries, hybrid.store, embedder, mode=RetrievalMode.LEXICAL)
        context = DraftingContext(
            retriever=hybrid,
            guidelines=opened.knowledge.guidelines,
            drafter=OfflineDrafter(),
            answer_threshold=settings.answer_threshold,
        )

        store = hybrid.store
        if not isinstance(store, ChromaVectorStore):
            raise TypeError(f"expected the embedded Chroma index, got {type(store).__name__}")
        matrix = store.stored_vectors().matrix
        texts = [raw["text"] for raw in workload]

        def retrieve_with(retriever: Retriever) -> Callable[[str], object]:
            def retrieve(text: str) -> object:
                return retriever.search(text, detect_language(text).language, k=5)

            return retrieve

        def exact_cosine(text: str) -> object:
            return _numpy_nearest(matrix, embedder.embed_query(text))

        methods: dict[str, Callable[[], list[float]]] = {
            "retrieve (hybrid: detect + search k=5)": lambda: time_calls(
                calls_with(retrieve_with(hybrid), texts)
            ),
            "draft (draft_reply, OfflineDrafter)": lambda: asyncio.run(
                time_drafts(context, workload)
            ),
            "baseline: retrieve BM25-only (LEXICAL)": lambda: time_calls(
                calls_with(retrieve_with(lexical), texts)
            ),
            "baseline: embed_query + exact numpy cosine over all stored vectors": lambda: (
                time_calls(calls_with(exact_cosine, texts))
            ),
            "baseline: bare embed_query (USE)": lambda: time_calls(
                calls_with(embedder.embed_query, texts)
            ),
            "baseline: detect_language alone": lambda: time_calls(
                calls_with(detect_language, texts)
            ),
        }
        for run in methods.values():  # warm-up: caches, lazy model loads, onnx arenas
            run()
        p50s: dict[str, list[float]] = {name: [] for name in methods}
        p95s: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(repeats):
            for name, run in methods.items():  # interleaved, so load spikes hit all alike
                samples = run()
                p50s[name].append(percentile(samples, 50) * 1000)
                p95s[name].append(percentile(samples, 95) * 1000)
        rows = [
            [
                name,
                median(p50s[name]),
                median(p95s[name]),
                f"{min(p95s[name]):.2f}–{max(p95s[name]):.2f}",
                len(workload),
            ]
            for name in methods
        ]
        table(
            f"warm latency per call, ms (median of {repeats} runs of {len(workload)} calls)",
            ["what", "p50", "p95", "p95 range", "calls/run"],
            rows,
        )
        return {name: (median(p50s[name]), median(p95s[name])) for name in methods}


def _numpy_nearest(matrix: np.ndarray, vector: np.ndarray, limit: int = 64) -> np.ndarray:
    # einsum, not `@`: BLAS threads fight onnxruntime's spinning threads on 2 cores (a matmul
    # right after an embed_query then takes ~15 ms instead of ~0.02 ms).
    similarities: np.ndarray = np.einsum("ij,j->i", matrix, vector)
    top = np.argpartition(-similarities, min(limit, len(similarities) - 1))[:limit]
    nearest: np.ndarray = top[np.argsort(-similarities[top])]
    return nearest


# ---------------------------------------------------------------------------- indexing


def synthetic_entries(count: int) -> list[FaqEntry] | None:
    banking = dataset("banking77_en", "train.csv")
    stackfaq = dataset("stackfaq_en", "stackExchange-FAQ.json")
    if banking is None or stackfaq is None:
        return None
    with (banking / "train.csv").open(encoding="utf-8", newline="") as handle:
        questions = [row["text"].strip() for row in csv.DictReader(handle)]
    data = json.loads((stackfaq / "stackExchange-FAQ.json").read_text(encoding="utf-8"))
    answers = []
    for pair in data["root"]["qapair"]:
        first = pair["answer"][0] if isinstance(pair["answer"], list) else pair["answer"]
        words = " ".join(str(first).split())[:500].rsplit(" ", 1)[0]
        answers.append(words)
    entries = []
    for i in range(count):
        phrasings = [questions[(4 * i + j) % len(questions)] for j in range(4)]
        entries.append(
            make_entry(
                f"syn-{i:05d}", phrasings[0], answers[i % len(answers)], Language.EN, phrasings[1:]
            )
        )
    return entries


def indexing(
    entries: Sequence[FaqEntry], embedder: Embedder, label: str, repeats: int
) -> dict[str, float]:
    records = [record for entry in entries for record in records_for(entry)]
    texts = [record.text for record in records]
    embed_seconds, index_seconds, add_seconds, quiet_seconds = [], [], [], []
    spinning = UseEmbedder(spinning=True)
    vectors = None
    for _ in range(repeats):
        started = time.perf_counter()
        spinning.embed_documents(texts)
        quiet_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        vectors = embedder.embed_documents(texts)
        embed_seconds.append(time.perf_counter() - started)
        with temp_index(entries, embedder, label) as (_, report):
            index_seconds.append(report.seconds)
        # Chroma alone: the same records and vectors, in sync_index's batches of ~256 texts.
        with temp_index([], embedder, label) as (store, _):
            started = time.perf_counter()
            for start in range(0, len(records), 256):
                store.add(records[start : start + 256], vectors[start : start + 256])
            add_seconds.append(time.perf_counter() - started)
    embed_s, index_s, add_s = median(embed_seconds), median(index_seconds), median(add_seconds)
    quiet_s = median(quiet_seconds)
    n = len(entries)
    table(
        f"cold indexing — {label}: {n} entries, {len(texts)} texts ({len(texts) / n:.1f}/entry); "
        f"median of {repeats}",
        ["what", "seconds", "entries/s", "texts/s"],
        [
            [
                "sync_index into a fresh Chroma (real path)",
                index_s,
                n / index_s,
                len(texts) / index_s,
            ],
            ["baseline: embed_documents alone", embed_s, n / embed_s, len(texts) / embed_s],
            ["baseline: Chroma add alone (vectors given)", add_s, n / add_s, len(texts) / add_s],
            [
                "experiment: embed_documents, threads spinning",
                quiet_s,
                n / quiet_s,
                len(texts) / quiet_s,
            ],
            [
                "→ share of the run not spent embedding",
                index_s - embed_s,
                "",
                f"{(index_s - embed_s) / index_s:.0%}",
            ],
        ],
    )
    return {"entries_per_s": n / index_s, "seconds": index_s}


def unchanged_reindex(embedder: Embedder, repeats: int) -> dict[str, float]:
    with temp_dir() as root:
        settings = benchmark_settings(root)
        started = time.perf_counter()
        first = open_knowledge(settings, SAMPLE_KNOWLEDGE, embedder=embedder)
        cold = time.perf_counter() - started
        totals, syncs = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            again = open_knowledge(settings, SAMPLE_KNOWLEDGE, embedder=embedder)
            totals.append(time.perf_counter() - started)
            syncs.append(again.report.seconds)
            assert again.report.unchanged == len(first.knowledge.entries), again.report
            assert again.report.texts_embedded == 0
        started = time.perf_counter()
        load_knowledge(SAMPLE_KNOWLEDGE)
        read_files = time.perf_counter() - started
    table(
        f"open_knowledge of the sample knowledge ({len(first.knowledge.entries)} entries), seconds",
        ["what", "seconds"],
        [
            ["first open, cold index (model already loaded)", cold],
            [f"unchanged re-open, total (median of {repeats})", median(totals)],
            ["  of which sync_index (IndexReport.seconds)", median(syncs)],
            ["  baseline: load_knowledge (read + parse files) alone", read_files],
        ],
    )
    return {"reindex_s": median(totals)}


# ---------------------------------------------------------------------------- memory


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(mode: str, data_dir: Path) -> None:
    """Run in a subprocess: `index` builds the index; `serve` loads, opens and drafts;
    `retrieve-default` / `retrieve-spinning` time warm retrieves (spinning experiment)."""
    marks = {"after imports": _vm("VmRSS")}
    settings = benchmark_settings(data_dir)
    started = time.perf_counter()
    embedder: Embedder = (
        UseEmbedder(spinning=True)
        if mode == "retrieve-spinning"
        else embedder_for_model(settings.embedding_model)
    )
    marks["after model load"] = _vm("VmRSS")
    opened = open_knowledge(settings, SAMPLE_KNOWLEDGE, embedder=embedder)
    open_seconds = time.perf_counter() - started
    marks["after index open"] = _vm("VmRSS")
    if mode.startswith("retrieve"):
        enquiries = load_enquiries()
        workload = enquiries * -(-MIN_CALLS // len(enquiries))
        retriever = opened.retriever

        def retrieve(text: str) -> object:
            return retriever.search(text, detect_language(text).language, k=5)

        calls = calls_with(retrieve, [raw["text"] for raw in workload])
        time_calls(calls)  # warm-up
        samples = time_calls(calls)
        timing: RetrieveReport = {
            "p50": percentile(samples, 50) * 1000,
            "p95": percentile(samples, 95) * 1000,
        }
        print(json.dumps(timing))
        return
    if mode == "serve":
        context = DraftingContext(
            retriever=opened.retriever,
            guidelines=opened.knowledge.guidelines,
            drafter=OfflineDrafter(),
            answer_threshold=settings.answer_threshold,
        )
        enquiries = load_enquiries()
        workload = (enquiries * (SERVING_DRAFTS // len(enquiries) + 1))[:SERVING_DRAFTS]
        asyncio.run(time_drafts(context, workload))
        marks[f"after {SERVING_DRAFTS} drafts"] = _vm("VmRSS")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    report: MemoryReport = {
        "peak_mb": peak_mb,
        "hwm_mb": _vm("VmHWM"),
        "marks": marks,
        "open_seconds": open_seconds,
        "embedded": opened.report.texts_embedded,
    }
    print(json.dumps(report))


def run_child(mode: str, data_dir: Path) -> str:
    """Run this script in `--child-{mode}` in a fresh process; return its last output line."""
    script = Path(__file__).resolve()
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script), f"--child-{mode}", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def memory_child(mode: str, data_dir: Path) -> MemoryReport:
    """Run an `index` or `serve` child; its memory figures."""
    report: MemoryReport = json.loads(run_child(mode, data_dir))
    return report


def retrieve_child(mode: str, data_dir: Path) -> RetrieveReport:
    """Run a `retrieve-default` or `retrieve-spinning` child; its warm retrieve timings."""
    timing: RetrieveReport = json.loads(run_child(mode, data_dir))
    return timing


def baseline_rss() -> float:
    code = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    return float(out.stdout.strip())


def memory(repeats: int) -> dict[str, float]:
    with temp_dir() as root:
        indexer = memory_child("index", root)
        serves = [memory_child("serve", root) for _ in range(repeats)]
    assert all(s["embedded"] == 0 for s in serves)
    peak = median([s["peak_mb"] for s in serves])
    bare = baseline_rss()
    rows: list[list[object]] = [
        [f"serving process peak RSS (ru_maxrss), median of {repeats}", peak],
        ["  same, VmHWM (peak of this process image only)", median([s["hwm_mb"] for s in serves])],
        *[
            [f"  VmRSS {mark}", median([s["marks"][mark] for s in serves])]
            for mark in serves[0]["marks"]
        ],
        ["indexing process peak RSS (cold index of the sample)", indexer["peak_mb"]],
        ["baseline: bare python interpreter peak RSS", bare],
    ]
    table("memory, MB", ["what", "MB"], rows)
    console.print(
        f"  serving process from start to opened index: "
        f"{median([s['open_seconds'] for s in serves]):.2f} s (model load + unchanged sync); "
        f"parent RSS when the children were forked: {_vm('VmRSS'):.0f} MB (Linux carries a "
        "forked parent's peak into a child's ru_maxrss, so this section runs first)",
        style="dim",
    )
    return {"rss_mb": peak}


def spinning_experiment(repeats: int) -> None:
    """Warm retrieve in fresh processes: the bot's UseEmbedder against onnxruntime's default
    of spinning idle threads (alternating, so load changes hit both alike)."""
    results: dict[str, list[RetrieveReport]] = {"retrieve-default": [], "retrieve-spinning": []}
    with temp_dir() as root:
        memory_child("index", root)
        for _ in range(repeats):
            for mode in results:
                results[mode].append(retrieve_child(mode, root))
    table(
        f"experiment: warm retrieve in separate processes, ms (median of {repeats} processes "
        f"× {MIN_CALLS}+ calls)",
        ["embedder", "p50", "p95"],
        [
            [
                "UseEmbedder as in bot/ (allow_spinning = 0)"
                if mode == "retrieve-default"
                else "baseline: onnxruntime default (idle threads spin)",
                median([r["p50"] for r in runs]),
                median([r["p95"] for r in runs]),
            ]
            for mode, runs in results.items()
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--child-index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-retrieve-default", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-retrieve-spinning", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for mode in ("index", "serve", "retrieve-default", "retrieve-spinning"):
        folder = getattr(args, "child_" + mode.replace("-", "_"))
        if folder:
            child(mode, folder)
            return 0
    if not SAMPLE_ENQUIRIES.exists() or not SAMPLE_KNOWLEDGE.exists():
        console.print(
            f"[yellow]skipped: {SAMPLE_ENQUIRIES} or {SAMPLE_KNOWLEDGE} not found[/yellow]"
        )
        return 0
    started = time.perf_counter()
    repeats = 1 if args.quick else 3
    # Memory first: the children's ru_maxrss starts at this process's RSS when forked.
    rss = memory(1 if args.quick else 3)
    latency = warm_latency(repeats, 200 if args.quick else MIN_CALLS)
    spinning_experiment(1 if args.quick else 3)
    embedder = embedder_for_model(EmbeddingModel.USE)
    sample = list(load_knowledge(SAMPLE_KNOWLEDGE).entries)
    sample_index = indexing(sample, embedder, "sample knowledge", 3 if args.quick else 5)
    synthetic = synthetic_entries(500 if args.quick else SYNTHETIC_ENTRIES) or []
    synthetic_index = (
        indexing(synthetic, embedder, f"{len(synthetic)} synthetic entries", 1 if args.quick else 3)
        if synthetic
        else None
    )
    reindex = unchanged_reindex(embedder, 3 if args.quick else 7)

    draft_p95 = latency["draft (draft_reply, OfflineDrafter)"][1]
    rows = [
        [
            "draft p95, warm",
            f"{draft_p95:.2f} ms",
            f"≤ {TARGET_DRAFT_P95_MS:.0f} ms",
            "yes" if draft_p95 <= TARGET_DRAFT_P95_MS else "NO",
        ],
        [
            "indexing, sample knowledge",
            f"{sample_index['entries_per_s']:.0f} entries/s",
            f"≥ {TARGET_ENTRIES_PER_S:.0f}/s",
            "yes" if sample_index["entries_per_s"] >= TARGET_ENTRIES_PER_S else "NO",
        ],
    ]
    if synthetic_index:
        rows.append(
            [
                f"indexing, {len(synthetic)} synthetic",
                f"{synthetic_index['entries_per_s']:.0f} entries/s",
                f"≥ {TARGET_ENTRIES_PER_S:.0f}/s",
                "yes" if synthetic_index["entries_per_s"] >= TARGET_ENTRIES_PER_S else "NO",
            ]
        )
    rows += [
        [
            "unchanged re-index",
            f"{reindex['reindex_s']:.3f} s",
            f"< {TARGET_REINDEX_S:.0f} s",
            "yes" if reindex["reindex_s"] < TARGET_REINDEX_S else "NO",
        ],
        [
            "serving peak RSS",
            f"{rss['rss_mb']:.0f} MB",
            f"≤ {TARGET_RSS_MB:.0f} MB",
            "yes" if rss["rss_mb"] <= TARGET_RSS_MB else "NO",
        ],
    ]
    table("targets", ["figure", "measured", "target", "met"], rows)
    console.print(f"total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

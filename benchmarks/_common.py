"""Shared helpers of the benchmarks: data set paths, temporary indexes, timers, tables.

The benchmarks read the public data sets in place (never copied into the repository): by
default `/work/shared/datasets` when the repository is `/work/main`, i.e. two levels above
this file's folder, or the folder named by REPLYDESK_DATASETS.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from bot.faq.embedders import Embedder
from bot.faq.files import content_hash
from bot.faq.indexing import (
    SINGLE_MODEL_LAYOUT,
    IndexLayout,
    IndexReport,
    open_vector_store,
    sync_index,
)
from bot.faq.vector_store import ChromaVectorStore
from bot.models import FaqEntry, Language
from bot.settings import Settings
from bot.wiring import index_location

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = REPO_ROOT / "benchmarks" / "data"
SAMPLE_KNOWLEDGE = REPO_ROOT / "knowledge"
SAMPLE_PARAPHRASES = BENCH_DATA / "sample_paraphrases.jsonl"
SAMPLE_ENQUIRIES = REPO_ROOT / "bot" / "samples" / "enquiries.jsonl"
SEED = 20240501

console = Console(width=140)

T = TypeVar("T")


def datasets_dir() -> Path:
    """The folder holding the shared data sets (REPLYDESK_DATASETS overrides the default)."""
    override = os.environ.get("REPLYDESK_DATASETS")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def dataset(name: str, *files: str) -> Path | None:
    """Return the folder of data set `name`, or print a skip line and return None.

    Every file in `files` must exist too; a partial copy is treated as missing.
    """
    folder = datasets_dir() / name
    for path in [folder, *(folder / f for f in files)]:
        if not path.exists():
            console.print(f"[yellow]skipped: {path} not found[/yellow]")
            return None
    return folder


def make_entry(
    entry_id: str,
    question: str,
    answer: str,
    language: Language,
    alternates: Sequence[str] = (),
) -> FaqEntry:
    """An FaqEntry built in code, hashed like one read from a file."""
    return FaqEntry(
        id=entry_id,
        question=question,
        answer=answer,
        language=language,
        alternate_questions=tuple(alternates),
        content_hash=content_hash(entry_id, question, *alternates, answer, language.value),
    )


def benchmark_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a benchmark: embedded Chroma under `data_dir`, no .env, no server."""
    # Any: the overrides are field names and values that pydantic validates at run time.
    values: dict[str, Any] = {"data_dir": data_dir, "chroma_host": None, **overrides}
    return Settings(_env_file=None, **values)


@contextlib.contextmanager
def temp_dir(prefix: str = "replydesk-bench-") -> Iterator[Path]:
    """A fresh temporary directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def temp_index(
    entries: Sequence[FaqEntry],
    embedder: Embedder,
    label: str = "bench",
    layout: IndexLayout = SINGLE_MODEL_LAYOUT,
) -> Iterator[tuple[ChromaVectorStore, IndexReport]]:
    """Index `entries` with the real code path into a Chroma store in a fresh temp dir."""
    with temp_dir() as root:
        settings = benchmark_settings(root)
        # open_vector_store names the collection after a knowledge folder; a fake one per label
        # keeps collections apart (each temp dir is used by one client only).
        folder = root / label
        store = open_vector_store(index_location(settings), folder, embedder.name, layout)
        report = sync_index(entries, store, embedder, layout=layout)
        yield store, report


class Timer:
    """Collects durations (seconds) of repeated calls."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    @contextlib.contextmanager
    def time(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.samples.append(time.perf_counter() - started)

    def p(self, q: float) -> float:
        return percentile(self.samples, q)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation; nan when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def subsample(items: Sequence[T], n: int | None, seed: int = SEED) -> list[T]:
    """A fixed-seed sample of `n` items in their original order (all when n is None)."""
    if n is None or n >= len(items):
        return list(items)
    chosen = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[i] for i in chosen]


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a table; floats get 3 decimals, first column left-aligned."""
    out = Table(title=title, title_justify="left", show_lines=False)
    for index, column in enumerate(columns):
        out.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        out.add_row(*[fmt(cell) for cell in row])
    console.print(out)


def fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # nan
            return "–"
        return f"{value:.3f}"
    return str(value)

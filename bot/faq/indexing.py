"""Keeps the Chroma index of a knowledge folder in step with its files, incrementally.

Each entry is embedded as separate texts: every question phrasing, the whole answer, and
for long answers each sentence (see benchmarks/retrieval.py: one vector per phrasing beats
one per entry).
Entries are keyed by id and content hash, so an unchanged entry costs no embedding work and
a deleted one disappears.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.faq.embedders import Embedder, Vectors
from bot.faq.text import plain_text, split_sentences
from bot.faq.vector_store import ChromaVectorStore, VectorRecord, VectorStore
from bot.models import FaqEntry

# Answers at least this long also get a vector per sentence: one vector blurs a long text
# (XQuAD paragraphs: dense R@1 0.82 with sentences, 0.76 without), while for short FAQ
# answers sentence vectors changed nothing but cost half the indexing time.
LONG_ANSWER_CHARS = 400
# Answers longer than this are cut for the question+answer text: an entry's gist is in its
# first sentences, and e5's cost grows steeply with length (600 ms for 250 tokens).
QA_ANSWER_CHARS = 600


@dataclass(frozen=True)
class IndexLayout:
    """Which texts of an entry get a vector, and the tag that names the layout's index.

    Kinds: `question` (each phrasing), `answer`, `sentence` (each sentence of a long
    answer), `qa` (question and answer in one text) and `query` (each phrasing embedded as
    a search text, e5's `query:` side, so query-to-query similarity can be measured).
    """

    tag: str
    kinds: frozenset[str]


# The single-model modes (hybrid, dense, lexical).
SINGLE_MODEL_LAYOUT = IndexLayout("v2", frozenset({"question", "answer", "sentence"}))
# The fused default: what each model contributes to `bot.faq.signals`.
FUSED_E5_LAYOUT = IndexLayout("f1", frozenset({"question", "query", "qa"}))
FUSED_USE_LAYOUT = IndexLayout("f1", frozenset({"question", "answer", "sentence", "qa"}))
# Kinds embedded with `Embedder.embed_queries`; every other kind as a document.
QUERY_KINDS = frozenset({"query"})

# Called with (entries finished, entries to embed) after each embedded batch.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run changed."""

    added: int
    updated: int
    removed: int
    unchanged: int
    texts_embedded: int
    seconds: float

    @property
    def entries_per_second(self) -> float:
        """Entries embedded per second of the run (0 when nothing needed embedding)."""
        embedded = self.added + self.updated
        return embedded / self.seconds if self.seconds > 0 and embedded else 0.0


def knowledge_key(knowledge_dir: Path) -> str:
    """Name a knowledge folder stably, so each folder gets an index of its own."""
    resolved = str(knowledge_dir.resolve())
    slug = re.sub(r"[^a-z0-9]+", "-", knowledge_dir.resolve().name.lower()).strip("-")[:24]
    return f"{slug or 'kb'}-{hashlib.sha256(resolved.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class IndexLocation:
    """Where indexes live: folders under `data_dir` (embedded Chroma), or a Chroma server."""

    data_dir: Path
    chroma_host: str | None = None
    chroma_port: int = 8000


def open_vector_store(
    location: IndexLocation,
    knowledge_dir: Path,
    model_name: str,
    layout: IndexLayout = SINGLE_MODEL_LAYOUT,
) -> ChromaVectorStore:
    """Open the index of `knowledge_dir` for `model_name` (embedded, or the Chroma server)."""
    key = knowledge_key(knowledge_dir)
    model_slug = re.sub(r"[^a-z0-9]+", "-", model_name.lower())
    name = f"faq-{layout.tag}-{key}-{model_slug}"[:63].rstrip("-")
    if location.chroma_host:
        return ChromaVectorStore(
            name, model_name, host=location.chroma_host, port=location.chroma_port
        )
    return ChromaVectorStore(name, model_name, path=location.data_dir / "index" / key)


def records_for(entry: FaqEntry, layout: IndexLayout = SINGLE_MODEL_LAYOUT) -> list[VectorRecord]:
    """Split an entry into the texts that get a vector each, as `layout` asks."""
    records: list[VectorRecord] = []

    def add(kind: str, index: int, text: str) -> None:
        records.append(
            VectorRecord(
                f"{entry.id}::{kind}{index}",
                entry.id,
                kind,
                entry.language.value,
                entry.content_hash,
                text,
            )
        )

    kinds = layout.kinds
    phrasings = [p for p in [entry.question, *entry.alternate_questions] if p.strip()]
    for kind in ("question", "query"):
        if kind in kinds:
            for index, phrasing in enumerate(phrasings):
                add(kind, index, phrasing)
    answer = plain_text(entry.answer)
    if "qa" in kinds:
        add("qa", 0, f"{entry.question.strip()} {answer[:QA_ANSWER_CHARS]}".strip())
    if "answer" in kinds:
        add("answer", 0, answer)
    sentences = split_sentences(answer) if len(answer) >= LONG_ANSWER_CHARS else []
    if "sentence" in kinds and len(sentences) > 1:
        for index, sentence in enumerate(sentences):
            add("sentence", index, sentence)
    return records


def sync_index(
    entries: Sequence[FaqEntry],
    store: VectorStore,
    embedder: Embedder,
    progress: ProgressCallback | None = None,
    layout: IndexLayout = SINGLE_MODEL_LAYOUT,
) -> IndexReport:
    """Bring `store` in step with `entries`, embedding only new and changed entries.

    Args:
        entries: the entries that should be searchable.
        store: the vector store of this knowledge folder and model.
        embedder: the model that embeds the texts.
        progress: called with (entries finished, entries to embed) as embedding proceeds.
        layout: which texts of each entry get a vector (the store's own layout).

    Returns:
        How many entries were added, updated, removed and left alone.
    """
    started = time.perf_counter()
    stored = store.stored_hashes()
    wanted = {entry.id: entry for entry in entries}
    removed = [entry_id for entry_id in stored if entry_id not in wanted]
    changed = [e for e in entries if e.id in stored and stored[e.id] != e.content_hash]
    new = [e for e in entries if e.id not in stored]
    store.delete_entries(removed + [entry.id for entry in changed])
    texts = 0
    to_embed = changed + new
    batch: list[VectorRecord] = []
    if progress is not None and to_embed:
        progress(0, len(to_embed))
    for position, entry in enumerate(to_embed, start=1):
        batch.extend(records_for(entry, layout))
        if len(batch) >= 64 or position == len(to_embed):
            store.add(batch, _embed(batch, embedder))
            texts += len(batch)
            if progress is not None:
                progress(position, len(to_embed))
            batch = []
    return IndexReport(
        added=len(new),
        updated=len(changed),
        removed=len(removed),
        unchanged=len(entries) - len(to_embed),
        texts_embedded=texts,
        seconds=time.perf_counter() - started,
    )


def _embed(records: Sequence[VectorRecord], embedder: Embedder) -> Vectors:
    """Embed records row for row, each as a query or as a document by its kind."""
    as_query = [record.kind in QUERY_KINDS for record in records]
    if not any(as_query):
        return embedder.embed_documents([record.text for record in records])
    vectors: Vectors | None = None
    for query_side in (False, True):
        rows = [i for i, flag in enumerate(as_query) if flag is query_side]
        if not rows:
            continue
        texts = [records[i].text for i in rows]
        part = embedder.embed_queries(texts) if query_side else embedder.embed_documents(texts)
        if vectors is None:
            vectors = np.zeros((len(records), part.shape[1]), dtype=np.float32)
        vectors[rows] = part
    assert vectors is not None  # noqa: S101 - records is never empty here
    return vectors

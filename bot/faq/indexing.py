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

from bot.faq.embedders import Embedder
from bot.faq.text import plain_text, split_sentences
from bot.faq.vector_store import ChromaVectorStore, VectorRecord, VectorStore
from bot.models import FaqEntry

# Answers at least this long also get a vector per sentence: one vector blurs a long text
# (XQuAD paragraphs: dense R@1 0.82 with sentences, 0.76 without), while for short FAQ
# answers sentence vectors changed nothing but cost half the indexing time.
LONG_ANSWER_CHARS = 400
# Part of the collection name: a change in how entries become vectors builds a new index.
INDEX_LAYOUT = "v2"

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
    location: IndexLocation, knowledge_dir: Path, model_name: str
) -> ChromaVectorStore:
    """Open the index of `knowledge_dir` for `model_name` (embedded, or the Chroma server)."""
    key = knowledge_key(knowledge_dir)
    model_slug = re.sub(r"[^a-z0-9]+", "-", model_name.lower())
    name = f"faq-{INDEX_LAYOUT}-{key}-{model_slug}"[:63].rstrip("-")
    if location.chroma_host:
        return ChromaVectorStore(
            name, model_name, host=location.chroma_host, port=location.chroma_port
        )
    return ChromaVectorStore(name, model_name, path=location.data_dir / "index" / key)


def records_for(entry: FaqEntry) -> list[VectorRecord]:
    """Split an entry into the texts that get a vector each."""
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

    phrasings = [entry.question, *entry.alternate_questions]
    for index, phrasing in enumerate(p for p in phrasings if p.strip()):
        add("question", index, phrasing)
    answer = plain_text(entry.answer)
    add("answer", 0, answer)
    sentences = split_sentences(answer) if len(answer) >= LONG_ANSWER_CHARS else []
    if len(sentences) > 1:
        for index, sentence in enumerate(sentences):
            add("sentence", index, sentence)
    return records


def sync_index(
    entries: Sequence[FaqEntry],
    store: VectorStore,
    embedder: Embedder,
    progress: ProgressCallback | None = None,
) -> IndexReport:
    """Bring `store` in step with `entries`, embedding only new and changed entries.

    Args:
        entries: the entries that should be searchable.
        store: the vector store of this knowledge folder and model.
        embedder: the model that embeds the texts.
        progress: called with (entries finished, entries to embed) as embedding proceeds.

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
        batch.extend(records_for(entry))
        if len(batch) >= 256 or position == len(to_embed):
            vectors = embedder.embed_documents([record.text for record in batch])
            store.add(batch, vectors)
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

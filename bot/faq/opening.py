"""Opens a knowledge folder for searching: reads its files, syncs its index, builds a retriever."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.faq.embedders import Embedder
from bot.faq.files import KnowledgeBase, load_knowledge
from bot.faq.indexing import (
    IndexLocation,
    IndexReport,
    ProgressCallback,
    open_vector_store,
    sync_index,
)
from bot.faq.retrieval import Retriever
from bot.models import RetrievalMode


@dataclass(frozen=True)
class OpenedKnowledge:
    """A knowledge folder ready to search."""

    knowledge: KnowledgeBase
    retriever: Retriever
    report: IndexReport


def open_knowledge_folder(
    folder: Path,
    embedder: Embedder,
    location: IndexLocation,
    *,
    mode: RetrievalMode = RetrievalMode.HYBRID,
    lexical_weight: float | None = None,
    progress: ProgressCallback | None = None,
) -> OpenedKnowledge:
    """Read `folder`, index what changed, and return a retriever over it.

    Args:
        folder: the folder with `faq/` and `guidelines/`.
        embedder: the model that embeds entries and queries.
        location: where the index of `folder` lives.
        mode: which signals rank entries.
        lexical_weight: how much BM25 adds; the model's own tuning when None.
        progress: called with (entries finished, entries to embed) while embedding.

    Raises:
        KnowledgeError: the folder does not exist.
    """
    knowledge = load_knowledge(folder)
    store = open_vector_store(location, folder, embedder.name)
    report = sync_index(knowledge.entries, store, embedder, progress)
    retriever = Retriever(
        knowledge.entries, store, embedder, mode=mode, lexical_weight=lexical_weight
    )
    return OpenedKnowledge(knowledge, retriever, report)

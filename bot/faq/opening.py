"""Opens a knowledge folder for searching: reads its files, syncs its index, builds a retriever."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.faq.embedders import Embedder
from bot.faq.files import KnowledgeBase, load_knowledge
from bot.faq.fused import FusedRetriever
from bot.faq.indexing import (
    FUSED_E5_LAYOUT,
    FUSED_USE_LAYOUT,
    IndexLocation,
    IndexReport,
    ProgressCallback,
    open_vector_store,
    sync_index,
)
from bot.faq.retrieval import Retriever, Searcher
from bot.faq.signals import ModelIndex
from bot.models import RetrievalMode


@dataclass(frozen=True)
class OpenedKnowledge:
    """A knowledge folder ready to search."""

    knowledge: KnowledgeBase
    retriever: Searcher
    report: IndexReport


def open_fused_knowledge(
    folder: Path,
    e5: Embedder,
    use: Embedder,
    location: IndexLocation,
    *,
    progress: ProgressCallback | None = None,
) -> OpenedKnowledge:
    """Read `folder`, index what changed with both models, and return the fused retriever.

    Args:
        folder: the folder with `faq/` and `guidelines/`.
        e5: multilingual-e5-small (or a stand-in in tests).
        use: multilingual USE (or a stand-in in tests).
        location: where the indexes of `folder` live.
        progress: called with (entries finished, entries to embed) while e5 embeds, which
            is most of the time; USE follows in a few seconds.

    Raises:
        KnowledgeError: the folder does not exist.
    """
    knowledge = load_knowledge(folder)
    models = []
    reports = []
    for embedder, layout, report_progress in (
        (e5, FUSED_E5_LAYOUT, progress),
        (use, FUSED_USE_LAYOUT, None),
    ):
        store = open_vector_store(location, folder, embedder.name, layout)
        reports.append(sync_index(knowledge.entries, store, embedder, report_progress, layout))
        models.append(ModelIndex(embedder, store))
    first, second = reports
    report = IndexReport(
        added=first.added,
        updated=first.updated,
        removed=first.removed,
        unchanged=first.unchanged,
        texts_embedded=first.texts_embedded + second.texts_embedded,
        seconds=first.seconds + second.seconds,
    )
    retriever = FusedRetriever(knowledge.entries, models[0], models[1])
    return OpenedKnowledge(knowledge, retriever, report)


def open_knowledge_folder(
    folder: Path,
    embedder: Embedder,
    location: IndexLocation,
    *,
    mode: RetrievalMode = RetrievalMode.HYBRID,
    lexical_weight: float | None = None,
    progress: ProgressCallback | None = None,
) -> OpenedKnowledge:
    """Read `folder`, index what changed with one model, and return a retriever over it.

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

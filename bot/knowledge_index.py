"""Opens a knowledge folder for searching: reads its files, syncs its index, builds a retriever."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.embeddings import Embedder, embedder_for
from bot.indexing import IndexReport, ProgressCallback, open_vector_store, sync_index
from bot.knowledge_files import KnowledgeBase, load_knowledge
from bot.retrieval import Retriever
from bot.settings import Settings


@dataclass(frozen=True)
class OpenedKnowledge:
    """A knowledge folder ready to search."""

    knowledge: KnowledgeBase
    retriever: Retriever
    report: IndexReport


def open_knowledge(
    settings: Settings,
    knowledge_dir: Path | None = None,
    *,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
) -> OpenedKnowledge:
    """Read `knowledge_dir` (default: the settings'), index what changed, return a retriever.

    Args:
        settings: ReplyDesk settings (data directory, Chroma, model, retrieval mode).
        knowledge_dir: the folder with `faq/` and `guidelines/`.
        embedder: an already loaded embedder to reuse; loaded from settings when omitted.
        progress: called with (entries finished, entries to embed) while embedding.

    Raises:
        KnowledgeError: the folder does not exist.
    """
    folder = knowledge_dir or settings.knowledge_dir
    knowledge = load_knowledge(folder)
    model = embedder or embedder_for(settings)
    store = open_vector_store(settings, folder, model.name)
    report = sync_index(knowledge.entries, store, model, progress)
    retriever = Retriever(
        knowledge.entries,
        store,
        model,
        mode=settings.retrieval_mode,
        lexical_weight=settings.lexical_weight,
    )
    return OpenedKnowledge(knowledge, retriever, report)

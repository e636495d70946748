"""Incremental indexing into a real embedded Chroma with the real multilingual model."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.errors import PermanentError
from bot.faq.embedders import HashingEmbedder, UseEmbedder, Vectors
from bot.faq.files import load_knowledge
from bot.faq.indexing import open_vector_store, sync_index
from bot.faq.vector_store import ChromaVectorStore
from bot.settings import Settings
from bot.wiring import index_location

FIXTURES = Path(__file__).parents[1] / "fixtures"


class CountingEmbedder:
    """The real model, counting how many texts it was asked to embed."""

    def __init__(self, inner: UseEmbedder) -> None:
        self.inner = inner
        self.embedded: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.embedded.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        self.embedded.extend(texts)
        return self.inner.embed_queries(texts)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", target)
    return target


class TestIncrementalIndexing:
    def test_unchanged_reindex_embeds_nothing(
        self, knowledge_copy: Path, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        embedder = CountingEmbedder(use_embedder)
        store = open_vector_store(index_location(settings), knowledge_copy, embedder.name)
        first = sync_index(load_knowledge(knowledge_copy).entries, store, embedder)
        embedder.embedded.clear()

        again = sync_index(load_knowledge(knowledge_copy).entries, store, embedder)

        assert first.added == 6
        assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)
        assert embedder.embedded == []

    def test_changed_entry_is_reembedded_and_unchanged_ones_are_not(
        self, knowledge_copy: Path, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        embedder = CountingEmbedder(use_embedder)
        store = open_vector_store(index_location(settings), knowledge_copy, embedder.name)
        sync_index(load_knowledge(knowledge_copy).entries, store, embedder)
        embedder.embedded.clear()
        path = knowledge_copy / "faq" / "packstation-de.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Sperrige", "Große"))

        report = sync_index(load_knowledge(knowledge_copy).entries, store, embedder)

        assert (report.updated, report.unchanged) == (1, 5)
        assert embedder.embedded
        assert all(
            "Packstation" in t or "Große" in t or "Postnummer" in t for t in embedder.embedded
        )
        assert (
            store.stored_hashes()["packstation-de"]
            == load_knowledge(knowledge_copy).by_id()["packstation-de"].content_hash
        )

    def test_deleted_entry_disappears_from_the_index(
        self, knowledge_copy: Path, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        store = open_vector_store(index_location(settings), knowledge_copy, use_embedder.name)
        sync_index(load_knowledge(knowledge_copy).entries, store, use_embedder)
        (knowledge_copy / "faq" / "shipping-abroad-en.md").unlink()

        report = sync_index(load_knowledge(knowledge_copy).entries, store, use_embedder)

        assert report.removed == 1
        assert "shipping-abroad-en" not in store.stored_hashes()
        hits = store.nearest(use_embedder.embed_query("Do you ship to Switzerland?"), 50)
        assert all(hit.entry_id != "shipping-abroad-en" for hit in hits)

    def test_each_knowledge_folder_gets_its_own_index(
        self, knowledge_copy: Path, tmp_path: Path
    ) -> None:
        settings = Settings(data_dir=tmp_path / "data")
        embedder = HashingEmbedder()
        other = tmp_path / "other"
        shutil.copytree(FIXTURES / "broken", other)
        sync_index(
            load_knowledge(knowledge_copy).entries,
            open_vector_store(index_location(settings), knowledge_copy, embedder.name),
            embedder,
        )

        other_store = open_vector_store(index_location(settings), other, embedder.name)

        assert other_store.stored_hashes() == {}

    def test_an_index_refuses_vectors_of_another_model(self, tmp_path: Path) -> None:
        ChromaVectorStore("faq-test", "hashing", path=tmp_path / "chroma")

        with pytest.raises(PermanentError, match="built with hashing"):
            ChromaVectorStore("faq-test", "use-multilingual-v3", path=tmp_path / "chroma")

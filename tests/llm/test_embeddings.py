"""Embeddings from an OpenAI-compatible server: the Embedder port, errors, and re-indexing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.errors import PermanentError, TransientError
from bot.llm.embeddings import OpenAIEmbedder
from bot.models import Language
from bot.settings import EmbeddingsProvider, Settings
from bot.wiring import open_knowledge
from tests.stand_ins import OpenAIStandIn, embed_text

FIXTURE_KNOWLEDGE = Path(__file__).parents[1] / "fixtures" / "knowledge"


def server_embedding_settings(data_dir: Path) -> Settings:
    """Settings of a deployment whose embeddings come from a server (hybrid retrieval)."""
    return Settings(
        _env_file=None, data_dir=data_dir, embeddings_provider=EmbeddingsProvider.OPENAI
    )


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as stand_in:
        yield stand_in


def embedder(
    url: str,
    model: str = "text-embedding-3-small",
    dimensions: int | None = None,
    max_retries: int = 2,
) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        model,
        api_key="test-key",
        base_url=f"{url}/v1",
        dimensions=dimensions,
        max_retries=max_retries,
    )


class TestOpenAIEmbedder:
    def test_name_records_the_server_model(self, llm_server: OpenAIStandIn) -> None:
        assert embedder(llm_server.url).name == "openai:text-embedding-3-small"
        assert embedder(llm_server.url, dimensions=32).name == "openai:text-embedding-3-small@32"

    def test_documents_come_back_normalised_in_order_and_batched(
        self, llm_server: OpenAIStandIn
    ) -> None:
        texts = [f"Frage {number}" for number in range(300)]

        vectors = embedder(llm_server.url).embed_documents(texts)

        assert vectors.shape == (300, 64)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert np.allclose(vectors[7], embed_text("Frage 7"), atol=1e-5)
        assert llm_server.count("embeddings") == 3  # batches of 128
        assert llm_server.requests("embeddings")[0]["model"] == "text-embedding-3-small"

    def test_query_and_document_of_the_same_text_match(self, llm_server: OpenAIStandIn) -> None:
        model = embedder(llm_server.url)

        query = model.embed_query("Wie lange dauert die Lieferung?")

        assert np.allclose(query, model.embed_documents(["Wie lange dauert die Lieferung?"])[0])

    def test_server_errors_beyond_the_retries_are_transient(
        self, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.fail("embeddings", times=2, status=502, headers={"retry-after-ms": "10"})

        with pytest.raises(TransientError):
            embedder(llm_server.url, max_retries=1).embed_query("x")

    def test_an_unknown_model_is_permanent(self, llm_server: OpenAIStandIn) -> None:
        llm_server.fail("embeddings", status=404)

        with pytest.raises(PermanentError):
            embedder(llm_server.url).embed_query("x")


class TestIndexWithServerEmbeddings:
    def test_knowledge_is_indexed_and_searched_with_server_embeddings(
        self, llm_server: OpenAIStandIn, tmp_path: Path
    ) -> None:
        settings = server_embedding_settings(tmp_path)

        opened = open_knowledge(settings, FIXTURE_KNOWLEDGE, embedder=embedder(llm_server.url))

        assert opened.report.added == 6
        question = opened.knowledge.by_id()["packstation-de"].question
        results = opened.retriever.search(question, Language.DE, k=1)
        assert results[0].entry.id == "packstation-de"

    def test_a_new_embedding_model_builds_a_fresh_index_instead_of_mixing(
        self, llm_server: OpenAIStandIn, tmp_path: Path
    ) -> None:
        settings = server_embedding_settings(tmp_path)
        open_knowledge(settings, FIXTURE_KNOWLEDGE, embedder=embedder(llm_server.url))

        unchanged = open_knowledge(settings, FIXTURE_KNOWLEDGE, embedder=embedder(llm_server.url))
        switched = open_knowledge(
            settings, FIXTURE_KNOWLEDGE, embedder=embedder(llm_server.url, "other-model")
        )

        assert unchanged.report.added == 0 and unchanged.report.unchanged == 6
        assert switched.report.added == 6  # every entry embedded again with the new model

"""Embeddings from an OpenAI-compatible server, behind the same `Embedder` port as the local models.

The name `openai:<model>` is recorded with the index, so a change of embedding model is
refused by the vector store until the index is rebuilt (see `bot.faq.vector_store`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import openai

from bot.faq.embedders import Vectors
from bot.llm.errors import map_openai_error
from bot.llm.server import DEFAULT_BASE_URL

_BATCH = 128


class OpenAIEmbedder:
    """Embeds through `/v1/embeddings` with the openai client (retries and Retry-After included).

    Args:
        model: the embedding model's name on the server, e.g. "text-embedding-3-small".
        api_key: the key; local servers usually accept any value.
        base_url: the server's `/v1` URL; OpenAI itself when None.
        timeout: seconds per request.
        max_retries: retries of the openai client on timeouts, 429 and 5xx.
        dimensions: shorter vectors, for models that support it.
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        dimensions: int | None = None,
    ) -> None:
        self._model = model
        self._dimensions = dimensions
        # Everything is passed explicitly: the client would otherwise read OPENAI_* itself.
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url or DEFAULT_BASE_URL,
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def name(self) -> str:
        """`openai:<model>`, recorded with the index."""
        suffix = f"@{self._dimensions}" if self._dimensions else ""
        return f"openai:{self._model}{suffix}"

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed texts in batches; one L2-normalised row per text.

        Raises:
            TransientError: the server is unreachable or overloaded after the retries.
            PermanentError: the server refused the request (key, model).
        """
        if not texts:
            return np.zeros((0, self._dimensions or 0), dtype=np.float32)
        batches = [self._embed(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)]
        return np.vstack(batches)

    def embed_query(self, text: str) -> Vectors:
        """Embed one text."""
        vector: Vectors = self._embed([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Queries and documents are embedded alike."""
        return self.embed_documents(texts)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _embed(self, texts: list[str]) -> Vectors:
        try:
            if self._dimensions:
                response = self._client.embeddings.create(
                    model=self._model,
                    input=texts,
                    encoding_format="float",
                    dimensions=self._dimensions,
                )
            else:
                response = self._client.embeddings.create(
                    model=self._model, input=texts, encoding_format="float"
                )
        except openai.APIError as error:
            raise map_openai_error(error) from error
        rows = sorted(response.data, key=lambda item: item.index)
        vectors = np.asarray([row.embedding for row in rows], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normalised: Vectors = (vectors / norms).astype(np.float32)
        return normalised

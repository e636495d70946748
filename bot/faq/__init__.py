"""The searchable FAQ: knowledge files, embedders, Chroma index, BM25 and retrieval.

- `files`: read a knowledge folder (FAQ entries, guidelines, channel policies);
- `exports`, `importing`: read bulk FAQ exports (encoding, separator, rows) and merge them
  into entry files;
- `text`: Markdown to plain text, text to sentences;
- `embedders`: the `Embedder` port and the local models;
- `vector_store`: the `VectorStore` port and Chroma;
- `lexical`: language-aware BM25;
- `indexing`: keep a folder's index in step with its files;
- `signals`, `scoring`, `fused`: the default retriever, e5 + USE + BM25 with
  fitted weights, and its answer decision;
- `retrieval`: the single-model retriever (hybrid, dense, lexical) and the `Searcher` port;
- `opening`: all of the above for one folder, ready to search.
"""

from bot.faq.embedders import E5Embedder, Embedder, HashingEmbedder, UseEmbedder, Vectors
from bot.faq.files import Guidelines, KnowledgeBase, load_knowledge
from bot.faq.fused import FusedRetriever
from bot.faq.importing import ImportReport, import_faq
from bot.faq.indexing import (
    IndexLocation,
    IndexReport,
    ProgressCallback,
    open_vector_store,
    sync_index,
)
from bot.faq.opening import OpenedKnowledge, open_fused_knowledge, open_knowledge_folder
from bot.faq.retrieval import Retriever, ScoredEntry, Searcher
from bot.faq.vector_store import ChromaVectorStore, VectorStore

__all__ = [
    "ChromaVectorStore",
    "E5Embedder",
    "Embedder",
    "Guidelines",
    "HashingEmbedder",
    "ImportReport",
    "IndexLocation",
    "IndexReport",
    "KnowledgeBase",
    "OpenedKnowledge",
    "FusedRetriever",
    "ProgressCallback",
    "Retriever",
    "ScoredEntry",
    "Searcher",
    "UseEmbedder",
    "Vectors",
    "VectorStore",
    "import_faq",
    "load_knowledge",
    "open_fused_knowledge",
    "open_knowledge_folder",
    "open_vector_store",
    "sync_index",
]

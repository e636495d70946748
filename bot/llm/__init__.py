"""Adapters to OpenAI-compatible servers: the drafter, embeddings, and their error mapping.

Modules: `server` (LlmServer: where and how), `drafter` (LlmDrafter), `schema` (the typed
answer), `prompting` (prompts/llm/), `grounding` and `safety` (checks on every answer),
`errors` (openai errors to ours), `embeddings` (OpenAIEmbedder). The face loads LangChain
and openai only when one of their names is used, so the CLI starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from bot.llm.server import DEFAULT_BASE_URL, LlmServer

if TYPE_CHECKING:
    from bot.llm.drafter import LlmDrafter
    from bot.llm.embeddings import OpenAIEmbedder
    from bot.llm.errors import map_openai_error

__all__ = ["DEFAULT_BASE_URL", "LlmDrafter", "LlmServer", "OpenAIEmbedder", "map_openai_error"]

_LAZY = {
    "LlmDrafter": "bot.llm.drafter",
    "OpenAIEmbedder": "bot.llm.embeddings",
    "map_openai_error": "bot.llm.errors",
}


def __getattr__(name: str) -> object:
    """Import the heavy adapters on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Drafting with a language model on any OpenAI-compatible server, grounded and checked.

Modules: `drafter` (LlmDrafter), `schema` (the typed answer), `prompting` (prompts/llm/),
`grounding` and `safety` (checks on every answer), `outages` (error mapping and
`draft_with_fallback`), `embeddings` (OpenAIEmbedder). This package module stays light:
LangChain and openai load only when an LLM drafter is built, so the CLI starts fast.
"""

from __future__ import annotations

from bot.drafting import Drafter
from bot.offline_drafter import OfflineDrafter
from bot.settings import LlmProvider, Settings


def build_drafter(settings: Settings, offline: OfflineDrafter | None = None) -> Drafter:
    """Return the `LlmDrafter` when LLM_PROVIDER=openai, else the offline drafter.

    Args:
        settings: ReplyDesk settings (provider, server, model, limits).
        offline: an offline drafter to reuse, as the fallback of the LLM drafter too.
    """
    fallback = offline or OfflineDrafter()
    if settings.llm_provider is LlmProvider.OPENAI:
        from bot.llm.drafter import LlmDrafter
        from bot.llm.outages import OutageAwareDrafter

        llm = LlmDrafter(settings, fallback=fallback)
        return OutageAwareDrafter(llm, fallback, settings.llm_outage_mode)
    return fallback

"""Drafting while the language model is down: wait, or write a labelled offline draft.

`OutageAwareDrafter` wraps any drafter whose server can be unreachable (it raises
`TransientError`) and follows LLM_OUTAGE_MODE; the reconciler replaces a delayed or
offline draft once the server is back.
"""

from __future__ import annotations

from dataclasses import replace

from bot.drafting.port import Drafter, DraftReply, DraftRequest
from bot.errors import TransientError
from bot.models import LlmOutageMode

# Flag of a draft the offline drafter wrote because the language model was unreachable.
LLM_UNAVAILABLE = "llm_unavailable"
# The `drafter` of such a draft.
OFFLINE_FALLBACK = "offline-fallback"


async def draft_with_fallback(
    drafter: Drafter, fallback: Drafter, request: DraftRequest, outage_mode: LlmOutageMode
) -> DraftReply:
    """Draft with `drafter`; while its server is down, follow `outage_mode`.

    Args:
        drafter: the language-model drafter.
        fallback: the offline drafter.
        request: the prepared request.
        outage_mode: `delay` re-raises so the enquiry waits ("drafting delayed");
            `offline_draft` returns the offline draft flagged `llm_unavailable`.

    Raises:
        TransientError: the server is unreachable and `outage_mode` is `delay`.
        PermanentError: the server refused the request (key, model, bad request).
    """
    try:
        return await drafter.draft(request)
    except TransientError:
        if outage_mode is LlmOutageMode.DELAY:
            raise
    reply = await fallback.draft(request)
    return replace(reply, flags=(*reply.flags, LLM_UNAVAILABLE), drafter=OFFLINE_FALLBACK)


class OutageAwareDrafter:
    """A language-model drafter that follows LLM_OUTAGE_MODE while its server is down."""

    def __init__(self, drafter: Drafter, fallback: Drafter, outage_mode: LlmOutageMode) -> None:
        self._drafter = drafter
        self._fallback = fallback
        self._outage_mode = outage_mode

    async def draft(self, request: DraftRequest) -> DraftReply:
        """Draft with the model, or as `draft_with_fallback` says during an outage."""
        return await draft_with_fallback(self._drafter, self._fallback, request, self._outage_mode)

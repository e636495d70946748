"""The drafting port: what every drafter receives (`DraftRequest`) and returns (`DraftReply`).

Drafters (offline templates, a language model, the outage fallback) implement `Drafter`;
the pipeline in `bot.drafting.pipeline` prepares the request once for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.drafting.triage import Triage
from bot.faq.files import Guidelines
from bot.models import Channel, ChannelPolicy, DraftAction, Language, Passage


@dataclass(frozen=True)
class DraftRequest:
    """Everything a drafter may use to write one reply."""

    text: str
    channel: Channel
    # How the reply greets the customer ("Anna", "Frau Hoffmann"), None for no name.
    author_name: str | None
    language: Language
    passages: tuple[Passage, ...]
    triage: Triage
    policy: ChannelPolicy
    guidelines: Guidelines
    answer_threshold: float
    hint: str | None = None
    # The draft being regenerated, so a model can improve on it rather than start over.
    previous_draft: str | None = None
    # For a burst of several messages: the passages found for each message on its own, so
    # one reply can answer every question in it.
    message_passages: tuple[tuple[Passage, ...], ...] = ()
    # Why no reply is due (a retweet, a news post, …), or None when one is.
    no_reply: str | None = None
    # The display name carried a link, an address or markup, so the greeting has no name.
    suspicious_name: bool = False


@dataclass(frozen=True)
class DraftReply:
    """A drafter's proposal, before a person sees it."""

    text: str
    language: Language
    action: DraftAction
    confidence: float
    citations: tuple[str, ...] = ()
    guideline_clauses: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    drafter: str = "offline"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # For a public post whose answer needs personal data: what to send privately instead.
    private_followup: str | None = None
    # How many answer sentences the reply took from its cited entries, of how many.
    sentences_taken: int = 0
    sentences_available: int = 0


class Drafter(Protocol):
    """Writes a reply from a prepared request."""

    async def draft(self, request: DraftRequest) -> DraftReply:
        """Return a draft; must cite only entries from `request.passages`."""
        ...

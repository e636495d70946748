"""The drafting pipeline: language, retrieval, triage, then the configured drafter.

What surrounds a drafter (which entries were found, which channel rules apply) is decided
here once, so every drafter receives the same `DraftRequest` (see `bot.drafting.port`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.drafting.language import detect_language
from bot.drafting.port import Drafter, DraftReply, DraftRequest
from bot.drafting.triage import triage
from bot.faq.files import Guidelines
from bot.faq.retrieval import Retriever
from bot.models import Channel, ChannelPolicy, Passage, Register

# A channel the guidelines say nothing about gets the cautious defaults.
DEFAULT_POLICY = ChannelPolicy(register=Register.SIE, max_length=1000)
_TITLES = frozenset({"frau", "herr", "dr", "prof", "mr", "mrs", "ms", "miss"})


@dataclass(frozen=True)
class DraftingContext:
    """What the pipeline needs besides the enquiry: the knowledge and the drafter."""

    retriever: Retriever
    guidelines: Guidelines
    drafter: Drafter
    answer_threshold: float = 0.3
    passages_per_draft: int = 5


def prepare_request(
    context: DraftingContext,
    text: str,
    channel: Channel,
    author_name: str | None,
    language_hint: str | None = None,
    hint: str | None = None,
    messages: Sequence[str] = (),
    previous_draft: str | None = None,
) -> DraftRequest:
    """Detect the language, retrieve passages and triage the enquiry.

    Args:
        context: retriever, guidelines and drafter.
        text: the customer's text (all messages of a burst, joined).
        channel: where the reply goes.
        author_name: the customer's name as the channel gave it.
        language_hint: the channel's word for the customer's language, if any.
        hint: a reviewer's hint for a regenerated draft.
        messages: the single messages of a burst, when there were several.
        previous_draft: the text of the draft a reviewer asked to regenerate.
    """
    detected = detect_language(text, hint=language_hint)
    passages = context.retriever.search(text, detected.language, k=context.passages_per_draft)
    per_message: tuple[tuple[Passage, ...], ...] = ()
    if len(messages) > 1:
        per_message = tuple(
            tuple(context.retriever.search(message, detected.language, k=3)) for message in messages
        )
    return DraftRequest(
        text=text,
        channel=channel,
        author_name=_first_name(author_name),
        language=detected.language,
        passages=tuple(passages),
        triage=triage(text),
        policy=context.guidelines.channels.get(channel.value, DEFAULT_POLICY),
        guidelines=context.guidelines,
        answer_threshold=context.answer_threshold,
        hint=hint,
        previous_draft=previous_draft,
        message_passages=per_message,
    )


async def draft_reply(
    context: DraftingContext,
    text: str,
    channel: Channel,
    author_name: str | None,
    language_hint: str | None = None,
    hint: str | None = None,
    messages: Sequence[str] = (),
    previous_draft: str | None = None,
) -> DraftReply:
    """Draft a reply to one enquiry (or a burst of `messages`) with the configured drafter."""
    request = prepare_request(
        context, text, channel, author_name, language_hint, hint, messages, previous_draft
    )
    return await context.drafter.draft(request)


def _first_name(author_name: str | None) -> str | None:
    if not author_name or not author_name.strip():
        return None
    words = author_name.strip().lstrip("@").split()
    if words[0].rstrip(".").lower() in _TITLES and len(words) > 1:
        return f"{words[0]} {words[-1]}"  # "Frau Berger" stays whole: "Hallo Frau," is rude
    first = words[0]
    # Handles like "@nordlicht_fan99" are not names; greeting them by handle feels robotic.
    if any(char.isdigit() or char == "_" for char in first):
        return None
    return first

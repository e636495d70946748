"""The drafting pipeline: language, retrieval, triage, then the configured drafter.

What surrounds a drafter (which entries were found, which channel rules apply) is decided
here once, so every drafter receives the same `DraftRequest` (see `bot.drafting.port`).

`draft_reply` bounds the work one enquiry can cause: it drafts from the first
`MAX_DRAFTED_CHARS` characters (flagging `TEXT_TRUNCATED`), and runs the preparation, which
is synchronous CPU work, in a worker thread so the event loop keeps serving others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.drafting.language import detect_language
from bot.drafting.port import Drafter, DraftReply, DraftRequest
from bot.drafting.reply_needed import reply_needed
from bot.drafting.salutation import is_suspicious_name, salutation_name
from bot.drafting.triage import triage
from bot.faq.files import Guidelines
from bot.faq.retrieval import Searcher
from bot.models import Channel, ChannelPolicy, Passage, Register

# A channel the guidelines say nothing about gets the cautious defaults.
DEFAULT_POLICY = ChannelPolicy(register=Register.SIE, max_length=1000)
# A question ends at its question mark(s); what follows starts the next part.
_QUESTION_END = re.compile(r"(?<=\?)[\s\u00a0]+")
# A part with fewer words is a reaction ("Echt jetzt?"), not a question of its own.
_MIN_QUESTION_WORDS = 4
# Drafting reads this much of a post (and of each message of a burst or earlier message).
# Retrieval grows with the text (20,000 characters took 14 s and half a GB); real enquiries
# are far shorter, and the reviewer reads the whole post on the card anyway.
MAX_DRAFTED_CHARS = 2000
# The draft's flag when the enquiry was cut to `MAX_DRAFTED_CHARS` for drafting.
TEXT_TRUNCATED = "text_truncated"
_PREPARING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drafting")


@dataclass(frozen=True)
class DraftingContext:
    """What the pipeline needs besides the enquiry: the knowledge and the drafter."""

    retriever: Searcher
    guidelines: Guidelines
    drafter: Drafter
    # None: the retriever's own (fitted for the fused retriever).
    answer_threshold: float | None = None
    passages_per_draft: int = 5

    @property
    def threshold(self) -> float:
        """The score from which a draft answers with an entry instead of escalating."""
        if self.answer_threshold is not None:
            return self.answer_threshold
        return self.retriever.answer_threshold


def prepare_request(
    context: DraftingContext,
    text: str,
    channel: Channel,
    author_name: str | None,
    language_hint: str | None = None,
    hint: str | None = None,
    messages: Sequence[str] = (),
    previous_draft: str | None = None,
    history: Sequence[str] = (),
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
        history: the customer's earlier messages in this conversation, oldest first (they
            decide the language of a post too short to tell).
    """
    detected = detect_language(text, hint=language_hint, history=history)
    passages = context.retriever.search(text, detected.language, k=context.passages_per_draft)
    parts = list(messages) if len(messages) > 1 else question_parts(text)
    per_message: tuple[tuple[Passage, ...], ...] = ()
    if len(parts) > 1:
        per_message = tuple(
            tuple(context.retriever.search(part, detected.language, k=3)) for part in parts
        )
    policy = context.guidelines.channels.get(channel.value, DEFAULT_POLICY)
    voice = context.guidelines.voice
    return DraftRequest(
        text=text,
        channel=channel,
        author_name=salutation_name(
            author_name,
            policy.register,
            detected.language,
            derive_title=voice.derive_salutation_title,
        ),
        language=detected.language,
        passages=tuple(passages),
        triage=triage(text),
        policy=policy,
        guidelines=context.guidelines,
        answer_threshold=context.threshold,
        hint=hint,
        previous_draft=previous_draft,
        message_passages=per_message,
        suspicious_name=is_suspicious_name(author_name),
        no_reply=reply_needed(
            text,
            author_name=author_name,
            company_handles=tuple(voice.handles.values()),
            company_names=tuple(n for n in (voice.company, voice.team) if n),
        ),
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
    history: Sequence[str] = (),
) -> DraftReply:
    """Draft a reply to one enquiry (or a burst of `messages`) with the configured drafter.

    Each text is cut to `MAX_DRAFTED_CHARS` first; when the enquiry itself was cut, the
    reply carries the `TEXT_TRUNCATED` flag. Arguments as for `prepare_request`.
    """
    cut_messages = [message[:MAX_DRAFTED_CHARS] for message in messages]
    truncated = any(len(part) > MAX_DRAFTED_CHARS for part in (text, *messages))
    # Language detection, retrieval and triage are synchronous CPU work: in a worker thread
    # they cannot stall other requests. They only read shared state (the ONNX sessions,
    # Chroma, the BM25 index, lru_cache'd word lists), which is safe from several threads.
    # One thread for all of them: several CPU-bound threads would take the GIL from the
    # event loop in turn and slow every request down.
    request = await asyncio.get_running_loop().run_in_executor(
        _PREPARING,
        functools.partial(
            prepare_request,
            context,
            text[:MAX_DRAFTED_CHARS],
            channel,
            author_name,
            language_hint,
            hint,
            cut_messages,
            previous_draft,
            [earlier[:MAX_DRAFTED_CHARS] for earlier in history],
        ),
    )
    reply = await context.drafter.draft(request)
    if truncated and TEXT_TRUNCATED not in reply.flags:
        return dataclasses.replace(reply, flags=(*reply.flags, TEXT_TRUNCATED))
    return reply


def question_parts(text: str) -> list[str]:
    """Split a post into its questions, so each finds its own entry.

    One part (the whole text) unless at least two parts ending in a question mark each
    have `_MIN_QUESTION_WORDS` words; text after the last question joins the last part.
    """
    pieces = [piece.strip() for piece in _QUESTION_END.split(text) if piece.strip()]
    if len(pieces) > 1 and not pieces[-1].endswith("?"):
        pieces[-2:] = [f"{pieces[-2]} {pieces[-1]}"]
    questions = [piece for piece in pieces if len(piece.split()) >= _MIN_QUESTION_WORDS]
    return questions if len(questions) > 1 and len(questions) == len(pieces) else [text]

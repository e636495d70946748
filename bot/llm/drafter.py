"""The language-model drafter: LangChain `ChatOpenAI` against any OpenAI-compatible server.

The model answers in a typed structure (`LlmDraft`); everything it says is then checked
(`bot.llm.grounding`, `bot.llm.safety`) before a person sees it. A reply in the wrong
language or an unreadable answer gets one corrective retry, then the offline draft takes
over; a reply that obeyed an attack is replaced by the offline draft and escalated. Every
correction is a flag on the draft.

Usage::

    drafter = LlmDrafter(LlmServer(model="gpt-4o-mini", base_url="http://localhost:8000/v1"))
    reply = await drafter.draft(prepare_request(context, text, channel, author))
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import openai
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langchain_openai import ChatOpenAI
from pydantic import ValidationError

from bot.drafting.fallback import OFFLINE_FALLBACK
from bot.drafting.offline import OfflineDrafter
from bot.drafting.port import DraftReply, DraftRequest
from bot.drafting.triage import Label
from bot.llm import grounding, safety  # the modules, not the face
from bot.llm.errors import map_openai_error
from bot.llm.grounding import PUBLIC_CHANNELS, offered_passages
from bot.llm.prompting import (
    PromptSet,
    build_messages,
    build_retry_messages,
    correction_note,
)
from bot.llm.schema import (
    LlmDraft,
    LlmDraftReply,
    private_text,
    public_text,
    response_schema,
)
from bot.llm.server import LlmServer
from bot.models import DraftAction, Passage
from bot.observability.metrics import LlmErrorKind, count_llm_error, count_llm_tokens, llm_failed

FALLBACK_OFFLINE = "fallback_offline"
MALFORMED_ANSWER = "malformed_answer"
NEEDS_PERSON = "needs_person"
NO_MATCHING_ENTRY = "no_matching_entry"
MODEL_ESCALATION = "model_escalation"
LOW_CONFIDENCE = "low_confidence"
_CORRECTED = {"language": "wrong_language_corrected", "malformed": "malformed_answer_corrected"}
_FAILED = {"language": grounding.WRONG_LANGUAGE, "malformed": MALFORMED_ANSWER}
_RAW_LABELS = frozenset(label.value for label in Label)


@dataclass
class _Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    flags: list[str] = field(default_factory=list)


class LlmDrafter:
    """Drafts with a language model; see the module docstring for the checks."""

    name = "llm"

    def __init__(
        self,
        server: LlmServer,
        *,
        fallback: OfflineDrafter | None = None,
        prompts: PromptSet | None = None,
    ) -> None:
        model = ChatOpenAI(
            model=server.model,
            base_url=server.url,
            api_key=server.key,
            max_retries=server.max_retries,
            timeout=server.timeout_seconds,
        )
        # A ready JSON schema, not the pydantic class: the class makes the openai client
        # rebuild the schema and parse on every call (measured: ~5 ms a draft), and its
        # parse errors would escape include_raw. The answer is validated below instead.
        self._structured = model.with_structured_output(
            response_schema(), method="json_schema", include_raw=True, strict=True
        )
        self._semaphore = asyncio.Semaphore(server.max_concurrency)
        self._fallback = fallback or OfflineDrafter()
        self._prompts = prompts or PromptSet.load()
        self._fingerprint = safety.leak_fingerprint(self._prompts.instruction_texts())

    async def draft(self, request: DraftRequest) -> DraftReply:
        """Draft a reply to `request`; a reviewer's `request.hint` asks for a new version."""
        return await self.redraft(request, previous_draft=request.previous_draft)

    async def redraft(self, request: DraftRequest, previous_draft: str | None) -> DraftReply:
        """Draft again, showing the model its `previous_draft` and the reviewer's hint.

        Raises:
            TransientError: the server is unreachable or overloaded after the retries.
            RateLimitedError: the server asked to wait `retry_after` seconds.
            PermanentError: the server refused the request (key, model, bad request).
        """
        if request.triage.is_spam:  # no reply is written for spam, so no model call either
            return replace(self._fallback.compose(request), drafter=self.name)
        usage = _Usage()
        if request.hint:
            messages = build_retry_messages(request, self._prompts, previous_draft, request.hint)
        else:
            messages = build_messages(request, self._prompts)
        answer = await self._ask(messages, usage, request)
        problem = self._problem(answer, request)
        if answer is not None and problem and safety.UNSAFE_REPLY in self._unsafe(request, answer):
            # Obeyed an attack: a retry would only ask the same model again.
            usage.flags.append(_FAILED[problem])
            problem = None
        if problem is not None or answer is None:
            problem = problem or "malformed"
            note = correction_note(self._prompts, problem, request)
            if request.hint:
                note = f"{request.hint}\n{note}"
            previous = answer.reply if answer else previous_draft
            retry = build_retry_messages(request, self._prompts, previous, note)
            answer = await self._ask(retry, usage, request)
            if answer is None or self._problem(answer, request) is not None:
                usage.flags += [_FAILED[problem], FALLBACK_OFFLINE]
                return self._offline(request, usage)
            usage.flags.append(_CORRECTED[problem])
        return self._check(request, answer, usage)

    async def _ask(
        self, messages: list[BaseMessage], usage: _Usage, request: DraftRequest
    ) -> LlmDraft | None:
        # Shown in LangChain tracing (LANGSMITH_TRACING); ids and settings only, no text.
        config: RunnableConfig = {
            "run_name": "replydesk.draft",
            "tags": ["replydesk"],
            "metadata": {"channel": request.channel.value, "language": request.language.value},
        }
        try:
            async with self._semaphore:
                result = await self._structured.ainvoke(messages, config=config)
        except openai.APIError as error:
            raise llm_failed(map_openai_error(error)) from error
        if not isinstance(result, dict):
            count_llm_error(LlmErrorKind.MALFORMED)
            return None
        raw = result.get("raw")
        metadata = getattr(raw, "usage_metadata", None)
        if metadata:
            usage.prompt_tokens += int(metadata.get("input_tokens", 0))
            usage.completion_tokens += int(metadata.get("output_tokens", 0))
            count_llm_tokens(metadata.get("input_tokens", 0), metadata.get("output_tokens", 0))
        try:  # unreadable JSON arrives as parsed=None with a parsing_error
            parsed = LlmDraft.model_validate(result.get("parsed"))
        except ValidationError:
            parsed = None
        if parsed is None or not parsed.reply.strip():
            count_llm_error(LlmErrorKind.MALFORMED)
            return None
        return parsed

    def _problem(self, answer: LlmDraft | None, request: DraftRequest) -> str | None:
        if answer is None:
            return "malformed"
        if grounding.check_language(public_text(answer, request), request.language):
            return "language"
        return None

    def _unsafe(self, request: DraftRequest, answer: LlmDraft) -> tuple[str, ...]:
        offered = offered_passages(request)
        replies = grounding.offered_replies(request)
        citations, _ = grounding.check_citations(answer.cited_entry_ids, offered, replies)
        cited = [p.entry for p in offered if p.entry.id in citations]
        used = [reply.text for reply in replies if reply.citation in citations]
        sources = safety.ReplySources(
            cited_text="\n".join(
                [*(f"{entry.question}\n{entry.answer}" for entry in cited), *used]
            ),
            guideline_text="\n".join(c.text for c in request.guidelines.clauses),
            customer_text=request.text,
            author_name=request.author_name or "",
            fingerprint=self._fingerprint,
        )
        private = private_text(answer, request) or ""
        replied = f"{public_text(answer, request)}\n\n{private}"
        return safety.find_unsafe_content(replied, sources, request.triage)

    def _check(self, request: DraftRequest, answer: LlmDraft, usage: _Usage) -> DraftReply:
        flags = [*safety.input_flags(request.triage), *usage.flags]
        text, private = public_text(answer, request), private_text(answer, request)
        offered = offered_passages(request)
        replies = grounding.offered_replies(request)
        citations, found = grounding.check_citations(answer.cited_entry_ids, offered, replies)
        flags += found
        clauses, found = grounding.check_clauses(answer.guideline_clause_ids, request.guidelines)
        flags += found
        unsafe = self._unsafe(request, answer)
        if safety.UNSAFE_REPLY in unsafe:
            usage.flags = [*usage.flags, *unsafe, FALLBACK_OFFLINE]
            return self._offline(request, usage, action=DraftAction.ESCALATE)
        flags += unsafe
        if request.channel in PUBLIC_CHANNELS:
            redacted = grounding.redact_personal_data(text, request.text)
            if redacted.flags and private is None:
                private = text  # the full answer goes to the customer privately instead
            text, flags = redacted.text, [*flags, *redacted.flags]
        fitted = grounding.fit_length(text, request.policy.max_length)
        text, flags = fitted.text, [*flags, *fitted.flags]
        if private is not None:
            fitted = grounding.fit_length(private, request.policy.max_length)
            private, flags = fitted.text, [*flags, *fitted.flags]
        flags += grounding.check_register(
            f"{text}\n{private or ''}", request.language, request.policy.register, request.text
        )
        confidence = min(_retrieval_score(offered, citations), _clamp(answer.confidence))
        reasons = _escalation_reasons(request, answer, citations, confidence)
        return LlmDraftReply(
            text=text,
            language=request.language,
            action=DraftAction.ESCALATE if reasons else DraftAction.REVIEW,
            confidence=round(confidence, 3),
            citations=citations,
            guideline_clauses=clauses,
            flags=_unique([*flags, *reasons]),
            drafter=self.name,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            private_followup=private,
        )

    def _offline(
        self, request: DraftRequest, usage: _Usage, action: DraftAction | None = None
    ) -> DraftReply:
        reply = self._fallback.compose(request)
        own = [flag for flag in reply.flags if flag not in _RAW_LABELS]
        return replace(
            reply,
            action=action or reply.action,
            flags=_unique([*safety.input_flags(request.triage), *usage.flags, *own]),
            drafter=OFFLINE_FALLBACK,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )


def _retrieval_score(passages: Sequence[Passage], citations: Sequence[str]) -> float:
    scores = [p.score for p in passages if p.entry.id in citations]
    return max(scores) if scores else 0.0


def _escalation_reasons(
    request: DraftRequest, answer: LlmDraft, citations: Sequence[str], confidence: float
) -> list[str]:
    reasons = []
    if request.triage.needs_person:
        reasons.append(NEEDS_PERSON)
    entries = [c for c in citations if not c.startswith("reply:")]
    if not entries and not _only_thanks(request, citations):
        # A standard reply alone ("we're looking into it") answers nothing: a person owns it.
        reasons.append(NO_MATCHING_ENTRY)
    elif confidence < request.answer_threshold:
        reasons.append(LOW_CONFIDENCE)
    if answer.needs_escalation:
        reasons.append(MODEL_ESCALATION)
    return reasons


def _only_thanks(request: DraftRequest, citations: Sequence[str]) -> bool:
    """Praise answered with the thanks reply needs no FAQ entry."""
    return (
        bool(citations)
        and Label.PRAISE in request.triage.labels
        and all(c.startswith("reply:thanks") for c in citations)
    )


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))

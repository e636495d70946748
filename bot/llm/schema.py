"""The model's structured answer and the draft built from it.

`LlmDraft` is sent as the json_schema response format (strict, so every field is required);
`LlmDraftReply` is a `DraftReply` that may also carry a private follow-up message.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

from bot.drafting.port import DraftReply, DraftRequest
from bot.llm.grounding import PUBLIC_CHANNELS


def _trim_schema(schema: JsonDict) -> None:
    # pydantic sends the class docstring as the schema description; instructions to the
    # model live in prompts/llm/ only. Field titles only cost prompt tokens. Strict mode
    # wants every field required (they are: no defaults) and no extra properties.
    schema.pop("description", None)
    schema["additionalProperties"] = False
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for spec in properties.values():
            if isinstance(spec, dict):
                spec.pop("title", None)


class LlmDraft(BaseModel):
    """The model's structured answer (the JSON schema sent as response_format)."""

    model_config = ConfigDict(json_schema_extra=_trim_schema)

    # No defaults: OpenAI's strict structured output requires every field anyway.
    reply: str
    language: str
    cited_entry_ids: list[str]
    guideline_clause_ids: list[str]
    confidence: float
    needs_escalation: bool
    public_reply: str | None
    private_followup: str | None


def response_schema() -> dict[str, object]:
    """The JSON schema sent as `response_format`, built once instead of on every call."""
    return dict(LlmDraft.model_json_schema())


@dataclass(frozen=True)
class LlmDraftReply(DraftReply):
    """A language-model draft; `private_followup` (on `DraftReply`) may carry a private message."""


def public_text(answer: LlmDraft, request: DraftRequest) -> str:
    """The text for the card: the short public reply on a public channel, if the model split."""
    if request.channel in PUBLIC_CHANNELS and answer.public_reply and answer.public_reply.strip():
        return answer.public_reply.strip()
    return answer.reply.strip()


def private_text(answer: LlmDraft, request: DraftRequest) -> str | None:
    """The private follow-up, when the model split a public answer; None otherwise."""
    if request.channel not in PUBLIC_CHANNELS or not (answer.public_reply or "").strip():
        return None  # on a private channel the reply itself is the private message
    return (answer.private_followup or answer.reply).strip() or None

"""Builds the chat messages for the language model from the files in `prompts/llm/`.

No prompt text lives here: `system.md`, `draft.md` and `regenerate.md` hold the wording,
`phrases.yaml` the words inserted into them. Placeholders are `{name}`, filled in one pass,
so a value (the customer's text above all) is never read as template syntax, and the
customer's text is fenced in `<customer_message>` tags it cannot close itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from bot.drafting.port import DraftRequest
from bot.drafting.triage import Label
from bot.errors import PermanentError
from bot.faq.replies import StandardReply
from bot.faq.text import plain_text
from bot.llm.grounding import (
    PUBLIC_CHANNELS,
    offered_passages,
    offered_replies,
    shorten_at_sentence,
)
from bot.models import FaqEntry, GuidelineClause, Passage
from bot.resources import PROMPTS_DIR

# Clause roles every draft is written under; triage adds the ones its labels imply.
BASE_ROLES = (
    "honesty",
    "register",
    "length",
    "escalation",
    "no_internal",
    "complaints",
    "private_message",
    "abuse",
)
LABEL_ROLES = {
    Label.SPAM: "spam",
    Label.SAFETY: "escalation",
    Label.PERSONAL_DATA: "private_message",
}
# Budgets that keep a draft prompt near 1,500 tokens with five entries (benchmarks/).
ANSWER_CHARS = 400
CLAUSE_CHARS = 220
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_FENCED_TAGS = ("customer_message", "previous_draft", "reviewer_note", "entry", "reply")


@dataclass(frozen=True)
class PromptSet:
    """The prompt files of one folder, loaded once."""

    system: str
    draft: str
    regenerate: str
    phrases: Mapping[str, object]

    @classmethod
    def load(cls, folder: Path | None = None) -> PromptSet:
        """Read `system.md`, `draft.md`, `regenerate.md` and `phrases.yaml` from `folder`.

        Raises:
            PermanentError: a file is missing or `phrases.yaml` is not a mapping.
        """
        return _load(folder or PROMPTS_DIR / "llm")

    def instruction_texts(self) -> tuple[str, ...]:
        """Our own wording (placeholders cut out), which a reply must never quote."""
        pieces = [self.system]
        for template in (self.draft, self.regenerate):
            pieces += _PLACEHOLDER.split(template)[::2]
        return tuple(piece for piece in pieces if piece.strip())

    def phrase(self, *path: str) -> str:
        """Return the phrase at `path` in `phrases.yaml`, e.g. ("languages", "de")."""
        node: object = self.phrases
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                raise PermanentError(f"prompts/llm/phrases.yaml has no {'.'.join(path)}")
            node = node[key]
        return str(node)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill `{name}` placeholders in one pass; inserted values are never parsed again.

    Raises:
        PermanentError: the template names a placeholder that has no value.
    """

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise PermanentError(f"prompt placeholder {{{name}}} has no value")
        return values[name]

    return _PLACEHOLDER.sub(fill, template)


def neutralise_tags(text: str) -> str:
    """Defuse our own delimiter tags inside untrusted text so it cannot leave its fence."""
    pattern = "|".join(_FENCED_TAGS)
    return re.sub(rf"<\s*(/?)\s*({pattern})\b[^>]*>", r"[\1\2]", text, flags=re.IGNORECASE)


def select_clauses(request: DraftRequest) -> list[GuidelineClause]:
    """The guideline clauses for this draft: the base roles plus what triage implies."""
    roles = [
        *BASE_ROLES,
        *(LABEL_ROLES[lbl] for lbl in request.triage.labels if lbl in LABEL_ROLES),
    ]
    wanted = {request.guidelines.clause_for(role) for role in roles}
    return [clause for clause in request.guidelines.clauses if clause.id in wanted]


def build_messages(request: DraftRequest, prompts: PromptSet) -> list[BaseMessage]:
    """The system and draft messages for a first attempt."""
    return [SystemMessage(prompts.system), HumanMessage(render_draft(request, prompts))]


def build_retry_messages(
    request: DraftRequest, prompts: PromptSet, previous_draft: str | None, note: str
) -> list[BaseMessage]:
    """The first attempt's messages plus a regenerate message carrying `note`.

    Used both for a reviewer's hint and for the drafter's own corrective retry.
    """
    previous = previous_draft if previous_draft else prompts.phrase("no_previous_draft")
    regenerate = render(
        prompts.regenerate,
        {"previous_draft": neutralise_tags(previous), "hint": neutralise_tags(note)},
    )
    return [*build_messages(request, prompts), HumanMessage(regenerate)]


def correction_note(prompts: PromptSet, problem: str, request: DraftRequest) -> str:
    """The note for a corrective retry after check `problem` ("language", "malformed")."""
    language = prompts.phrase("languages", request.language.value)
    return render(prompts.phrase("corrections", problem), {"language": language})


def render_draft(request: DraftRequest, prompts: PromptSet) -> str:
    """The draft message: channel rules, entries, standard replies, clauses, customer text."""
    language = request.language.value
    public = request.channel in PUBLIC_CHANNELS
    labels = sorted(lbl.value for lbl in request.triage.labels if lbl is not Label.QUESTION)
    values = {
        "channel": request.channel.value,
        "visibility": prompts.phrase("visibility", "public" if public else "private"),
        "language": prompts.phrase("languages", language),
        "register": prompts.phrase("registers", language, request.policy.register.value),
        "max_length": str(request.policy.max_length),
        "customer_name": request.author_name or prompts.phrase("unknown_name"),
        "sign_off": request.guidelines.voice.sign_off(
            request.language, request.policy.register, request.channel.value
        )
        or prompts.phrase("no_sign_off"),
        "labels": ", ".join(labels) if labels else prompts.phrase("no_labels"),
        "entries": _render_entries(offered_passages(request)) or prompts.phrase("no_entries"),
        "replies": "\n".join(map(_render_reply, offered_replies(request)))
        or prompts.phrase("no_replies"),
        "clauses": "\n\n".join(_render_clause(clause) for clause in select_clauses(request)),
        "customer_text": neutralise_tags(request.text.strip()),
    }
    return render(prompts.draft, values)


def _render_entries(passages: tuple[Passage, ...]) -> str:
    return "\n".join(_render_entry(passage.entry) for passage in passages)


# Entries and clauses are immutable values: render each once, not on every draft.
@lru_cache(maxsize=1024)
def _render_entry(entry: FaqEntry) -> str:
    answer = shorten_at_sentence(plain_text(entry.answer), ANSWER_CHARS)
    return (
        f'<entry id="{entry.id}" language="{entry.language.value}">\n'
        f"Q: {entry.question}\nA: {answer}\n</entry>"
    )


@lru_cache(maxsize=256)
def _render_reply(reply: StandardReply) -> str:
    # Approved wording is shown whole: the model may use it as it stands.
    return (
        f'<reply id="{reply.citation}" kind="{reply.kind.value}">\n'
        f"{plain_text(reply.text)}\n</reply>"
    )


@lru_cache(maxsize=256)
def _render_clause(clause: GuidelineClause) -> str:
    text = shorten_at_sentence(plain_text(clause.text), CLAUSE_CHARS)
    return f"{clause.id} {clause.title}: {text}"


@lru_cache(maxsize=4)
def _load(folder: Path) -> PromptSet:
    try:
        system, draft, regenerate = (
            (folder / name).read_text(encoding="utf-8").strip()
            for name in ("system.md", "draft.md", "regenerate.md")
        )
        phrases = yaml.safe_load((folder / "phrases.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PermanentError(f"LLM prompts in {folder} cannot be read: {error}") from None
    if not isinstance(phrases, dict):
        raise PermanentError(f"{folder / 'phrases.yaml'} must be a mapping")
    return PromptSet(system, draft, regenerate, phrases)

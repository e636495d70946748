"""Composes replies without a language model, from `prompts/offline/<language>.yaml`.

It only ever states what the best cited entry says: greeting, acknowledgement and closing
come from the templates, the facts from the entry. When no entry is good enough it says so
and suggests escalation; spam gets no reply at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.drafting.port import DraftReply, DraftRequest
from bot.drafting.triage import Label
from bot.errors import PermanentError
from bot.faq.text import plain_text, split_sentences
from bot.models import DraftAction, Language, Passage, Register
from bot.resources import PROMPTS_DIR

_DU_FORMS = re.compile(r"\b(du|dich|dir|dein\w*)\b", re.IGNORECASE)
_SHORTER_HINTS = re.compile(r"\b(short|shorter|kürzer|kurz|knapp)\b", re.IGNORECASE)
_PUBLIC_CHANNELS = frozenset({"facebook", "instagram", "x"})


@dataclass(frozen=True)
class _Parts:
    """The pieces of a reply, in order; dropped from the least important when too long."""

    greeting: str
    opening: str
    body: list[str]
    private: str
    closing: str

    def render(self) -> str:
        blocks = [self.greeting, self.opening, " ".join(self.body), self.private, self.closing]
        return "\n\n".join(block for block in blocks if block)


class OfflineDrafter:
    """Template-based drafter; the default when no language model is configured."""

    name = "offline"

    def __init__(self, templates_dir: Path | None = None) -> None:
        self._templates_dir = templates_dir or PROMPTS_DIR / "offline"

    async def draft(self, request: DraftRequest) -> DraftReply:
        """Compose a reply for `request` (see the module docstring for the rules)."""
        return self.compose(request)

    def compose(self, request: DraftRequest) -> DraftReply:
        """Compose synchronously; `draft` is the async port method around it."""
        templates = _load_templates(self._templates_dir, request.language)
        register = request.policy.register
        roles = request.guidelines
        clauses = [c for c in (roles.clause_for("register"), roles.clause_for("length")) if c]
        best = _best_passage(request)
        confidence = round(request.passages[0].score, 3) if request.passages else 0.0
        answered, unanswered = _answers_for_each_message(request)
        if answered and (best is None or best.entry.id not in {p.entry.id for p in answered}):
            # Each question found its entry, the post as a whole matches none well: the
            # questions are what the customer asked, and the weakest answer is the confidence.
            best = answered[0]
            confidence = round(min(passage.score for passage in answered), 3)
        labels = request.triage.labels
        flags = sorted(label.value for label in labels if label is not Label.QUESTION)

        if request.triage.is_spam:
            spam_clause = roles.clause_for("spam")
            return DraftReply(
                "",
                request.language,
                DraftAction.IGNORE,
                confidence,
                guideline_clauses=tuple(c for c in [spam_clause] if c),
                flags=tuple(flags),
            )

        greeting = _greeting(templates, register, request.author_name)
        closing = _pick(templates, "closing", register)
        opening = _pick(templates, "thanks", register)
        if labels & {Label.COMPLAINT, Label.SARCASM}:
            opening = _pick(templates, "complaint", register)
            clauses.append(roles.clause_for("complaints") or "")
        if Label.ABUSIVE in labels:
            opening = _pick(templates, "abusive", register)
            clauses.append(roles.clause_for("abuse") or "")

        if best is None or request.triage.needs_person:
            reason = "needs_person" if request.triage.needs_person else "no_matching_entry"
            clauses += [roles.clause_for("escalation") or "", roles.clause_for("honesty") or ""]
            parts = _Parts(greeting, _pick(templates, "escalate", register), [], "", closing)
            text, shortened = _fit(parts, request.policy.max_length)
            return DraftReply(
                text,
                request.language,
                DraftAction.ESCALATE,
                confidence,
                guideline_clauses=_unique(clauses),
                flags=tuple([*flags, reason, *shortened]),
            )

        cited = answered or [best]
        body: list[str] = []
        for passage in cited:
            answer = split_sentences(plain_text(passage.entry.answer))
            answer = answer or [plain_text(passage.entry.answer)]
            if passage.entry.language != request.language:
                # No translation exists: say so rather than pass off a foreign text silently.
                foreign = _pick(templates, "foreign_answer", register)
                answer = [f"{foreign} {answer[0]}", *answer[1:]]
                flags.append("answer_in_other_language")
            body.extend(answer)
        if request.hint and _SHORTER_HINTS.search(request.hint):
            body, opening = body[:1], ""
        if answered and unanswered:
            # Answer what the knowledge answers; say openly that a person takes the rest.
            body.append(_pick(templates, "unanswered_part", register))
            clauses.append(roles.clause_for("escalation") or "")
            flags.append("part_unanswered")
        private = ""
        if Label.PERSONAL_DATA in labels and request.channel.value in _PUBLIC_CHANNELS:
            private = _pick(templates, "private", register)
            clauses.append(roles.clause_for("private_message") or "")
        parts = _Parts(greeting, opening, body, private, closing)
        text, shortened = _fit(parts, request.policy.max_length)
        if (
            request.language is Language.DE
            and register is Register.SIE
            and _DU_FORMS.search(" ".join(body))
        ):
            flags.append("register_mismatch")
        return DraftReply(
            text,
            request.language,
            DraftAction.REVIEW,
            confidence,
            citations=tuple(passage.entry.id for passage in cited),
            guideline_clauses=_unique(clauses),
            flags=tuple([*flags, *shortened]),
        )


def _answers_for_each_message(request: DraftRequest) -> tuple[list[Passage], int]:
    """Per question or message, its best good-enough entry (each entry once).

    Also returns how many questions found none.
    """
    chosen: dict[str, Passage] = {}
    unanswered = 0
    for passages in request.message_passages:
        if passages and passages[0].score >= request.answer_threshold:
            chosen.setdefault(passages[0].entry.id, passages[0])
        else:
            unanswered += 1
    return list(chosen.values()), unanswered


def _best_passage(request: DraftRequest) -> Passage | None:
    if not request.passages or request.passages[0].score < request.answer_threshold:
        return None
    return request.passages[0]


def _fit(parts: _Parts, limit: int) -> tuple[str, list[str]]:
    """Shorten from the least important part until the reply fits the channel's limit.

    Order: the closing goes first, then answer sentences after the first, then the opening
    (an apology outweighs a second fact), and only then is the text cut at a word.
    """
    text = parts.render()
    if len(text) <= limit:
        return text, []
    no_closing = _Parts(parts.greeting, parts.opening, parts.body, parts.private, "")
    candidates = [no_closing]
    candidates += [
        _Parts(parts.greeting, parts.opening, parts.body[:n], parts.private, "")
        for n in range(len(parts.body) - 1, 0, -1)
    ]
    candidates.append(_Parts(parts.greeting, "", parts.body[:1], parts.private, ""))
    for candidate in candidates:
        text = candidate.render()
        if len(text) <= limit:
            return text, ["shortened"]
    cut = text[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…", ["shortened"]


def _greeting(templates: dict[str, object], register: Register, name: str | None) -> str:
    forms = _section(templates, "greeting", register)
    if not isinstance(forms, dict):
        raise PermanentError("greeting templates need 'named' and 'anonymous'")
    return str(forms["named"]).format(name=name) if name else str(forms["anonymous"])


def _pick(templates: dict[str, object], key: str, register: Register) -> str:
    return str(_section(templates, key, register))


def _section(templates: dict[str, object], key: str, register: Register) -> object:
    section = templates.get(key)
    if not isinstance(section, dict) or register.value not in section:
        raise PermanentError(f"reply template {key!r} has no {register.value!r} form")
    return section[register.value]


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


@lru_cache(maxsize=8)
def _load_templates(folder: Path, language: Language) -> dict[str, object]:
    path = folder / f"{language.value}.yaml"
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PermanentError(f"reply templates {path} cannot be read: {error}") from None
    if not isinstance(loaded, dict):
        raise PermanentError(f"reply templates {path} must be a mapping")
    return loaded

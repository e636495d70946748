"""The holding statement for an outage, and each customer's personal reply built from it.

During a disruption everyone who asks gets the same answer (guidelines, crisis clause):
confirm the disruption, link the status page, no guess at cause or duration, what to do
now. The wording is the knowledge folder's `holding_statement` standard replies, approved
by the editors; `draft_statement` picks one per language and register (German Du and Sie,
English) and cites it with the crisis clause. A lead may edit the texts (`with_texts`)
before approving; `personal_reply` then puts each customer's greeting in front.

    statement = draft_statement(knowledge, "outage", examples=posts)
    text = statement.text_for(Language.DE, Register.SIE)
    reply = personal_reply(text, name="Gerda Hoffmann", language=Language.DE,
                           register=Register.SIE, channel=Channel.WEBHOOK,
                           guidelines=knowledge.guidelines)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.drafting.composition import ReplyParts, fit_to_length
from bot.drafting.pipeline import DEFAULT_POLICY
from bot.drafting.salutation import salutation_name
from bot.drafting.standard_replies import links_in, reply_sentences, written_in
from bot.drafting.templates import load_templates
from bot.errors import PermanentError
from bot.faq.files import Guidelines, KnowledgeBase
from bot.faq.lexical import tokenize
from bot.faq.replies import ReplyKind, StandardReply
from bot.models import Channel, Language, Register
from bot.resources import PROMPTS_DIR

# Every statement has a text for each of these (empty when none could be drafted).
FORMS: tuple[tuple[Language, Register | None], ...] = (
    (Language.DE, Register.DU),
    (Language.DE, Register.SIE),
    (Language.EN, None),
)


@dataclass(frozen=True)
class StatementText:
    """The statement in one language and register; `register` is None for English."""

    language: Language
    register: Register | None
    text: str


@dataclass(frozen=True)
class Statement:
    """A holding statement in every form, and what it cites ("§5", "reply:<id>", …).

    `texts` holds one text per form of `FORMS`, in that order; an empty text means no
    standard reply fits that form and a lead has to write it before approving.
    """

    texts: tuple[StatementText, ...]
    citations: tuple[str, ...]

    def text_for(self, language: Language, register: Register) -> str | None:
        """The text for a reply in `language` and `register`, or None when there is none."""
        key = _form(language, register)
        found = next((t.text for t in self.texts if (t.language, t.register) == key), "")
        return found or None

    def with_texts(self, texts: Mapping[tuple[Language, Register | None], str]) -> Statement:
        """The statement with the texts a lead wrote or edited; other forms stay as they were.

        English keys may name any register (or None): English has one text.
        """
        merged = {(t.language, t.register): t.text for t in self.texts}
        merged.update({_form(*key): text.strip() for key, text in texts.items()})
        return replace(
            self,
            texts=tuple(StatementText(*key, merged[key]) for key in FORMS if key in merged),
        )

    def to_json(self) -> dict[str, object]:
        """A JSON-ready mapping, as stored in the spike's `statement` column."""
        return {
            "texts": [
                {
                    "language": t.language.value,
                    "register": t.register.value if t.register else None,
                    "text": t.text,
                }
                for t in self.texts
            ],
            "citations": list(self.citations),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Statement:
        """Read what `to_json` wrote.

        Raises:
            PermanentError: `data` is not a stored statement.
        """
        raw_texts, citations = data.get("texts"), data.get("citations", [])
        if not isinstance(raw_texts, list) or not isinstance(citations, list):
            raise PermanentError("a stored statement needs a 'texts' and a 'citations' list")
        texts = []
        for item in raw_texts:
            try:
                register = item["register"]
                texts.append(
                    StatementText(
                        Language(item["language"]),
                        Register(register) if register else None,
                        str(item["text"]),
                    )
                )
            except (KeyError, TypeError, ValueError):
                raise PermanentError(
                    f"a stored statement text is malformed: {item!r:.80}"
                ) from None
        return cls(tuple(texts), tuple(str(citation) for citation in citations))


def draft_statement(knowledge: KnowledgeBase, topic: str, examples: Sequence[str]) -> Statement:
    """Draft the holding statement for a disruption in every form of `FORMS`.

    The texts are the `holding_statement` standard replies, word for word: a statement is
    approved once and sent to many, so it says only what the editors approved. When the
    folder holds several (an app outage, a payment outage), the one whose variants carry
    every link the crisis clause names (the status page) wins, then the one sharing most
    words with `topic` and `examples`, then the first by file name. Variants of one
    statement share an id stem (`holding-statement-payment-de-du`, `…-de-sie`, `…-en`), so
    all forms say the same. A Sie form without a Sie text is rewritten from Du.

    Args:
        knowledge: the knowledge folder: guidelines (the crisis clause) and replies.
        topic: a short label of what is disrupted ("outage", an FAQ question); it only
            helps pick the variant and is never put into the text.
        examples: a few customer posts on the topic; they only help pick the variant, and
            no customer text is ever copied into the statement.

    Returns:
        The statement; citations are the crisis clause (when the guidelines name one)
        and the replies used, as `reply:<id>`.
    """
    guidelines = knowledge.guidelines
    clause_id = guidelines.clause_for("crisis")
    clause = next((c for c in guidelines.clauses if c.id == clause_id), None)
    required = links_in(clause.text) if clause else frozenset()
    candidates = [r for r in knowledge.replies if r.kind is ReplyKind.HOLDING_STATEMENT]
    family = _best_family(candidates, required, " ".join([topic, *examples]))
    texts, cited = [], []
    for language, register in FORMS:
        chosen = _text_for_form(family, candidates, language, register or Register.DU)
        texts.append(StatementText(language, register, chosen[1] if chosen else ""))
        if chosen:
            cited.append(chosen[0].citation)
    citations = ([clause_id] if clause_id else []) + list(dict.fromkeys(cited))
    return Statement(tuple(texts), tuple(citations))


def personal_reply(
    statement_text: str,
    *,
    name: str | None,
    language: Language,
    register: Register,
    channel: Channel,
    guidelines: Guidelines,
    templates_dir: Path | None = None,
) -> str:
    """The statement as one customer's reply: their greeting, the text, the sign-off.

    The greeting follows the guidelines (first name in Du and English, "Frau Hoffmann" or
    the full name in Sie, none for handles) and the offline templates; the sign-off is the
    guidelines' voice (none on X). Too long for the channel, sentences are dropped from
    the end, but never the first one or one with a link (the status page).

    Args:
        statement_text: the approved text (`Statement.text_for`).
        name: the customer's display name as the channel reports it, if any.
        language: the reply's language.
        register: Du or Sie, as the channel (or the customer) asks.
        channel: where the reply goes: its length limit and sign-off rule.
        guidelines: channel policies, the company's voice.
        templates_dir: the offline templates (default: `prompts/offline/`).
    """
    templates = load_templates(templates_dir or PROMPTS_DIR / "offline", language)
    voice = guidelines.voice
    greeted = salutation_name(name, register, language, derive_title=voice.derive_salutation_title)
    body, essential = reply_sentences(statement_text)
    if body:
        body = (templates.continue_after_greeting(body[0]), *body[1:])
    parts = ReplyParts(
        greeting=templates.greeting(register, greeted),
        opening="",
        body=body,
        closing=voice.sign_off(language, register, channel.value),
        essential=essential,
    )
    policy = guidelines.channels.get(channel.value, DEFAULT_POLICY)
    text, _ = fit_to_length(parts, policy.max_length)
    return text


def _form(language: Language, register: Register | None) -> tuple[Language, Register | None]:
    # English has no Du/Sie: one text serves both.
    return (language, register if language is Language.DE else None)


def _stem(reply: StandardReply) -> str:
    """The id without its form suffix: `holding-statement-payment-de-du` -> `…-payment`."""
    suffix = f"-{reply.language}" + (f"-{reply.register}" if reply.register else "")
    return reply.id.removesuffix(suffix)


def _best_family(
    candidates: list[StandardReply], required: frozenset[str], about: str
) -> list[StandardReply]:
    """The variant whose forms carry the clause's links and share most words with `about`."""
    families: dict[str, list[StandardReply]] = {}
    for reply in candidates:
        families.setdefault(_stem(reply), []).append(reply)
    wanted = {language: set(tokenize(about, language)) for language in Language}

    def score(members: list[StandardReply]) -> tuple[bool, int]:
        linked = all(required <= links_in(member.text) for member in members)
        shared = sum(
            len(wanted[m.language] & set(tokenize(f"{m.title or ''} {m.text}", m.language)))
            for m in members
        )
        return linked, shared

    # max() keeps the first of equals: ties go to the first variant by file name.
    return max(families.values(), key=score, default=[])


def _text_for_form(
    family: list[StandardReply],
    candidates: list[StandardReply],
    language: Language,
    register: Register,
) -> tuple[StandardReply, str] | None:
    """The chosen variant's text for one form, else another variant's, else Du made Sie."""
    for pool in (family, candidates):
        for reply in pool:
            if reply.serves(language, register):
                return reply, reply.text
    if language is Language.DE and register is Register.SIE:
        for pool in (family, candidates):
            for reply in pool:
                rewritten = (
                    written_in(reply, register) if reply.serves(language, Register.DU) else None
                )
                if rewritten:
                    return reply, rewritten
    return None

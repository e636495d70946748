"""Composing a reply body from an FAQ answer: the sentences that answer this customer.

A comms lead rejects pasted FAQ text. So the answer is split into sentences, each ranked by
the words it shares with the customer's message. The first sentence is always taken (an FAQ
answer leads with its answer), then the sentences that share most (ties: the answer's
order), up to `MAX_SENTENCES`, and the last sentence naming the customer's next step (a
link, an address, a menu path, "please …"). The kept sentences are shown in the entry's
order. The whole reply is then fitted to the channel's length by dropping what matters
least, never the next step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.faq.lexical import tokenize
from bot.faq.text import plain_text, split_sentences
from bot.models import Language

MAX_SENTENCES = 3
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.MULTILINE)
# A next step names where to go or what to send: a link, an address, a menu path in
# quotes, a contact channel, or a polite request ("bitte", "please").
_NEXT_STEP = re.compile(
    r"(\b[\w-]+\.(?:de|com|eu|org)/[\w/-]*)|([\w.+-]+@[\w-]+\.[\w.]+)|[„“\"]"
    r"|\b(bitte|please|kontakt\w*|contact\w*|direktnachricht|direct message|dm|kundenservice"
    r"|customer service)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Selection:
    """The sentences taken from one answer, in the answer's order, and how many it had."""

    sentences: tuple[str, ...]
    available: int
    # Indexes (into the answer's sentences) that must survive any shortening.
    essential: frozenset[int] = frozenset()
    indexes: tuple[int, ...] = ()


def clean_markup(text: str) -> str:
    """Plain text a social channel can show: no HTML tags, list marks or Markdown."""
    without_tags = _HTML_TAG.sub(" ", text)
    without_lists = _LIST_MARK.sub("", without_tags)
    return plain_text(without_lists)


def answer_sentences(answer: str) -> list[str]:
    """The sentences of an answer, markup removed; the whole text if it has no sentence."""
    text = clean_markup(answer)
    return split_sentences(text) or ([text] if text else [])


def is_next_step(sentence: str) -> bool:
    """Tell whether a sentence tells the customer what to do or where to go next."""
    return bool(_NEXT_STEP.search(sentence))


def select_sentences(
    answer: str, message: str, language: Language, max_sentences: int = MAX_SENTENCES
) -> Selection:
    """Pick the sentences of `answer` that answer `message`.

    Args:
        answer: the FAQ entry's answer (Markdown allowed).
        message: what the customer wrote.
        language: the answer's language, for stemming.
        max_sentences: how many answer sentences to take at most; the next step may add one.

    Returns:
        The chosen sentences in the answer's order, with the count available.
    """
    sentences = answer_sentences(answer)
    if not sentences:
        return Selection((), 0)
    asked = set(tokenize(message, language))
    relevance = [len(asked & set(tokenize(sentence, language))) for sentence in sentences]
    steps = [index for index, sentence in enumerate(sentences) if is_next_step(sentence)]
    # An FAQ answer leads with its answer; the rest is ranked by the words it shares with
    # the message (ties: the answer's order, earlier sentences qualify the answer).
    others = sorted(range(1, len(sentences)), key=lambda index: (-relevance[index], index))
    answer_part = [0, *others[: max_sentences - 1]]
    # The last step is the one the customer takes when the rest did not help ("contact us").
    essential = {0, *steps[-1:]}
    chosen = sorted({*answer_part, *essential})
    return Selection(
        tuple(sentences[index] for index in chosen),
        len(sentences),
        frozenset(chosen.index(index) for index in essential),
        tuple(chosen),
    )


@dataclass(frozen=True)
class ReplyParts:
    """The pieces of a reply, in order; shortened from the least important when too long."""

    greeting: str
    opening: str
    body: tuple[str, ...]
    private: str = ""
    closing: str = ""
    # Positions in `body` that shortening must keep (the answer and the next step).
    essential: frozenset[int] = frozenset()

    def render(self) -> str:
        """The reply text: blocks separated by blank lines, empty blocks left out."""
        blocks = [self.greeting, self.opening, " ".join(self.body), self.private, self.closing]
        return "\n\n".join(block for block in blocks if block)


def fit_to_length(parts: ReplyParts, limit: int) -> tuple[str, bool]:
    """Shorten until the reply fits the channel's limit; tell whether anything was dropped.

    Order: the closing goes first, then body sentences that are not essential (last first),
    then the opening; the essential sentences go last, and only then is the text cut at a
    word (a reviewer sees the "shortened" flag).
    """
    text = parts.render()
    if len(text) <= limit:
        return text, False
    candidate = replace(parts, closing="")
    for attempt in _shortenings(candidate):
        text = attempt.render()
        if len(text) <= limit:
            return text, True
    cut = text[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…", True


def _shortenings(parts: ReplyParts) -> list[ReplyParts]:
    attempts = [parts]
    body = list(parts.body)
    optional = [index for index in range(len(body)) if index not in parts.essential]
    kept = set(range(len(body)))
    for index in reversed(optional):
        kept.discard(index)
        attempts.append(replace(parts, body=tuple(body[i] for i in sorted(kept))))
    last = attempts[-1]
    attempts.append(replace(last, opening=""))
    essential = sorted(parts.essential & kept) or [0]
    attempts.append(replace(last, opening="", body=tuple(body[i] for i in essential[:1])))
    return attempts

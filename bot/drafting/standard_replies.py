"""Standard replies in a draft: the approved text in the reply's register, as sentences.

The texts come from the knowledge folder (`bot.faq.replies`). A Sie channel gets the Sie
text; when only a Du text exists it is rewritten (`to_sie`) or, when that fails, not used.
Shortening for a channel's length may drop sentences, but never the first one and never
one that carries a link (the status page, the contact form): that is where the customer
goes next.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.drafting.composition import clean_markup
from bot.drafting.register import to_sie
from bot.faq.replies import ReplyKind, StandardReply, pick
from bot.models import Language, Register

# Every piece is kept, however short: an approved text loses nothing when it is split.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_LINK = re.compile(r"\b(?:[\w-]+\.)+[a-z]{2,}\b(?:/[\w/-]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class ChosenReply:
    """A standard reply chosen for one draft, with its text in the draft's register."""

    reply: StandardReply
    text: str
    # The Du text was rewritten in Sie because the folder has no Sie text of this kind.
    rewritten: bool = False


def choose_reply(
    replies: Iterable[StandardReply], kind: ReplyKind, language: Language, register: Register
) -> ChosenReply | None:
    """The first reply of `kind` in `language` and `register`, or a Du one rewritten in Sie."""
    replies = tuple(replies)
    found = pick(replies, kind, language, register)
    if found is not None:
        return ChosenReply(found, found.text)
    if language is Language.DE and register is Register.SIE:
        du = pick(replies, kind, language, Register.DU)
        rewritten = to_sie(du.text) if du is not None else None
        if du is not None and rewritten is not None:
            return ChosenReply(du, rewritten, rewritten=True)
    return None


def written_in(reply: StandardReply, register: Register) -> str | None:
    """`reply`'s text in `register`: as written, rewritten from Du to Sie, or None."""
    if reply.language is not Language.DE or reply.register is register:
        return reply.text
    if register is Register.SIE:
        return to_sie(reply.text)
    return None  # Sie to Du is never guessed


def reply_sentences(text: str) -> tuple[tuple[str, ...], frozenset[int]]:
    """Split a standard reply into sentences and name those shortening must keep.

    Returns:
        The sentences (markup removed, nothing dropped) and the indexes of the first
        sentence and of every sentence with a link.
    """
    cleaned = clean_markup(text)
    sentences = tuple(part for part in _SENTENCE_END.split(cleaned) if part.strip())
    essential = {0} | {index for index, sentence in enumerate(sentences) if _LINK.search(sentence)}
    return sentences, frozenset(essential if sentences else ())


def links_in(text: str) -> frozenset[str]:
    """The links and domains named in `text` ("status.nordlicht-home.de"), lower case."""
    return frozenset(match.group(0).rstrip("/").lower() for match in _LINK.finditer(text))

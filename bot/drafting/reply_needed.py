"""Tells the posts that need no reply at all: retweets, news, chatter, our own posts, bait.

Conservative on purpose: a customer wrongly ignored is worse than a draft nobody needed, so
any doubt means a reply is due. Legal threats, press enquiries and safety issues always get
one; spam is triage's business (`Label.SPAM`), not this module's. The patterns live in
`reply_needed.yaml`.

Usage:
    >>> reply_needed("RT @nordlicht_home: Neue Lampen im Shop!")
    <NoReply.RETWEET: 'retweet'>
    >>> reply_needed("@nordlicht_home Wann kommt mein Paket? https://t.co/x") is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

from bot.drafting.triage import Label, Triage, triage

_PATTERNS = Path(__file__).with_name("reply_needed.yaml")
_FLAGS = re.IGNORECASE | re.MULTILINE
_HANDLE = re.compile(r"@(\w+)")
_LEADING_HANDLES = re.compile(r"^\s*(@\w+[\s,:]*)+")
_WORD = re.compile(r"[^\W\d_][\w'-]*")
# An article without a source line: this many words with nobody speaking as "I" or "you".
_ARTICLE_WORDS = 40
# Labels that show a concern someone may want answered, whoever the post addresses.
_CONCERNS = frozenset({Label.COMPLAINT, Label.SARCASM, Label.ABUSIVE, Label.PRAISE})


class NoReply(StrEnum):
    """Why a post needs no reply; the post is shown as "no reply needed" with this reason."""

    RETWEET = "retweet"  # a retweet, or a quote that only passes a link on
    NEWS = "news"  # a headline or article text, nobody asking or addressing anyone
    CHATTER = "chatter"  # third parties talking to each other, not to the company
    OWN_POST = "own_post"  # the company's own post
    GIVEAWAY_BAIT = "giveaway_bait"  # "the first 25 likers win", "like & share to win"


def reply_needed(
    text: str,
    *,
    author_name: str | None = None,
    company_handles: Collection[str] = (),
    company_names: Collection[str] = (),
) -> NoReply | None:
    """Tell whether `text` needs a reply, and if not, why.

    Args:
        text: the post.
        author_name: who wrote it (display name or handle, with or without "@").
        company_handles: the company's own handles ("nordlicht_home" or "@nordlicht_home");
            chatter is only recognised when these are known.
        company_names: the company's names ("Nordlicht Home").

    Returns:
        The reason no reply is needed, or None when a reply is due (or in doubt).
    """
    ours = {_plain(handle) for handle in company_handles if _plain(handle)}
    names = [name for name in company_names if name.strip()]
    if author_name and _plain(author_name) in ours | {_plain(name) for name in names}:
        return NoReply.OWN_POST
    found = triage(text)
    if found.needs_person:
        return None
    rules = _rules()
    if rules.retweet.search(text) or _only_shares(text, rules):
        return NoReply.RETWEET
    if "?" not in text and rules.giveaway.search(text):
        return NoReply.GIVEAWAY_BAIT
    if ours and _is_chatter(text, found, ours):
        return NoReply.CHATTER
    if _is_news(text, found, ours, rules):
        return NoReply.NEWS
    return None


@dataclass(frozen=True)
class _Rules:
    """The compiled reply_needed.yaml; see the comments there."""

    retweet: re.Pattern[str]
    share_word: re.Pattern[str]
    link: re.Pattern[str]
    giveaway: re.Pattern[str]
    person: re.Pattern[str]
    person_cased: re.Pattern[str]
    news_marker: re.Pattern[str]
    repeated_headline: re.Pattern[str]


def _only_shares(text: str, rules: _Rules) -> bool:
    """A link passed on with at most a "must read" or "👇": a quote that adds nothing."""
    if not rules.link.search(text):
        return False
    rest = _HANDLE.sub(" ", rules.link.sub(" ", text)).replace("#", " ")
    return all(rules.share_word.match(word) for word in _WORD.findall(rest))


def _is_chatter(text: str, found: Triage, ours: set[str]) -> bool:
    """A reply to other people that names none of our handles and raises no complaint."""
    leading = _LEADING_HANDLES.match(text)
    if leading is None or found.labels & {Label.COMPLAINT, Label.SARCASM}:
        return False
    return not {_plain(handle) for handle in _HANDLE.findall(text)} & ours


def _is_news(text: str, found: Triage, ours: set[str], rules: _Rules) -> bool:
    """Third-person text with a link, a source or an article's length, asking nothing."""
    leading = _LEADING_HANDLES.match(text)
    if leading and {_plain(h) for h in _HANDLE.findall(leading.group())} & ours:
        return False  # written to us
    # A question also without its "?" ("how busy is the cafe at 7:00") is asked of someone.
    if found.has(Label.QUESTION) or found.labels & _CONCERNS:
        return False
    if rules.person.search(text) or rules.person_cased.search(text):
        return False
    return bool(
        rules.link.search(text)
        or rules.news_marker.search(text)
        or rules.repeated_headline.search(text)
        or len(_WORD.findall(text)) >= _ARTICLE_WORDS
    )


def _plain(name: str) -> str:
    """A handle or name without "@", case, spaces or underscores: "Nordlicht Home" -> ..."""
    return re.sub(r"[\W_]+", "", name.casefold())


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    raw = yaml.safe_load(_PATTERNS.read_text(encoding="utf-8"))
    compiled = {
        name: re.compile(
            "|".join(f"(?:{p})" for p in ([patterns] if isinstance(patterns, str) else patterns)),
            # Only person_cased tells "US" from "us" and "Sie" from "sie".
            re.MULTILINE if name == "person_cased" else _FLAGS,
        )
        for name, patterns in raw.items()
    }
    return _Rules(**compiled)

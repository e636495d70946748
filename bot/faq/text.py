"""Text helpers for knowledge entries: Markdown to plain text, text to sentences."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9\"„(])")
_MARKDOWN = re.compile(r"\[([^\]]+)\]\([^)]+\)|[*_`>#]+")
_MIN_SENTENCE_CHARS = 20


def plain_text(markdown: str) -> str:
    """Drop Markdown markup (links keep their text) so it does not skew embeddings."""
    return " ".join(_MARKDOWN.sub(r"\1", markdown).split())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences long enough to carry meaning on their own."""
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if len(part) >= _MIN_SENTENCE_CHARS]

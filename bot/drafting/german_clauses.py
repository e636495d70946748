"""Splits German text into tokens, sentences, clauses and the parts between "und"/"oder".

The Du -> Sie rules in `register` decide who the subject is part by part, so this module
only has to find those parts; it knows nothing about Du or Sie. Links, e-mail addresses and
domains come out as single "skip" tokens so that no rule ever rewrites them.

    >>> [t.text for t in lex("Melde dich, wenn du magst.") if t.kind == "word"]
    ['Melde', 'dich', 'wenn', 'du', 'magst']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.drafting.register_forms import load_forms

_TOKEN = re.compile(
    # Links, addresses and domains are never rewritten ("nordlicht-home.de/kontakt").
    r"(?P<skip>(?:https?://|www\.)[^\s]*[^\s.,;:!?)“”\"]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|[\w-]+(?:\.[\w-]+)*\.(?:de|com|org|net|eu|at|ch|nl|dk|fr|be|lu|io)\b"
    r"(?:/[\w\-/?=&%#.]*[\w\-/=&%#])?)"
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<number>\d+(?:[.,:]\d+)*)"
    r"|(?P<newline>\n)"
    r"|(?P<space>[^\S\n]+)"
    r"|(?P<dash>(?<=\s)-(?=\s)|[–—])"
    r"|(?P<clause>[,;:])"
    r"|(?P<stop>[.!?…]+)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_CLOSING_QUOTES = frozenset("“”\"»«’')")
_CONJUNCTIONS = frozenset({"und", "oder", "aber", "sondern"})


@dataclass(frozen=True)
class Token:
    """A piece of the text; joining all texts in order gives the text back unchanged."""

    kind: str  # word, fragment, number, skip, space, clause, end, other
    text: str

    @property
    def lower(self) -> str:
        """The text in lower case, as the word lists hold it."""
        return self.text.lower()


@dataclass(frozen=True)
class Part:
    """The words of a clause up to the next "und"/"oder"/"aber", as token indices."""

    words: tuple[int, ...]
    opens_segment: bool  # first part after a comma, colon, dash or sentence start
    opens_sentence: bool


def lex(text: str) -> list[Token]:
    """Cut `text` into tokens, telling sentence ends from abbreviations and decimals.

    Args:
        text: German text.

    Returns:
        Tokens covering the whole text; a stop that ends a sentence and a newline are "end",
        a dash between clauses is "clause", and a word before a hyphen is a "fragment".
    """
    raw = [Token(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(text)]
    tokens = []
    for index, token in enumerate(raw):
        kind = token.kind
        if kind == "stop":
            kind = "end" if _ends_sentence(raw, index) else "other"
        elif kind == "newline":
            kind = "end"
        elif kind == "dash":
            kind = "clause"
        elif kind == "word" and index + 1 < len(raw) and raw[index + 1].text == "-":
            kind = "fragment"  # "Bestell- und Rechnungsdaten", "E-Mail": no verb
        tokens.append(Token(kind, token.text))
    return tokens


def _ends_sentence(raw: list[Token], index: int) -> bool:
    forms = load_forms()
    after = index + 1
    while after < len(raw) and raw[after].text in _CLOSING_QUOTES:
        after += 1
    if after < len(raw) and raw[after].kind not in {"space", "newline"}:
        return False  # "6.0", "„Passwort vergessen?“ zurück"
    following = next((t for t in raw[after:] if t.kind not in {"space", "newline"}), None)
    if following is None:
        return True
    if following.text[:1].islower():
        return False
    before = raw[index - 1] if index else None
    if raw[index].text == "." and before is not None:
        if before.kind == "word" and before.lower in forms.abbreviations:
            return False
        if before.kind == "number" and len(before.text) <= 2 and following.lower in forms.months:
            return False  # "am 31. Januar"
    return True


def split_sentences(tokens: list[Token]) -> list[list[list[Part]]]:
    """Split into sentences, those into segments (at , ; : and dashes), those into parts.

    Args:
        tokens: the result of `lex`.

    Returns:
        Per sentence, per segment, the parts; sentences and segments without words are left out.
    """
    sentences: list[list[list[Part]]] = [[]]
    words: list[int] = []
    for index, token in enumerate([*tokens, Token("end", "")]):
        if token.kind == "word":
            words.append(index)
            continue
        if token.kind not in {"clause", "end"}:
            continue
        pieces: list[list[int]] = [[]]
        for word in words:
            if tokens[word].lower in _CONJUNCTIONS:
                pieces.append([])
            else:
                pieces[-1].append(word)
        pieces = [piece for piece in pieces if piece]
        if pieces:
            opens = not sentences[-1]
            parts = [Part(tuple(p), k == 0, k == 0 and opens) for k, p in enumerate(pieces)]
            sentences[-1].append(parts)
        words = []
        if token.kind == "end":
            sentences.append([])
    return [sentence for sentence in sentences if sentence]


def next_word(tokens: list[Token], index: int) -> str:
    """The word right after `index`, or "" when punctuation or a link comes first."""
    for token in tokens[index + 1 :]:
        if token.kind == "word":
            return token.text
        if token.kind != "space":
            return ""
    return ""

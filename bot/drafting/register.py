"""Rewrites a German Du text in Sie, or says it cannot; then the drafter escalates.

The guidelines (§7) never mix Du and Sie in one reply, and the German FAQ answers are written
in Du. `to_sie` rewrites clause by clause: pronouns (du -> Sie, dein -> Ihr, dich/dir -> Sie/
Ihnen, or sich where the reader is the subject), 2nd person verbs ("kannst" -> "können") and
imperatives ("Melde dich" -> "Melden Sie sich"). It refuses (returns None) rather than guess:
when a clause hides who does what, or when `du_forms`, the final check, still finds a Du form.
The rules only know German; the word lists are in `register_forms.yaml`.

    >>> to_sie("Melde dich bitte, wenn du Fragen hast.")
    'Melden Sie sich bitte, wenn Sie Fragen haben.'
"""

from __future__ import annotations

import re
from enum import Enum, auto

from bot.drafting.german_clauses import Part, Token, lex, next_word, split_sentences
from bot.drafting.register_forms import (
    has_s_stem,
    is_regular_st,
    load_forms,
    match_case,
    split_prefix,
    to_third_plural,
)

_SUBJECTS = frozenset({"ich", "wir", "er", "es", "man", "sie"})
_POSSESSIVE = re.compile(r"^dein(e|en|em|er|es|s|etwegen)?$")
_DU_PRONOUNS = frozenset({"du", "dich", "dir", "euch", "euer", "eure", "euren", "eurem", "eurer"})


class _Kind(Enum):
    """Who the subject of a clause part is, as far as the rules can tell."""

    READER = auto()  # du, an imperative, or a Du verb: dich/dir become "sich"
    OTHER = auto()  # someone else: dich/dir become "Sie"/"Ihnen"
    AMBIGUOUS = auto()  # cannot tell: a dich/dir here makes to_sie give up


def to_sie(text: str) -> str | None:
    """Rewrite a German Du text in Sie.

    Args:
        text: German text addressing the reader with du (English is not handled).

    Returns:
        The text in Sie, or None when a clause cannot be rewritten safely or a Du form
        remains; the caller then escalates instead of sending a reply that mixes Du and Sie.
    """
    tokens = lex(text)
    out = [token.text for token in tokens]
    add_sie: set[int] = set()
    for sentence in split_sentences(tokens):
        if not _rewrite_sentence(sentence, tokens, out, add_sie):
            return None
    result = "".join(word + (" Sie" if index in add_sie else "") for index, word in enumerate(out))
    return None if du_forms(result) else result


def du_forms(text: str) -> list[str]:
    """List the Du forms in a German text: pronouns, 2nd person verbs, imperatives.

    An empty list means the text may go out on a Sie channel as far as these rules see. The
    check is wider than what `to_sie` converts, so a gap in the rules refuses a text instead of
    letting a Du form through.

    Args:
        text: German text.

    Returns:
        Each Du form as written, in the order of the text.
    """
    tokens = lex(text)
    found: list[int] = []
    for part in (part for sentence in split_sentences(tokens) for s in sentence for part in s):
        for index in part.words:
            if tokens[index].lower in _DU_PRONOUNS or _POSSESSIVE.match(tokens[index].lower):
                found.append(index)
        sure, ambiguous = _st_verbs(part, tokens)
        found.extend(sure)
        if ambiguous and _may_be_second_person(part, tokens):
            found.extend(ambiguous)
        found.extend(_imperatives_left(part, tokens))
    return [tokens[index].text for index in sorted(set(found))]


def _rewrite_sentence(
    sentence: list[list[Part]], tokens: list[Token], out: list[str], add_sie: set[int]
) -> bool:
    forms = load_forms()
    has_ich = any(tokens[i].lower == "ich" for s in sentence for part in s for i in part.words)
    previous = _Kind.OTHER
    previous_du = False  # the last part of the previous segment had du as its subject
    for segment in sentence:
        kind = _Kind.OTHER
        du_clause = False
        for part in segment:
            imperative = _imperative(part, tokens)
            opening = part.opens_sentence and imperative == _first_verb_slot(part, tokens)
            if imperative is not None and has_ich and not opening:
                return False  # "Ich prüfe das und melde mich": a first person, not an order
            verbs = _du_verbs(part, tokens, previous_du, du_clause)
            carried = du_clause and not part.opens_segment and not _has_subject(part, tokens)
            du_clause = _has_du(part, tokens) or bool(verbs) or carried
            kind = _kind(part, tokens, imperative is not None or du_clause, kind, previous)
            for index in verbs:
                out[index] = to_third_plural(tokens[index].text)
            if imperative is not None:
                verb = forms.imperatives[tokens[imperative].lower]
                out[imperative] = match_case(verb, tokens[imperative].text)
                if next_word(tokens, imperative) != "Sie":
                    add_sie.add(imperative)
            if not _rewrite_pronouns(part, tokens, out, kind):
                return False
        previous = kind
        previous_du = du_clause
    return True


def _du_verbs(part: Part, tokens: list[Token], previous_du: bool, du_clause: bool) -> list[int]:
    """Pick the verbs to convert: only where du is the subject, written or left out.

    That is a part with "du"; a part after "und"/"oder" going on with a du clause ("und
    bekommst"); a clause after a comma that opens with a Du verb ("..., wählst die Artikel
    aus"). A Du verb anywhere else stays, and the final check refuses the text.
    """
    sure, ambiguous = _st_verbs(part, tokens)
    if _has_du(part, tokens):
        return sure or ambiguous[:1]  # "wenn du die App nutzt": the only verb next to du
    if part.opens_segment:
        return sure if previous_du and sure[:1] == [part.words[0]] else []
    return sure if du_clause and not _has_subject(part, tokens) else []


def _kind(part: Part, tokens: list[Token], reader: bool, before: _Kind, previous: _Kind) -> _Kind:
    """Who is the subject of `part`; `before`: of the part before it, `previous`: segment."""
    if reader:
        return _Kind.READER
    if _has_subject(part, tokens):
        return _Kind.OTHER
    finite = any(_looks_finite(tokens[i]) for i in part.words)
    if not part.opens_segment:  # "und dir ... bestätigen lassen" goes on with the subject
        if finite:
            return _Kind.AMBIGUOUS if before is _Kind.READER else _Kind.OTHER
        return before
    if finite or part.opens_sentence:
        return _Kind.OTHER
    # ", dir ein Etikett erstellen lassen": du left out, or a clause of someone else?
    return _Kind.AMBIGUOUS if previous is _Kind.READER else _Kind.OTHER


def _rewrite_pronouns(part: Part, tokens: list[Token], out: list[str], kind: _Kind) -> bool:
    du_at = next((i for i in part.words if tokens[i].lower == "du"), None)
    for index in part.words:
        word = tokens[index].lower
        if word == "du":
            out[index] = "Sie"
        elif _POSSESSIVE.match(word):
            out[index] = "Ihr" + word[4:]
        elif word in {"dich", "dir"}:
            if kind is _Kind.AMBIGUOUS:
                return False
            # The reader as subject makes dich/dir reflexive; a pronoun before "du" cannot be.
            if kind is _Kind.READER and (du_at is None or index > du_at):
                out[index] = match_case("sich", tokens[index].text)
            else:
                out[index] = "Sie" if word == "dich" else "Ihnen"
        elif word in _DU_PRONOUNS:
            return False  # ihr/euch: the plural Du is not rewritten
    return True


def _has_du(part: Part, tokens: list[Token]) -> bool:
    return any(tokens[i].lower == "du" for i in part.words)


def _has_subject(part: Part, tokens: list[Token]) -> bool:
    """Whether a pronoun other than du or Sie could be the subject of the part."""
    return any(tokens[i].lower in _SUBJECTS and tokens[i].text != "Sie" for i in part.words)


def _may_be_second_person(part: Part, tokens: list[Token]) -> bool:
    """Whether a "nutzt"/"löst" in this part may belong to du, or to Sie left unconverted."""
    if _has_du(part, tokens):
        return True
    words = {tokens[i].text for i in part.words}
    return "Sie" in words and not words & load_forms().plural_finite


def _looks_finite(token: Token) -> bool:
    """Whether a word may be the finite verb of a third person ("schickt", "wird")."""
    forms = load_forms()
    word = token.lower
    if not token.text.islower():
        return False
    if word in forms.finite_other:
        return True
    return word.endswith("t") and word not in forms.not_finite and len(word) > 2


def _st_verbs(part: Part, tokens: list[Token]) -> tuple[list[int], list[int]]:
    """Find the 2nd person singular verbs of a part.

    Sure ones ("kannst", "schickst") come first; the second list holds forms that may as well
    be a third person ("nutzt", "löst"), which only count next to du.
    """
    forms = load_forms()
    sure: list[int] = []
    ambiguous: list[int] = []
    for position, index in enumerate(part.words):
        token = tokens[index]
        word = token.lower
        following = next_word(tokens, index).lower()
        # Capitalised words are nouns, except a verb opening a question or condition: "Hast du".
        if not token.text.islower() and not (position == 0 and following == "du"):
            continue
        if word in forms.not_verbs:
            continue
        if split_prefix(word, forms.present_irregular) is not None:
            sure.append(index)
        elif split_prefix(word, forms.same_as_third) is not None:
            ambiguous.append(index)
        elif is_regular_st(word):
            (ambiguous if has_s_stem(word) else sure).append(index)
    return sure, ambiguous


def _imperative(part: Part, tokens: list[Token]) -> int | None:
    """The imperative that opens the part, or that stands in a part without a subject."""
    slot = _first_verb_slot(part, tokens)
    if slot is not None and _is_imperative(part, slot, tokens):
        return slot
    if _has_du(part, tokens) or any(_st_verbs(part, tokens)):
        return None
    for index in part.words:
        if tokens[index].text.islower() and _is_imperative(part, index, tokens):
            return index  # "Bei Fragen melde dich gern."
    return None


def _first_verb_slot(part: Part, tokens: list[Token]) -> int | None:
    lead_ins = load_forms().lead_ins
    return next((i for i in part.words if tokens[i].lower not in lead_ins), None)


def _imperatives_left(part: Part, tokens: list[Token]) -> list[int]:
    """Imperatives in a part, and openings like "Zahl einfach ..." that the lists miss."""
    forms = load_forms()
    found = [i for i in part.words if _is_imperative(part, i, tokens)]
    words = part.words
    if part.opens_segment and len(words) >= 2 and words[0] not in found:
        first, second = tokens[words[0]].lower, tokens[words[1]].lower
        cue = second in forms.cues or _POSSESSIVE.match(second)
        # "Freut uns", "Melden Sie": a finite verb or an infinitive, no Du imperative.
        unlisted = cue and first not in forms.openers and not first.endswith(("t", "en"))
        # "Tausch den Artikel um": a verb the lists leave out because it is also a noun
        # ("Tausch gegen ...", "Kauf auf Rechnung"); with an object after it, refuse.
        noun_like = first in forms.noun_like and second in {*forms.determiners, "ihn", "sie", "es"}
        if unlisted or noun_like:
            found.append(words[0])
    return found


def _is_imperative(part: Part, index: int, tokens: list[Token]) -> bool:
    forms = load_forms()
    token = tokens[index]
    if token.lower not in forms.imperatives:
        return False
    position = part.words.index(index)
    if not token.text.islower() and not (part.opens_segment and position == 0):
        return False  # a capitalised word inside a clause is a noun
    before = [tokens[i].lower for i in part.words[:position]]
    after_lead_ins = all(word in forms.lead_ins for word in before)
    if before and not after_lead_ins and before[-1] in {*forms.determiners, "ich"}:
        return False
    # "Sie" does not end the check: the Sie imperative is "Melden Sie", never "Melde Sie".
    after = next_word(tokens, index).lower()
    if after in forms.not_before:
        return False
    return not (token.lower == "sei" and after in forms.not_before_sei)

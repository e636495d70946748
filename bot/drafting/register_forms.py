"""Knows German word forms for the Du -> Sie rules: the lists and the verb endings.

The word lists live in `register_forms.yaml`, so a missing verb or abbreviation is added
there without touching the rules in `register` or the splitting in `german_clauses`. The
functions here look at single words only; which word is the subject is `register`'s business.

    >>> to_third_plural("Abgibst"), to_third_plural("löst"), to_third_plural("änderst")
    ('Abgeben', 'lösen', 'ändern')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_FORMS_FILE = Path(__file__).with_name("register_forms.yaml")


@dataclass(frozen=True)
class Forms:
    """The word lists of `register_forms.yaml`, imperatives expanded to their forms."""

    present_irregular: dict[str, str]
    same_as_third: dict[str, str]
    prefixes: frozenset[str]
    not_verbs: frozenset[str]
    not_finite: frozenset[str]
    finite_other: frozenset[str]
    imperatives: dict[str, str]
    not_before: frozenset[str]
    not_before_sei: frozenset[str]
    lead_ins: frozenset[str]
    determiners: frozenset[str]
    cues: frozenset[str]
    openers: frozenset[str]
    noun_like: frozenset[str]
    plural_finite: frozenset[str]
    abbreviations: frozenset[str]
    months: frozenset[str]


@lru_cache(maxsize=1)
def load_forms() -> Forms:
    """Read `register_forms.yaml` once; every rewrite after that uses the cached lists.

    Returns:
        The word lists, with each listed imperative verb expanded to its Du forms.
    """
    raw = yaml.safe_load(_FORMS_FILE.read_text(encoding="utf-8"))
    excluded = {*raw["imperative_nouns"], *raw["imperative_never"]}
    imperatives = {
        form: verb
        for verb in raw["imperative_verbs"]
        for form in _imperative_forms(verb)
        if form not in excluded
    }
    imperatives.update(raw["imperative_irregular"])
    lists = (
        "prefixes not_verbs not_finite finite_other lead_ins determiners openers"
        " plural_finite abbreviations months"
    )
    return Forms(
        present_irregular=dict(raw["present_irregular"]),
        same_as_third=dict(raw["same_as_third_person"]),
        imperatives=imperatives,
        not_before=frozenset(raw["imperative_not_before"]),
        not_before_sei=frozenset(raw["imperative_not_before_sei"]),
        cues=frozenset(raw["imperative_cues"]),
        noun_like=frozenset(raw["imperative_nouns"]),
        **{name: frozenset(raw[name]) for name in lists.split()},
    )


def _imperative_forms(verb: str) -> list[str]:
    """Melden -> meld, melde; wechseln -> wechsel, wechsele, wechsle."""
    if verb.endswith(("eln", "ern")):
        return [verb[:-1], verb[:-1] + "e", verb[:-3] + verb[-2] + "e"]
    return [verb[:-2], verb[:-2] + "e"]


def is_regular_st(word: str) -> bool:
    """Whether `word` ends like a regular Du verb ("schickst"), not like "musst" or "erst"."""
    return (
        word.endswith("st")
        and not word.endswith("sst")
        and len(word) >= 4
        and re.search(r"[aeiouäöüy]", word[:-2]) is not None
    )


def has_s_stem(word: str) -> bool:
    """Tell "du löst" (stem lös-, as in "er löst") from "du schaust" or "du findest"."""
    vowel = word[-3]
    if vowel not in "aeiouäöü" or word[-4:-2] in {"au", "eu", "äu"}:
        return False
    return not (vowel == "e" and word[-4] not in "aeiouäöü")


def to_third_plural(text: str) -> str:
    """Turn a Du verb into the form that goes with Sie ("kannst" -> "können").

    Args:
        text: a 2nd person singular verb as written, prefixes included ("Abgibst").

    Returns:
        The 3rd person plural, capitalised like `text`.
    """
    forms = load_forms()
    word = text.lower()
    for table in (forms.present_irregular, forms.same_as_third):
        split = split_prefix(word, table)
        if split is not None:
            return match_case(split[0] + table[split[1]], text)
    if has_s_stem(word):
        return match_case(word[:-1] + "en", text)  # löst -> lösen
    stem = word[:-2]
    if stem.endswith("e") or re.search(r"[^aeiouäöü](el|er)$", stem):
        return match_case(stem + "n", text)  # findest -> finden, änderst -> ändern
    return match_case(stem + "en", text)  # schickst -> schicken, aktivierst -> aktivieren


def split_prefix(word: str, table: dict[str, str]) -> tuple[str, str] | None:
    """Split "abgibst" into ("ab", "gibst") when the form is in `table`.

    Args:
        word: a lower-case word.
        table: Du forms to look for, such as `Forms.present_irregular`.

    Returns:
        The prefixes (up to two, or "") and the form from `table`, or None.
    """
    for form in table:
        if word.endswith(form) and _is_prefix(word[: -len(form)], depth=2):
            return word[: -len(form)], form
    return None


def _is_prefix(text: str, depth: int) -> bool:
    if not text:
        return True
    return depth > 0 and any(
        text.startswith(prefix) and _is_prefix(text[len(prefix) :], depth - 1)
        for prefix in load_forms().prefixes
    )


def match_case(word: str, model: str) -> str:
    """Capitalise `word` when `model` is, so a rewrite keeps the start of a sentence."""
    return word[:1].upper() + word[1:] if model[:1].isupper() else word

"""Picks the name that follows "Hallo"/"Guten Tag", as the guidelines (§6) ask per register.

Du: the first name. Sie: "Frau"/"Herr" and the surname, or first and last name when the
gender is unclear; a single first name gets no name on a Sie channel. Handles and pseudonyms
("@nordlicht_fan99") get no name at all. English: the first name in both registers.

    >>> salutation_name("Gerda Hoffmann", Register.SIE, Language.DE, derive_title=False)
    'Gerda Hoffmann'
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path

from bot.models import Language, Register

# A leading title keeps the name whole: "Hallo Frau," alone would be rude.
_TITLES = frozenset({"frau", "herr", "dr", "prof", "mr", "mrs", "ms", "miss"})
_SIE_TITLES = {"male": "Herr", "female": "Frau"}
# Links, domains, e-mail addresses and markup in a display name: data, not a name.
_NOT_A_NAME = re.compile(
    r"://|\bwww\.|\b[\w-]+\.[a-z]{2,24}\b|\S@\S|[<>\[\]{}`*|\\]", re.IGNORECASE
)
# nomquamgender's share of women among a name's bearers; between these the name is unclear
# ("Andrea" 0.83, "Kim" 0.67) and gets no title: a wrong "Herr" offends more than a neutral
# "Guten Tag Andrea Rossi". The bounds are the package's own default (0.1).
_CLEARLY_MALE = 0.1
_CLEARLY_FEMALE = 0.9
# Particles that belong to the surname: "Frau von der Leyen", not "Frau Leyen".
_PARTICLES = frozenset(
    {"von", "vom", "zu", "zur", "van", "de", "der", "den", "di", "da", "del", "la", "le", "ten"}
)


def salutation_name(
    author_name: str | None, register: Register, language: Language, *, derive_title: bool
) -> str | None:
    """Return what follows the greeting, or None for a greeting without a name.

    Args:
        author_name: the display name the channel reports, if any.
        register: Du or Sie, as the channel policy sets it.
        language: the reply's language; English always uses the first name.
        derive_title: on Sie, guess "Frau"/"Herr" from the first name. Only names the
            gender data calls clearly male or female get a title; a wrong "Herr" offends
            more than a neutral "Guten Tag Gerda Hoffmann", so callers may leave it off.

    Returns:
        "Anna" (Du), "Frau Hoffmann" or "Gerda Hoffmann" (Sie), or None for handles,
        pseudonyms and a bare first name on a Sie channel.
    """
    words = _name_words(author_name)
    if not words or _is_handle(words[0]):
        return None
    if words[0].rstrip(".").lower() in _TITLES and len(words) > 1:
        return f"{words[0]} {words[-1]}"
    if language is not Language.DE or register is Register.DU:
        return words[0]
    surname = _surname(words)
    if surname is None or any(_is_handle(word) for word in words):
        return None  # "Guten Tag Anna" would mix Sie with a Du greeting
    title = _SIE_TITLES.get(_gender(words[0])) if derive_title else None
    return f"{title} {surname}" if title else " ".join(words)


def is_suspicious_name(author_name: str | None) -> bool:
    """Tell whether a display name carries a link, an address or markup, not a name.

    Anyone can call themselves "Visit evil.example" or "<b>Admin</b>"; such a name must
    never reach a greeting, and the card should say why the greeting has no name.
    """
    return bool(author_name and _NOT_A_NAME.search(author_name))


def _name_words(author_name: str | None) -> list[str]:
    """The words of the name that hold letters (no emoji); none for "@handles" and links."""
    name = (author_name or "").strip()
    if name.startswith("@") or is_suspicious_name(name):
        return []
    return [word for word in name.split() if any(char.isalpha() for char in word)]


def _is_handle(word: str) -> bool:
    # "nordlicht_fan99" is a user name, not a name; greeting it feels robotic.
    return any(char.isdigit() or char in "_@" for char in word)


def _surname(words: list[str]) -> str | None:
    rest = words[1:]
    start = next((i for i, word in enumerate(rest) if word.lower() in _PARTICLES), len(rest) - 1)
    surname = rest[start:] if rest else []
    # "Gerda H." is a first name with an initial, not a surname to address her by.
    if not surname or len(surname[-1].rstrip(".")) < 2:
        return None
    return " ".join(surname)


def _gender(first_name: str) -> str:
    """Return "male"/"female" only when the name data is clear; else "unknown"."""
    shares = _female_shares()
    key = first_name.lower()
    share = shares.get(key)
    if share is None and "-" in key:  # "Hans-Peter": the first part decides
        share = shares.get(key.split("-")[0])
    if share is None:
        return "unknown"
    if share <= _CLEARLY_MALE:
        return "male"
    return "female" if share >= _CLEARLY_FEMALE else "unknown"


@lru_cache(maxsize=1)
def _female_shares() -> dict[str, float]:
    # The package's module imports pandas and loads its data at import; only the data file
    # is needed, so it is read directly, once, on the first Sie greeting that derives a title.
    spec = importlib.util.find_spec("nomquamgender")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "name_data.json"
    raw: dict[str, list[object]] = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: float(values[2])  # [sources, count, p(female), …]
        for name, values in raw.items()
        if isinstance(values[2], int | float)
    }

"""Counts in words: "1 entry", "2 entries" — never "1 entries" or "entry(s)"."""

from __future__ import annotations


def counted(number: int, one: str, many: str | None = None) -> str:
    """`number` with the singular or plural noun (plural: `many`, else `one` + "s")."""
    return f"{number} {one if number == 1 else many or one + 's'}"

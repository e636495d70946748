"""Names what a complaint is about from the customer's own words (`concern_topics.yaml`).

The offline drafter acknowledges a complaint in its own terms ("ärgerlich, dass deine
Bestellung so lange auf sich warten lässt") rather than with one stock line. The cited
entry's tags say it best; when a complaint escalates there is no entry, and these patterns
read the topic from the post instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

_TOPICS_FILE = Path(__file__).with_name("concern_topics.yaml")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    raw = yaml.safe_load(_TOPICS_FILE.read_text(encoding="utf-8"))
    return tuple(
        (str(topic), re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
        for topic, patterns in raw.items()
    )


def concern_topic(text: str) -> str | None:
    """The first topic whose patterns occur in `text` ("late", "damaged", …), or None."""
    return next((topic for topic, pattern in _patterns() if pattern.search(text)), None)

"""The crisis wording file: every key the model declares, and templates that format."""

from __future__ import annotations

import string

import yaml

from bot.crisis.wording import CrisisWording, crisis_wording
from bot.resources import PROMPTS_DIR

SAMPLES: dict[str, object] = {
    "approved": 40,
    "count": 40,
    "cue": "Funken",
    "example": "App down again",
    "expected": "2",
    "label": "posts about: outage",
    "labels": "press",
    "lead": "<@U1>",
    "link": "https://slack.com/archives/C1/p1",
    "offering": 38,
    "open": 40,
    "people": "<@U1> (reviewer)",
    "question": "Why can't I log in?",
    "reason": "outage",
    "reasons": "safety (“Funken”)",
    "since": "2026-12-02 10:00",
    "skipped": 2,
    "text": "Die App ist gestört.",
    "variant": "German, du",
}


def test_the_shipped_file_has_every_key_and_no_other() -> None:
    loaded = yaml.safe_load((PROMPTS_DIR / "crisis" / "en.yaml").read_text(encoding="utf-8"))

    assert set(loaded) == set(CrisisWording.model_fields)


def test_every_template_formats_with_the_values_its_callers_pass() -> None:
    for key, template in crisis_wording().model_dump().items():
        names = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
        assert names <= set(SAMPLES), (key, names - set(SAMPLES))
        assert template.format(**{name: SAMPLES[name] for name in names}).strip()


def test_reasons_and_labels_have_reviewer_words() -> None:
    words = crisis_wording()

    assert words.reason("repeated_contact") == "wrote again without an answer"
    assert words.label("legal_threat") == "legal threat"
    assert words.reason("unknown") == "unknown"

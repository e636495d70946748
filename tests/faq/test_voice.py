"""The company's voice comes from the guidelines' front matter, not from the templates."""

from __future__ import annotations

import pytest

from bot.errors import KnowledgeError
from bot.faq.voice import CompanyVoice, parse_voice
from bot.models import Language, Register


def test_sign_off_follows_language_register_and_channel() -> None:
    voice = parse_voice(
        {
            "team": "Lumen-Team",
            "handles": {"x": "@lumen"},
            "sign_off": {
                "de": {"du": "Viele Grüße, dein Lumen-Team", "sie": "Ihr Lumen-Team"},
                "en": "Cheers, Lumen",
            },
            "no_sign_off_on": ["x"],
        },
        "guidelines.md",
    )

    assert voice.sign_off(Language.DE, Register.SIE, "webhook") == "Ihr Lumen-Team"
    assert voice.sign_off(Language.EN, Register.DU, "telegram") == "Cheers, Lumen"
    assert voice.sign_off(Language.DE, Register.DU, "x") == ""
    assert "lumen" in voice.names


def test_no_voice_means_no_sign_off() -> None:
    assert CompanyVoice().sign_off(Language.DE, Register.DU, "telegram") == ""


def test_a_malformed_voice_names_the_key() -> None:
    with pytest.raises(KnowledgeError, match="voice.sign_off"):
        parse_voice({"sign_off": {"fr": "Salut"}}, "guidelines.md")

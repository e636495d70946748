"""The name after "Hallo"/"Guten Tag": first name on Du, title and surname on Sie (§6)."""

from __future__ import annotations

import pytest

from bot.drafting.salutation import is_suspicious_name, salutation_name
from bot.models import Language, Register


class TestSalutationName:
    def test_sie_uses_a_derived_title_only_when_asked(self) -> None:
        name = "Gerda Hoffmann"

        assert salutation_name(name, Register.SIE, Language.DE, derive_title=True) == (
            "Frau Hoffmann"
        )
        assert salutation_name(name, Register.SIE, Language.DE, derive_title=False) == (
            "Gerda Hoffmann"
        )

    def test_sie_derives_herr_for_a_clearly_male_first_name(self) -> None:
        assert salutation_name("Michael Weber", Register.SIE, Language.DE, derive_title=True) == (
            "Herr Weber"
        )

    @pytest.mark.parametrize("name", ["Kim Schulz", "Sascha Brandt", "Nordlicht Deko"])
    def test_sie_keeps_the_full_name_when_the_gender_is_unclear(self, name: str) -> None:
        assert salutation_name(name, Register.SIE, Language.DE, derive_title=True) == name

    def test_sie_keeps_the_particles_of_a_surname(self) -> None:
        name = "Ursula von der Leyen"

        assert salutation_name(name, Register.SIE, Language.DE, derive_title=True) == (
            "Frau von der Leyen"
        )

    @pytest.mark.parametrize("name", ["Anna", "Gerda H."])
    def test_sie_greets_a_bare_first_name_without_a_name(self, name: str) -> None:
        assert salutation_name(name, Register.SIE, Language.DE, derive_title=True) is None

    @pytest.mark.parametrize("register", list(Register))
    @pytest.mark.parametrize("name", ["@nordlicht_fan99", "nordlicht_fan99", "@anna", "", None])
    def test_handles_and_missing_names_get_no_name(
        self, name: str | None, register: Register
    ) -> None:
        assert salutation_name(name, register, Language.DE, derive_title=True) is None

    @pytest.mark.parametrize("register", list(Register))
    def test_a_name_with_its_title_stays_whole(self, register: Register) -> None:
        assert salutation_name("Frau Berger", register, Language.DE, derive_title=True) == (
            "Frau Berger"
        )

    def test_du_uses_the_first_name(self) -> None:
        assert salutation_name("Anna Schmidt", Register.DU, Language.DE, derive_title=True) == (
            "Anna"
        )

    @pytest.mark.parametrize("register", list(Register))
    def test_english_uses_the_first_name_in_both_registers(self, register: Register) -> None:
        assert salutation_name("Gerda Hoffmann", register, Language.EN, derive_title=True) == (
            "Gerda"
        )


@pytest.mark.parametrize(
    ("name", "suspicious"),
    [
        ("Gerda Hoffmann", False),
        ("Dr. Berger", False),
        ("Liam O'Connor", False),
        ("Visit evil.example", True),
        ("www.scam.example", True),
        ("win@prize.example", True),
        ("<b>Admin</b>", True),
    ],
)
def test_a_name_with_a_link_an_address_or_markup_is_not_a_name(name: str, suspicious: bool) -> None:
    assert is_suspicious_name(name) is suspicious
    if suspicious:
        assert salutation_name(name, Register.DU, Language.DE, derive_title=False) is None

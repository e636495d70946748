"""Du to Sie: German FAQ answers rewritten for Sie channels, or refused rather than mixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.drafting.register import du_forms, to_sie
from bot.faq.files import load_knowledge
from bot.models import Language

KNOWLEDGE = Path(__file__).parents[2] / "knowledge"


class TestToSie:
    @pytest.mark.parametrize(
        ("du", "sie"),
        [
            (
                "Du kannst jeden Artikel innerhalb von 30 Tagen zurückschicken.",
                "Sie können jeden Artikel innerhalb von 30 Tagen zurückschicken.",
            ),
            (
                "Melde dich bitte, wenn du Fragen hast.",
                "Melden Sie sich bitte, wenn Sie Fragen haben.",
            ),
            ("Bei Fragen melde dich gern.", "Bei Fragen melden Sie sich gern."),
            (
                "Trag deine Adresse im Kundenkonto ein.",
                "Tragen Sie Ihre Adresse im Kundenkonto ein.",
            ),
            (
                "Wähl im Checkout „Packstation“ und gib deine Postnummer ein.",
                "Wählen Sie im Checkout „Packstation“ und geben Sie Ihre Postnummer ein.",
            ),
            (
                "Hast du dein Passwort vergessen, setz es über „Passwort vergessen?“ zurück.",
                "Haben Sie Ihr Passwort vergessen, setzen Sie es über „Passwort vergessen?“ zurück.",
            ),
            (
                "Deine E-Mail-Adresse änderst du im Kundenkonto.",
                "Ihre E-Mail-Adresse ändern Sie im Kundenkonto.",
            ),
            (
                "Die Zwei-Faktor-Authentifizierung aktivierst du unter „Sicherheit“.",
                "Die Zwei-Faktor-Authentifizierung aktivieren Sie unter „Sicherheit“.",
            ),
            (
                "Du erhältst dein Geld zurück, sobald du die Ware abgibst.",
                "Sie erhalten Ihr Geld zurück, sobald Sie die Ware abgeben.",
            ),
            (
                "Am Ende findest du einen Link, mit dem du dich abmelden kannst.",
                "Am Ende finden Sie einen Link, mit dem Sie sich abmelden können.",
            ),
            (
                "Dort gibst du die Bestellnummer ein, wählst die Artikel aus und bekommst ein Etikett.",
                "Dort geben Sie die Bestellnummer ein, wählen die Artikel aus und bekommen ein Etikett.",
            ),
            (
                "Ist das Paket beschädigt, kannst du die Annahme verweigern oder dir den Schaden"
                " bestätigen lassen.",
                "Ist das Paket beschädigt, können Sie die Annahme verweigern oder sich den Schaden"
                " bestätigen lassen.",
            ),
            (
                "Beim Kauf auf Rechnung schickt dir Klarna die Rechnung, und du hast 30 Tage Zeit.",
                "Beim Kauf auf Rechnung schickt Ihnen Klarna die Rechnung, und Sie haben 30 Tage Zeit.",
            ),
            (
                "Wir zeigen dir gern, wie du dich anmeldest.",
                "Wir zeigen Ihnen gern, wie Sie sich anmelden.",
            ),
            (
                "Kannst du uns sagen, ob dich das Angebot interessiert?",
                "Können Sie uns sagen, ob Sie das Angebot interessiert?",
            ),
            (
                "Schreib uns, welches Gerät du nutzt und ob du die neueste Version hast.",
                "Schreiben Sie uns, welches Gerät Sie nutzen und ob Sie die neueste Version haben.",
            ),
            (
                "Wenn du möchtest, rufen wir dich zurück.",
                "Wenn Sie möchten, rufen wir Sie zurück.",
            ),
            (
                "Alles, was du bis zum 24. Dezember bestellst, kannst du bis zum 31. Januar"
                " zurückgeben.",
                "Alles, was Sie bis zum 24. Dezember bestellen, können Sie bis zum 31. Januar"
                " zurückgeben.",
            ),
            (
                "Sei unbesorgt, das Paket ist unterwegs.",
                "Seien Sie unbesorgt, das Paket ist unterwegs.",
            ),
            (
                "Kümmere dich bitte um die Rücksendung.",
                "Kümmern Sie sich bitte um die Rücksendung.",
            ),
            ("Wechsle in die App.", "Wechseln Sie in die App."),
        ],
    )
    def test_du_text_is_rewritten_in_sie(self, du: str, sie: str) -> None:
        assert to_sie(du) == sie

    @pytest.mark.parametrize(
        "text",
        [
            "Du bist selbst schuld, wenn du erst spät bestellst.",
            "Das gilt fast immer, sonst melden wir uns zuerst per Post.",
            "Bestell- und Rechnungsdaten kannst du spätestens im Herbst ansehen.",
        ],
    )
    def test_words_ending_in_st_that_are_no_verbs_stay(self, text: str) -> None:
        converted = to_sie(text)

        assert converted is not None
        kept = (
            "selbst",
            "erst",
            "fast",
            "sonst",
            "zuerst",
            "Post",
            "spätestens",
            "Herbst",
            "Bestell-",
        )
        for word in kept:
            assert converted.count(word) == text.count(word)

    def test_links_and_addresses_are_not_touched(self) -> None:
        text = "Schreib an service@nordlicht-home.de oder schau auf status.nordlicht-home.de nach."

        assert to_sie(text) == (
            "Schreiben Sie an service@nordlicht-home.de oder schauen Sie auf"
            " status.nordlicht-home.de nach."
        )

    def test_a_sie_text_comes_back_unchanged(self) -> None:
        text = "Sie können den Artikel innerhalb von 30 Tagen zurückschicken."

        assert to_sie(text) == text

    @pytest.mark.parametrize(
        "text",
        [
            # A first person, not an order: "melde" must not become "melden Sie".
            "Ich schau mir das an und melde mich bei dir.",
            # A list comma hides the clause's subject from the verb.
            "Wenn du Kaffee, Tee oder Gewürze bestellst, kannst du sie nicht zurückgeben.",
            # Is du left out before "dir", or does a new clause start?
            "Du kannst die Artikel auswählen, dir ein Etikett erstellen lassen und es ausdrucken.",
            # The plural Du is not rewritten.
            "Ihr könnt euch jederzeit melden.",
            # An imperative no list knows, caught by its cue word.
            "Zahl einfach per PayPal.",
            # A verb left out of the lists because it is also a noun ("der Tausch").
            "Tausch den Artikel im Portal um.",
            "Schau du mal nach.",
        ],
    )
    def test_unsafe_texts_are_refused_instead_of_mixed(self, text: str) -> None:
        assert to_sie(text) is None


class TestDuForms:
    def test_lists_pronouns_verbs_and_imperatives_in_order(self) -> None:
        text = "Melde dich, wenn du deine Bestellnummer hast. Zahl einfach per PayPal."

        assert du_forms(text) == ["Melde", "dich", "du", "deine", "hast", "Zahl"]

    def test_finds_nothing_in_a_sie_text(self) -> None:
        text = (
            "Melden Sie sich bitte, wenn Sie Fragen haben. Sie haben den Termin verpasst? "
            "Das freut uns. Schicken Sie uns bitte Ihre Bestellnummer."
        )

        assert du_forms(text) == []

    def test_finds_a_du_verb_left_next_to_sie(self) -> None:
        assert du_forms("Wenn Sie die App neu startest, geht es wieder.") == ["startest"]


class TestSampleKnowledge:
    def test_every_german_answer_converts_cleanly_or_is_refused(self) -> None:
        entries = [e for e in load_knowledge(KNOWLEDGE).entries if e.language is Language.DE]
        converted = {entry.id: to_sie(entry.answer) for entry in entries}

        leftovers = {i: du_forms(text) for i, text in converted.items() if text is not None}
        assert {i: forms for i, forms in leftovers.items() if forms} == {}
        assert all("Sie Sie" not in text for text in converted.values() if text)
        # Most answers convert; the rest need an `answer_sie` in their file.
        assert sum(text is not None for text in converted.values()) >= 0.8 * len(entries)

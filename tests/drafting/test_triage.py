"""Triage reads people: negation, emoji, sarcasm, praise; safety and legal only when meant."""

from __future__ import annotations

import pytest

from bot.drafting.triage import ESCALATING_LABELS, Label, triage


class TestComplaints:
    @pytest.mark.parametrize(
        "text",
        [
            "Die Lampe ist nicht kaputt, ich wollte nur fragen, wie man sie dimmt.",
            "The lamp is not broken, I just want to know how to dim it.",
            "Kein Problem, ich warte gern noch einen Tag.",
            "Die Lieferung kam gar nicht zu spät, alles bestens.",
        ],
    )
    def test_a_negated_problem_is_no_complaint(self, text: str) -> None:
        assert not triage(text).has(Label.COMPLAINT)

    def test_the_lexicon_alone_still_calls_a_negated_problem_a_complaint(self) -> None:
        assert triage("The lamp is not broken.", context=False).has(Label.COMPLAINT)

    @pytest.mark.parametrize(
        "text",
        [
            "Hi, meine Bestellung ist nicht angekommen 😤",
            "Ich warte seit 3 Wochen auf mein Paket!",
            "Payment failed twice and nobody answers my emails. Useless.",
            "Ist das euer Ernst? Die App stürzt ständig ab.",
            "Ich war noch nie so enttäuscht von einem Shop.",
        ],
    )
    def test_an_unhappy_customer_is_a_complaint(self, text: str) -> None:
        assert triage(text).has(Label.COMPLAINT)

    def test_a_journalists_story_about_delays_is_no_complaint(self) -> None:
        found = triage("I'm a journalist working on a story about delivery delays.")

        assert found.has(Label.PRESS) and not found.has(Label.COMPLAINT)


class TestSarcasm:
    @pytest.mark.parametrize(
        "text",
        [
            "Toll, schon wieder down 🙄",
            "great. another delay",
            "Danke für nichts.",
            "@nordlicht_home tracking says delivered yesterday but nothing at my door. great.",
            "Wow, 3 Stunden Verspätung.",
            'Ich bin immer wieder "begeistert", wie lange das dauert.',
        ],
    )
    def test_sarcastic_praise_is_a_complaint(self, text: str) -> None:
        found = triage(text)

        assert found.has(Label.SARCASM) and found.has(Label.COMPLAINT)
        assert not found.has(Label.PRAISE)

    def test_sarcastic_praise_with_an_eye_roll_is_a_complaint(self) -> None:
        found = triage("Super Lieferzeit 🙄")

        assert {Label.SARCASM, Label.COMPLAINT} <= found.labels

    def test_praise_before_a_but_is_sincere_not_sarcasm(self) -> None:
        found = triage("Super schnelle Lieferung, aber die Lampe ist kaputt.")

        assert found.has(Label.COMPLAINT) and not found.has(Label.SARCASM)

    def test_super_thanks_is_sincere(self) -> None:
        found = triage("Super, danke! Jetzt geht es wieder.")

        assert not found.has(Label.SARCASM) and found.has(Label.PRAISE)

    def test_the_upside_down_face_alone_is_no_complaint(self) -> None:
        found = triage(
            "Can I exchange the duvet cover for the bigger size? Ordered the wrong one 🙃"
        )

        assert not found.labels & {Label.COMPLAINT, Label.SARCASM}


class TestPraise:
    @pytest.mark.parametrize(
        "text",
        [
            "Danke, hat super geklappt!",
            "Love the new lamp ❤️",
            "thanks, that helped",
            "Klasse Service, weiter so 👍",
            "@nordlicht_home Alles klar. Danke für den Support!",
        ],
    )
    def test_thanks_and_praise_without_a_complaint_are_praise(self, text: str) -> None:
        assert triage(text).has(Label.PRAISE)

    @pytest.mark.parametrize(
        "text",
        [
            "Kann ich an eine Packstation liefern lassen? Danke!",
            "Danke im Voraus für eure Hilfe",
            "Hat leider nicht geholfen.",
            "Ich bin nicht zufrieden.",
            "Great post! Claim your FREE iPhone here >>> http://free-gifts-now.example/win",
            "Danke, ihr Vollidioten.",
            "Ich fahre 2. Klasse.",
        ],
    )
    def test_politeness_negation_spam_and_insults_are_no_praise(self, text: str) -> None:
        assert not triage(text).has(Label.PRAISE)

    def test_praise_next_to_a_question_keeps_the_question(self) -> None:
        found = triage("Gibt es die Bettwäsche auch in Salbeigrün? Würde ich sofort kaufen 😍")

        assert {Label.PRAISE, Label.QUESTION} <= found.labels


class TestSafety:
    @pytest.mark.parametrize(
        "text",
        [
            "Ich habe einen Fire TV Stick, geht der mit eurer App?",
            "Does the Firestick work with your app?",
            "Ist die Auflaufform feuerfest?",
            "Ist das gefährlich für Kinder?",
            "Is this heater safe to leave on overnight?",
            "Gibt es einen Rauchmelder im Sortiment?",
            "Dazu bräuchte es einen Funken Geduld.",
        ],
    )
    def test_harmless_questions_are_not_safety_incidents(self, text: str) -> None:
        assert not triage(text).has(Label.SAFETY)

    def test_fire_tv_question_is_not_a_safety_incident(self) -> None:
        assert not triage("Läuft eure App auf dem Fire TV?").needs_person

    def test_the_lexicon_alone_still_escalates_the_fire_tv(self) -> None:
        assert triage("Läuft eure App auf dem Fire TV?", context=False).has(Label.SAFETY)

    @pytest.mark.parametrize(
        "text",
        [
            "Die Stehlampe hat beim Einschalten Funken geschlagen und gequalmt.",
            "Mein Kind hat sich an der Lampe verbrannt.",
            "sparks came out of the charger last night",
            "The kettle caught fire!",
            "I got an electric shock from the lamp.",
            "Das Netzteil ist überhitzt.",
            "Der Toaster hat gequalmt, ist das normal?",
            "Das Ding ist gefährlich!",
        ],
    )
    def test_a_reported_incident_or_hazard_is_a_safety_issue(self, text: str) -> None:
        found = triage(text)

        assert found.has(Label.SAFETY) and found.needs_person

    def test_a_denied_incident_is_none(self) -> None:
        assert not triage("Keine Sorge, die Lampe ist nicht überhitzt.").has(Label.SAFETY)


class TestLegalThreats:
    @pytest.mark.parametrize(
        "text",
        [
            "Kann die Polizei mein Paket abholen?",
            "Läuft heute der Polizeiruf?",
            "Do I need a police report for a stolen card?",
            "Merkel gehört vor Gericht gestellt.",
        ],
    )
    def test_police_or_court_without_a_threat_is_no_legal_threat(self, text: str) -> None:
        assert not triage(text).has(Label.LEGAL_THREAT)

    @pytest.mark.parametrize(
        "text",
        [
            "Ich gehe jetzt zur Polizei!",
            "Ich werde Anzeige erstatten.",
            "Das geht an meinen Anwalt.",
            "Ich werde die Verbraucherzentrale einschalten.",
            "I'll sue you if this isn't fixed.",
            "My lawyer will contact you.",
        ],
    )
    def test_a_threat_to_take_legal_steps_is_a_legal_threat(self, text: str) -> None:
        found = triage(text)

        assert found.has(Label.LEGAL_THREAT) and found.needs_person


class TestAbuse:
    def test_an_insult_beyond_the_lexicon_is_abusive(self) -> None:
        assert triage("Ihr seid doch alle Versager.").has(Label.ABUSIVE)

    def test_an_insulting_word_inside_a_handle_is_not_abusive(self) -> None:
        assert not triage("@KotzenderStern bin gleich da").has(Label.ABUSIVE)


class TestPublicFace:
    def test_escalating_labels_are_legal_press_and_safety(self) -> None:
        assert {Label.LEGAL_THREAT, Label.PRESS, Label.SAFETY} == ESCALATING_LABELS

    def test_spam_with_no_concern_is_spam(self) -> None:
        found = triage("🚀 Turn $500 into $15,000 with BTC mining!! DM me now")

        assert found.is_spam and not found.needs_person

    def test_the_lexicon_reading_never_gives_praise(self) -> None:
        assert not triage("Danke, hat super geklappt!", context=False).has(Label.PRAISE)

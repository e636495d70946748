"""The priority reading with the real models: tone, urgency reasons, score, JSON form."""

from __future__ import annotations

import json
import time

import pytest

from bot.priority import (
    URGENT,
    URGENT_SCORE,
    Priority,
    Sentiment,
    Urgency,
    UrgencyReason,
    assess_priority,
    read_sentiment,
    read_urgency,
)

NEUTRAL_QUESTION = "Wie lange ist mein Ticket gültig?"


def _reasons(text: str, earlier_unanswered: int = 0) -> dict[Urgency, UrgencyReason]:
    return {r.reason: r for r in read_urgency(text, earlier_unanswered=earlier_unanswered)}


class TestScore:
    def test_an_angry_safety_post_outranks_a_neutral_question(self) -> None:
        angry = assess_priority(
            "Euer Ladegerät hat gequalmt und Funken gesprüht, mein Kind hätte sich "
            "verletzen können! Unverschämt!"
        )
        neutral = assess_priority(NEUTRAL_QUESTION)

        assert Urgency.SAFETY in {r.reason for r in angry.reasons}
        assert angry.is_urgent and not neutral.is_urgent
        assert angry.score >= neutral.score + 0.5

    def test_safety_comes_before_an_outage_and_an_outage_before_mere_anger(self) -> None:
        safety = assess_priority("Your charger caught fire and burned my desk. Dangerous!")
        outage = assess_priority("Die App geht seit heute früh nicht, ich komme nicht mehr rein.")
        angry = assess_priority("Das ist eine Frechheit, schon wieder 40 Minuten Verspätung!")

        assert safety.score > outage.score > angry.score > assess_priority(NEUTRAL_QUESTION).score
        assert angry.sentiment is Sentiment.NEGATIVE and not angry.is_urgent

    def test_repeated_contact_raises_urgency(self) -> None:
        text = "Hallo, ich warte noch auf eine Antwort zu meiner Rechnung."
        once = assess_priority(text)
        again = assess_priority(text, earlier_unanswered=1)
        thrice = assess_priority(text, earlier_unanswered=3)

        assert Urgency.REPEATED_CONTACT not in {r.reason for r in once.reasons}
        confidences = [_reasons(text, n)[Urgency.REPEATED_CONTACT].confidence for n in (1, 2, 3)]
        assert confidences == sorted(confidences) and confidences[0] >= URGENT
        assert once.score < again.score < thrice.score

    @pytest.mark.parametrize(
        "text",
        [
            NEUTRAL_QUESTION,
            "Das ist eine Frechheit, schon wieder 40 Minuten Verspätung!",
            "Your site is down, I can't log in since an hour.",
            "Mein Flug ist morgen, bis wann kommt die Erstattung?",
            "Ich bin Journalistin und recherchiere zu diesem Vorfall.",
        ],
    )
    def test_the_score_alone_tells_whether_an_enquiry_is_urgent(self, text: str) -> None:
        priority = assess_priority(text)

        assert priority.is_urgent == (priority.score >= URGENT_SCORE)


class TestUrgency:
    @pytest.mark.parametrize(
        ("text", "cue_word"),
        [
            ("Die App geht seit heute früh nicht, ich komme nicht mehr rein.", "geht"),
            ("Your site is down, I can't log in since an hour.", "down"),
        ],
    )
    def test_an_app_outage_is_read_as_outage_in_german_and_english(
        self, text: str, cue_word: str
    ) -> None:
        outage = _reasons(text)[Urgency.OUTAGE]

        assert outage.confidence >= URGENT
        assert cue_word in outage.cue

    def test_a_stolen_card_is_read_as_safety_in_german_and_english(self) -> None:
        for text in (
            "Someone used my card without my permission, I see payments I didn't make.",
            "Jemand hat mit meiner Karte bezahlt, das war ich nicht!",
        ):
            assert _reasons(text)[Urgency.SAFETY].confidence >= URGENT

    def test_a_deadline_shows_the_words_that_set_it(self) -> None:
        deadline = _reasons("Mein Flug ist morgen, bis wann kommt die Erstattung?")[
            Urgency.DEADLINE
        ]

        assert deadline.confidence >= URGENT
        assert "morgen" in deadline.cue

    def test_since_this_morning_is_no_deadline(self) -> None:
        assert Urgency.DEADLINE not in _reasons("Die App geht seit heute früh nicht.")

    def test_a_lawyer_threat_is_legal_and_a_journalist_is_press(self) -> None:
        legal = _reasons("Wenn das nicht bis Freitag erledigt ist, schalte ich meinen Anwalt ein.")
        press = _reasons("I'm a journalist working on a story about your outage. Any comment?")

        assert legal[Urgency.LEGAL].confidence >= URGENT
        assert "Anwalt" in legal[Urgency.LEGAL].cue
        assert press[Urgency.PRESS].confidence >= URGENT

    def test_a_neutral_question_has_no_reason(self) -> None:
        assert read_urgency(NEUTRAL_QUESTION) == ()
        assert read_urgency("What are your opening hours?") == ()

    def test_the_reasons_are_exactly_the_six_agreed_ones(self) -> None:
        assert {u.value for u in Urgency} == {
            "safety",
            "outage",
            "legal",
            "press",
            "deadline",
            "repeated_contact",
        }


class TestSentiment:
    @pytest.mark.parametrize(
        "text",
        [
            "Vielen Dank, super Service, hat alles perfekt geklappt!",
            "Thanks a lot, great service, everything worked perfectly!",
        ],
    )
    def test_praise_reads_positive(self, text: str) -> None:
        reading = read_sentiment(text)

        assert reading.label is Sentiment.POSITIVE
        assert 0.5 <= reading.confidence <= 1.0

    @pytest.mark.parametrize(
        "text",
        [
            "Das ist eine Frechheit, schon wieder 40 Minuten Verspätung!",
            "This is ridiculous, I've been waiting for three weeks and nobody answers.",
        ],
    )
    def test_a_complaint_reads_negative(self, text: str) -> None:
        assert read_sentiment(text).label is Sentiment.NEGATIVE

    def test_a_plain_question_reads_neutral(self) -> None:
        assert read_sentiment(NEUTRAL_QUESTION).label is Sentiment.NEUTRAL


class TestJson:
    def test_priority_survives_a_json_round_trip(self) -> None:
        priority = assess_priority(
            "Your site is down and my flight is tomorrow!", earlier_unanswered=2
        )

        stored = json.loads(json.dumps(priority.to_json()))

        assert set(stored) == {"sentiment", "sentiment_confidence", "reasons", "score"}
        assert set(stored["reasons"][0]) == {"reason", "confidence", "cue"}
        assert Priority.from_json(stored) == priority

    def test_an_unknown_reason_is_rejected(self) -> None:
        stored = assess_priority(NEUTRAL_QUESTION).to_json()
        stored["reasons"] = [{"reason": "weather", "confidence": 0.9, "cue": ""}]

        with pytest.raises(ValueError, match="weather"):
            Priority.from_json(stored)


def test_assess_priority_takes_a_few_ms_after_the_first_call() -> None:
    assess_priority("Erster Aufruf lädt die Modelle.")
    texts = [f"Bestellung {n} ist nicht angekommen, bitte melden!" for n in range(20)]

    started = time.perf_counter()
    for text in texts:
        assess_priority(text)
    per_text = (time.perf_counter() - started) / len(texts)

    assert per_text < 0.05  # measured ~8 ms; generous for a loaded CI machine

"""Choosing the answer language: short texts, social-media noise, the author's history."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.drafting.language import detect_language
from bot.models import Language

WORD_LISTS = Path(__file__).parents[2] / "bot" / "drafting" / "language_words.yaml"


class TestShortTexts:
    @pytest.mark.parametrize(
        "text", ["symptoms", "Can I travel?", "refund?", "where is my order", "I?"]
    )
    def test_a_short_english_question_is_answered_in_english(self, text: str) -> None:
        assert detect_language(text).language is Language.EN

    @pytest.mark.parametrize(
        "text", ["Wo ist mein Paket?", "Hallo", "ok danke", "Storno?", "Kündigung?"]
    )
    def test_a_short_german_text_is_answered_in_german(self, text: str) -> None:
        assert detect_language(text, default=Language.EN).language is Language.DE

    def test_a_short_english_question_outweighs_a_german_channel_hint(self) -> None:
        assert detect_language("Can I travel?", hint="de").language is Language.EN

    @pytest.mark.parametrize("text", ["ok", "Hi", "👍", "lol 😂", "12:30?"])
    def test_a_text_that_tells_nothing_takes_the_hint_else_the_default(self, text: str) -> None:
        assert detect_language(text, hint="en-GB").language is Language.EN
        assert detect_language(text).language is Language.DE
        assert detect_language(text, default=Language.EN).language is Language.EN

    def test_a_longer_text_is_read_whatever_the_hint(self) -> None:
        reply = "Hi Anna, you can return any item within thirty days of delivery."

        detected = detect_language(reply, hint="de", default=Language.DE)

        assert detected.language is Language.EN
        assert detected.confidence > 0.9


class TestSocialMediaNoise:
    def test_hashtags_and_handles_do_not_decide_the_language(self) -> None:
        english = "@DB_Bahn @BahnHelp #DeutscheBahn #Hauptbahnhof where is my train?"
        german = "@NetworkRail @SouthernRailUK @GatwickExpress Danke!"

        assert detect_language(english).language is Language.EN
        assert detect_language(german, default=Language.EN).language is Language.DE

    def test_urls_and_email_addresses_are_not_read_as_words(self) -> None:
        text = "Danke! https://t.co/where-is-my-order support@example.com"

        assert detect_language(text, default=Language.EN).language is Language.DE

    def test_a_post_of_hashtags_alone_is_read_from_its_hashtags(self) -> None:
        assert detect_language("#WhereIsMyTrain").language is Language.EN
        assert detect_language("#Zugausfall #Verspätung", default=Language.EN).language is (
            Language.DE
        )

    def test_closing_hashtags_in_another_language_do_not_outvote_the_prose(self) -> None:
        text = "Der Zug fällt schon wieder aus #fail #epicfail #WorstTrainEver"

        assert detect_language(text, default=Language.EN).language is Language.DE


class TestHistory:
    def test_an_unsure_text_follows_the_authors_earlier_messages(self) -> None:
        history = ["Hello, where can I send my order back?"]

        detected = detect_language("ok", hint="de", history=history)

        assert detected.language is Language.EN

    def test_the_newest_earlier_message_that_is_sure_decides(self) -> None:
        history = ["Hallo, wo ist mein Paket?", "Sorry, I live in London now, can you help?", "👍"]

        assert detect_language("thx", history=history).language is Language.EN

    def test_a_sure_text_is_not_overruled_by_its_history(self) -> None:
        history = ["Hello, where can I send my order back?"]

        assert detect_language("Wo ist mein Paket?", history=history).language is Language.DE

    def test_an_unsure_history_leaves_the_choice_to_the_hint(self) -> None:
        detected = detect_language("ok", hint="en", history=["👍", "lol"])

        assert detected.language is Language.EN
        assert detected.confidence == 0.5


class TestWordLists:
    def test_each_listed_word_is_lower_case_text_of_one_list_only(self) -> None:
        lists = yaml.safe_load(WORD_LISTS.read_text(encoding="utf-8"))

        # YAML reads a bare `no` or `on` as a boolean: such a word must be quoted.
        words = [word for key in ("de", "en", "neutral") for word in lists[key]]
        assert all(isinstance(word, str) and word == word.lower() for word in words)
        assert len(words) == len(set(words))

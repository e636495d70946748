"""The default (fused) retrieval and answer decision, with the real models and Chroma."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.drafting import DraftingContext, OfflineDrafter
from bot.drafting.pipeline import draft_reply, question_parts
from bot.faq.fused import FusedRetriever
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, DraftAction, Language
from bot.settings import Settings
from bot.wiring import open_knowledge
from tests.conftest import FIXTURE_KNOWLEDGE

SAMPLE_QUESTIONS = [
    ("Wie lange habe ich Zeit, etwas zurückzuschicken?", Language.DE),
    ("Can I pay with PayPal?", Language.EN),
    ("Mein Paket ist kaputt angekommen", Language.DE),
    ("Do you ship to Switzerland?", Language.EN),
    ("Was kostet eine Pizza Margherita?", Language.DE),
]


def _entry(folder: Path, entry_id: str, question: str, answer: str, **extra: str) -> None:
    lines = [f"id: {entry_id}", f"question: {question}", "language: en"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    body = "---\n" + "\n".join(lines) + "\n---\n" + answer + "\n"
    (folder / "faq" / f"{entry_id}.md").write_text(body, encoding="utf-8")


@pytest.fixture(scope="module")
def shop_knowledge(tmp_path_factory: pytest.TempPathFactory) -> OpenedKnowledge:
    """A small English shop FAQ with a short generic entry and an expired offer."""
    root = tmp_path_factory.mktemp("shop")
    folder = root / "knowledge"
    (folder / "faq").mkdir(parents=True)
    shutil.copytree(FIXTURE_KNOWLEDGE / "guidelines", folder / "guidelines")
    _entry(folder, "about", "What is Nordlicht?", "Nordlicht is a home goods shop.")
    _entry(
        folder,
        "returns",
        "How long do I have to return an item?",
        "You can return any item within 30 days of delivery; the label is free.",
    )
    _entry(
        folder,
        "gift-wrapping",
        "Do you offer gift wrapping?",
        "Yes: choose gift wrapping at checkout for 3 euros per parcel.",
    )
    _entry(
        folder,
        "gift-cards",
        "Can I buy a gift card?",
        "Gift cards from 10 to 200 euros are sold in the shop and never expire.",
    )
    _entry(
        folder,
        "summer-sale",
        "Is there a summer sale?",
        "Our summer sale gives 20 percent off all garden furniture.",
        valid_until="2020-08-31",
    )
    _entry(
        folder,
        "packstation",
        "Can you deliver to a Packstation?",
        "Yes, enter the Packstation number and your DHL customer number as the address.",
    )
    return open_knowledge(Settings(data_dir=root / "data"), folder)


class TestDefaultRetrieval:
    def test_the_default_with_local_models_is_the_fused_retriever(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        assert isinstance(fixture_knowledge.retriever, FusedRetriever)

    def test_scores_come_back_in_descending_order(self, sample_knowledge: OpenedKnowledge) -> None:
        for text, language in SAMPLE_QUESTIONS:
            scores = [p.score for p in sample_knowledge.retriever.search(text, language, k=8)]

            assert scores == sorted(scores, reverse=True), text
            assert all(0.0 <= score <= 1.0 for score in scores)

    def test_a_short_generic_entry_does_not_win_questions_about_specifics(
        self, shop_knowledge: OpenedKnowledge
    ) -> None:
        for text, expected in [
            ("How many days do I have to send something back?", "returns"),
            ("can you wrap my order as a present?", "gift-wrapping"),
            ("Will you deliver to my DHL Packstation?", "packstation"),
        ]:
            best = shop_knowledge.retriever.search(text, Language.EN, k=1)[0]

            assert best.entry.id == expected, text

    def test_an_expired_entry_is_never_cited(self, shop_knowledge: OpenedKnowledge) -> None:
        results = shop_knowledge.retriever.search(
            "Is there a summer sale on garden furniture?", Language.EN, k=10
        )

        assert "summer-sale" not in [p.entry.id for p in results]

    def test_an_expired_entry_is_cited_while_it_is_still_valid(
        self, shop_knowledge: OpenedKnowledge
    ) -> None:
        retriever = shop_knowledge.retriever
        assert isinstance(retriever, FusedRetriever)
        in_summer_2020 = FusedRetriever(
            retriever.entries,
            retriever.extractor.e5,
            retriever.extractor.use,
            today=lambda: dt.date(2020, 7, 1),
        )

        results = in_summer_2020.search("Is there a summer sale?", Language.EN, k=1)

        assert results[0].entry.id == "summer-sale"

    def test_an_answerable_question_in_the_other_language_finds_its_entry(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        german = fixture_knowledge.retriever.search(
            "Liefert ihr auch in die Schweiz?", Language.DE, k=1
        )
        english = fixture_knowledge.retriever.search(
            "Can you deliver to a Packstation?", Language.EN, k=1
        )

        assert german[0].entry.id == "shipping-abroad-en"
        assert english[0].entry.id == "packstation-de"

    def test_an_unrelated_question_is_not_confident_enough_to_answer(
        self, shop_knowledge: OpenedKnowledge
    ) -> None:
        retriever = shop_knowledge.retriever

        best = retriever.search("What is the capital of Australia?", Language.EN, k=1)[0]

        assert best.score < retriever.answer_threshold

    def test_a_clear_match_is_confident_enough_to_answer(
        self, shop_knowledge: OpenedKnowledge
    ) -> None:
        retriever = shop_knowledge.retriever

        best = retriever.search("Do you offer gift wrapping?", Language.EN, k=1)[0]

        assert best.entry.id == "gift-wrapping"
        assert best.score >= retriever.answer_threshold


class TestPostsWithSeveralQuestions:
    def test_a_post_is_split_into_its_questions(self) -> None:
        text = "How long do I have to return a vase? And do you offer gift wrapping? Thanks!"

        assert question_parts(text) == [
            "How long do I have to return a vase?",
            "And do you offer gift wrapping? Thanks!",
        ]

    def test_a_short_reaction_is_not_a_question_of_its_own(self) -> None:
        text = "Seriously?? Why has my parcel still not arrived?"

        assert question_parts(text) == [text]

    async def test_a_post_with_two_questions_cites_both_entries(
        self, shop_knowledge: OpenedKnowledge
    ) -> None:
        context = _context(shop_knowledge)

        reply = await draft_reply(
            context,
            "How long do I have to return an item? And do you offer gift wrapping?",
            Channel.TELEGRAM,
            "Sam",
        )

        assert reply.action is DraftAction.REVIEW
        assert set(reply.citations) == {"returns", "gift-wrapping"}

    async def test_the_question_it_cannot_answer_is_handed_to_a_person(
        self, shop_knowledge: OpenedKnowledge
    ) -> None:
        context = _context(shop_knowledge)

        reply = await draft_reply(
            context,
            "Do you offer gift wrapping? And what is the capital of Australia anyway?",
            Channel.TELEGRAM,
            "Sam",
        )

        assert reply.citations == ("gift-wrapping",)
        assert "part_unanswered" in reply.flags
        assert "other question" in reply.text


def _context(opened: OpenedKnowledge) -> DraftingContext:
    return DraftingContext(
        retriever=opened.retriever,
        guidelines=opened.knowledge.guidelines,
        drafter=OfflineDrafter(),
        answer_threshold=opened.retriever.answer_threshold,
    )

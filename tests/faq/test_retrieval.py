"""Hybrid retrieval across German and English with the real model and Chroma."""

from __future__ import annotations

from bot.faq.opening import OpenedKnowledge
from bot.models import Language


class TestRetrieval:
    def test_german_question_finds_the_english_only_entry(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        results = fixture_knowledge.retriever.search(
            "Liefert ihr auch in die Schweiz?", Language.DE, k=3
        )

        assert results[0].entry.id == "shipping-abroad-en"

    def test_english_question_finds_the_german_only_entry(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        results = fixture_knowledge.retriever.search(
            "Can you deliver to a Packstation?", Language.EN, k=3
        )

        assert results[0].entry.id == "packstation-de"

    def test_the_customers_language_version_is_preferred(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        german = fixture_knowledge.retriever.search(
            "Wie lange kann ich etwas zurückgeben?", Language.DE, k=3
        )
        english = fixture_knowledge.retriever.search(
            "How long can I send things back?", Language.EN, k=3
        )

        assert german[0].entry.id == "returns-window-de"
        assert english[0].entry.id == "returns-window-en"

    def test_both_language_versions_count_as_one_result(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        results = fixture_knowledge.retriever.search("return period", Language.EN, k=5)

        ids = [p.entry.id for p in results]
        assert not {"returns-window-de", "returns-window-en"} <= set(ids)
        assert len(ids) == len(set(ids))

    def test_an_unrelated_question_scores_below_the_answer_threshold(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        results = fixture_knowledge.retriever.search(
            "Was kostet eine Pizza Margherita?", Language.DE, k=1
        )

        assert results[0].score < fixture_knowledge.retriever.answer_threshold

    def test_a_matching_question_scores_above_the_answer_threshold(
        self, fixture_knowledge: OpenedKnowledge
    ) -> None:
        results = fixture_knowledge.retriever.search("App login geht nicht", Language.DE, k=1)

        assert results[0].entry.id == "app-login-de"
        assert results[0].score >= fixture_knowledge.retriever.answer_threshold

    def test_sample_paraphrases_mostly_find_their_entry(
        self, sample_knowledge: OpenedKnowledge
    ) -> None:
        import json
        from pathlib import Path

        lines = (
            Path(__file__)
            .parents[2]
            .joinpath("benchmarks/data/sample_paraphrases.jsonl")
            .read_text(encoding="utf-8")
            .splitlines()
        )
        hits = 0
        for line in lines:
            item = json.loads(line)
            top = sample_knowledge.retriever.search(item["text"], Language(item["language"]), k=3)
            hits += any(
                p.entry.id in item["gold"] or p.entry.translation_of in item["gold"] for p in top
            )

        assert hits / len(lines) >= 0.8

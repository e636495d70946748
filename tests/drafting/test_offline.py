"""The offline drafter: personal, in the customer's language, grounded, honest when unsure."""

from __future__ import annotations

import pytest

from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext, draft_reply, prepare_request
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, DraftAction, Language


@pytest.fixture
def context(fixture_knowledge: OpenedKnowledge) -> DraftingContext:
    return DraftingContext(
        retriever=fixture_knowledge.retriever,
        guidelines=fixture_knowledge.knowledge.guidelines,
        drafter=OfflineDrafter(),
    )


class TestOfflineDrafter:
    async def test_reply_is_in_the_customers_language_and_uses_their_name(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context,
            "Wie lange habe ich Zeit für eine Rücksendung?",
            Channel.INSTAGRAM,
            "Anna Schmidt",
        )

        assert reply.language is Language.DE
        assert reply.text.startswith("Hallo Anna,")
        assert "30 Tagen" in reply.text
        assert reply.citations == ("returns-window-de",)
        assert reply.action is DraftAction.REVIEW

    async def test_english_enquiry_gets_the_english_version_of_the_entry(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context, "How long do I have to return an item?", Channel.TELEGRAM, "Tom"
        )

        assert reply.language is Language.EN
        assert reply.text.startswith("Hi Tom,")
        assert reply.citations == ("returns-window-en",)
        assert "30 days" in reply.text

    async def test_it_cites_only_retrieved_entries_and_states_only_their_facts(
        self, context: DraftingContext
    ) -> None:
        text = "Liefert ihr auch in die Schweiz?"
        request = prepare_request(context, text, Channel.FACEBOOK, "Lena")

        reply = await OfflineDrafter().draft(request)

        retrieved = {p.entry.id for p in request.passages}
        assert set(reply.citations) <= retrieved
        cited = context.retriever.entries[
            [e.id for e in context.retriever.entries].index(reply.citations[0])
        ]
        assert "5 to 7 working days" in cited.answer and "5 to 7 working days" in reply.text
        assert "answer_in_other_language" in reply.flags

    async def test_spam_is_ignored_without_a_reply(self, context: DraftingContext) -> None:
        reply = await draft_reply(
            context, "Buy 1000 real followers cheap!!! DM me now", Channel.X, None
        )

        assert reply.action is DraftAction.IGNORE
        assert reply.text == ""
        assert reply.citations == ()

    async def test_a_question_without_an_answer_escalates_honestly(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context, "Verkauft ihr auch Gartenmöbel aus Teakholz?", Channel.FACEBOOK, "Jonas"
        )

        assert reply.action is DraftAction.ESCALATE
        assert reply.citations == ()
        assert "keine verlässliche Antwort" in reply.text
        assert "§5" in reply.guideline_clauses

    async def test_a_legal_threat_goes_to_a_person_even_when_the_faq_answers_it(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context,
            "Ich kann mich nicht in der App anmelden, ich schalte jetzt meinen Anwalt ein!",
            Channel.FACEBOOK,
            "Jonas",
        )

        assert reply.action is DraftAction.ESCALATE
        assert "legal_threat" in reply.flags

    async def test_a_complaint_is_acknowledged_before_the_answer(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context,
            "Schon wieder geht der Login in der App nicht, echt ärgerlich!",
            Channel.TELEGRAM,
            "Mia",
        )

        assert reply.action is DraftAction.REVIEW
        assert "tut uns leid" in reply.text
        assert reply.text.index("tut uns leid") < reply.text.index("Passwort")
        assert "§2" in reply.guideline_clauses

    async def test_a_reply_on_x_fits_in_280_characters(self, context: DraftingContext) -> None:
        reply = await draft_reply(
            context,
            "Ich kann mich nicht in der App anmelden, was soll ich tun? Das nervt total!",
            Channel.X,
            "Sabine",
        )

        assert len(reply.text) <= 280
        assert reply.citations == ("app-login-de",)

    async def test_the_register_of_the_channel_is_used(self, context: DraftingContext) -> None:
        reply = await draft_reply(
            context, "Kann ich an eine Packstation liefern lassen?", Channel.WEBHOOK, "Frau Berger"
        )

        assert reply.text.startswith("Guten Tag Frau Berger,")
        assert "Freundliche Grüße" in reply.text
        assert "register_mismatch" in reply.flags

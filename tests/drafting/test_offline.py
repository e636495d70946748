"""The offline drafter: personal, in the customer's language, grounded, honest when unsure."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext, draft_reply, prepare_request
from bot.drafting.port import DraftRequest
from bot.drafting.register import du_forms
from bot.drafting.triage import triage
from bot.faq.files import Guidelines, load_knowledge
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, ChannelPolicy, DraftAction, Language, Passage, Register
from bot.resources import SAMPLE_KNOWLEDGE_DIR

DU_FORMS = re.compile(r"\b(du|dich|dir|dein\w*)\b", re.IGNORECASE)


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

    async def test_an_answer_that_exists_only_in_the_other_language_is_not_pasted(
        self, context: DraftingContext
    ) -> None:
        text = "Liefert ihr auch in die Schweiz?"
        request = prepare_request(context, text, Channel.FACEBOOK, "Lena")

        reply = await OfflineDrafter().draft(request)

        assert reply.action is DraftAction.ESCALATE
        assert "answer_only_in_other_language" in reply.flags
        assert "working days" not in reply.text

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
        assert "nicht sicher sagen" in reply.text
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

    async def test_a_sie_channel_never_gets_a_du_form(self, context: DraftingContext) -> None:
        reply = await draft_reply(
            context, "Kann ich an eine Packstation liefern lassen?", Channel.WEBHOOK, "Frau Berger"
        )

        assert reply.text.startswith("Guten Tag Frau Berger,")
        assert "Freundliche Grüße, Ihr Testladen-Team" in reply.text
        assert not DU_FORMS.search(reply.text)
        assert "Sie" in reply.text or reply.action is DraftAction.ESCALATE


class TestPersonalReplies:
    async def test_praise_gets_a_short_thank_you_and_no_faq_text(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context, "Die Lieferung kam super schnell, danke euch! 😍", Channel.INSTAGRAM, "Carla"
        )

        assert reply.action is DraftAction.REVIEW
        assert reply.citations == ()
        assert reply.text.startswith("Hallo Carla,\n\ndanke dir für die netten Worte")

    async def test_a_complaint_that_escalates_keeps_its_apology(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context,
            "Ich bin total enttäuscht: der Techniker hat den Aufbautermin schon dreimal verschoben.",
            Channel.FACEBOOK,
            "Jonas",
        )

        assert reply.action is DraftAction.ESCALATE
        assert "tut uns leid" in reply.text
        assert "melden uns bei dir" in reply.text

    async def test_a_safety_post_gets_concern_the_safety_step_and_escalation(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context,
            "Die Lampe hat Funken geschlagen, mein Kind hätte sich fast verbrannt!",
            Channel.FACEBOOK,
            "Michael",
        )

        assert reply.action is DraftAction.ESCALATE
        assert "gefährlich" in reply.text
        assert "nicht weiter" in reply.text
        assert "safety" in reply.flags

    async def test_a_retweet_is_ignored_with_a_reason(self, context: DraftingContext) -> None:
        reply = await draft_reply(
            context,
            "RT @handelsblatt: Online-Händler melden Rekordumsätze https://t.co/x1",
            Channel.X,
            "newsbot",
        )

        assert reply.action is DraftAction.IGNORE
        assert reply.text == ""
        assert "no_reply:retweet" in reply.flags

    async def test_an_x_reply_keeps_the_next_step(self, context: DraftingContext) -> None:
        reply = await draft_reply(
            context,
            "@testladen Ich komme nicht in die App und das Passwort zurücksetzen klappt auch nicht",
            Channel.X,
            "Sabine",
        )

        assert len(reply.text) <= 280
        assert "Testladen-Team" not in reply.text  # no signature on X
        assert reply.sentences_taken <= reply.sentences_available

    async def test_the_sign_off_follows_the_knowledge_folder(
        self, context: DraftingContext
    ) -> None:
        reply = await draft_reply(
            context, "How long do I have to return an item?", Channel.TELEGRAM, "Tom"
        )

        assert reply.text.endswith("Best wishes, the Testladen team")
        assert "Nordlicht" not in reply.text


@pytest.fixture(scope="module")
def sample_guidelines() -> Guidelines:
    """The shipped sample's guidelines, with its standard replies (knowledge/replies/)."""
    return load_knowledge(SAMPLE_KNOWLEDGE_DIR).guidelines


def sample_request(
    guidelines: Guidelines, text: str, channel: Channel, name: str | None, language: Language
) -> DraftRequest:
    """A request as the pipeline makes it when no FAQ entry matches."""
    return DraftRequest(
        text=text,
        channel=channel,
        author_name=name,
        language=language,
        passages=(),
        triage=triage(text),
        policy=guidelines.channels[channel.value],
        guidelines=guidelines,
        answer_threshold=0.5,
    )


class TestStandardReplies:
    @pytest.mark.parametrize(
        ("text", "channel", "name", "language", "cited", "start"),
        [
            (
                "Die Lieferung kam super schnell, danke euch! 😍",
                Channel.INSTAGRAM,
                "Carla",
                Language.DE,
                "reply:thanks-de-du",
                "Hallo Carla,\n\ndanke dir für die netten Worte",
            ),
            (
                "Vielen Dank für die freundliche Beratung am Telefon!",
                Channel.WEBHOOK,
                "Frau Berger",
                Language.DE,
                "reply:thanks-de-sie",
                "Guten Tag Frau Berger,\n\nvielen Dank für Ihre netten Worte",
            ),
            (
                "Thanks so much, the sofa arrived and it is lovely!",
                Channel.FACEBOOK,
                "Tom",
                Language.EN,
                "reply:thanks-en",
                "Hi Tom,\n\nThank you for the kind words",
            ),
        ],
    )
    def test_a_thanks_only_message_gets_the_thanks_standard_reply_and_cites_it(
        self,
        sample_guidelines: Guidelines,
        text: str,
        channel: Channel,
        name: str,
        language: Language,
        cited: str,
        start: str,
    ) -> None:
        request = sample_request(sample_guidelines, text, channel, name, language)

        reply = OfflineDrafter().compose(request)

        assert reply.action is DraftAction.REVIEW
        assert reply.citations == (cited,)
        assert reply.text.startswith(start)
        assert "praise" in reply.flags
        thanks = next(r for r in sample_guidelines.replies if r.citation == cited)
        assert thanks.text[1:] in reply.text  # word for word, after the greeting's lower case

    def test_a_public_complaint_without_an_answer_moves_to_a_direct_message_in_approved_words(
        self, sample_guidelines: Guidelines
    ) -> None:
        text = "Seit zwei Wochen warte ich auf mein Paket, das ist echt ärgerlich!"
        request = sample_request(sample_guidelines, text, Channel.X, "Felix", Language.DE)

        reply = OfflineDrafter().compose(request)

        assert reply.action is DraftAction.ESCALATE
        assert reply.citations == ("reply:private-handover-de-du",)
        assert "tut uns leid" in reply.text
        assert "per Direktnachricht oder über nordlicht-home.de/kontakt" in reply.text
        assert "§9" in reply.guideline_clauses
        assert len(reply.text) <= 280


class TestFormsOfAddress:
    def test_no_german_sample_answer_reaches_a_sie_channel_in_du(
        self, sample_knowledge: OpenedKnowledge
    ) -> None:
        guidelines = sample_knowledge.knowledge.guidelines
        german = [e for e in sample_knowledge.knowledge.entries if e.language is Language.DE]
        for entry in german:
            request = DraftRequest(
                text=entry.question,
                channel=Channel.WEBHOOK,
                author_name="Frau Berger",
                language=Language.DE,
                passages=(Passage(entry, 0.99),),
                triage=triage(entry.question),
                policy=ChannelPolicy(Register.SIE, 1500),
                guidelines=guidelines,
                answer_threshold=0.5,
            )

            reply = OfflineDrafter().compose(request)

            assert reply.action is DraftAction.ESCALATE or not du_forms(reply.text), entry.id

    @pytest.mark.parametrize(
        ("derive", "greeting"),
        [(True, "Guten Tag Frau Hoffmann,"), (False, "Guten Tag Gerda Hoffmann,")],
    )
    async def test_a_sie_salutation_derives_frau_only_when_the_guidelines_allow_it(
        self, context: DraftingContext, derive: bool, greeting: str
    ) -> None:
        guidelines = context.guidelines
        voice = dataclasses.replace(guidelines.voice, derive_salutation_title=derive)
        allowed = dataclasses.replace(
            context, guidelines=dataclasses.replace(guidelines, voice=voice)
        )

        reply = await draft_reply(
            allowed,
            "Kann ich an eine Packstation liefern lassen?",
            Channel.WEBHOOK,
            "Gerda Hoffmann",
        )

        assert reply.text.startswith(greeting)


class TestAuthorNamesAreData:
    @pytest.mark.parametrize(
        "name", ["Visit evil.example now", "mail me: win@prize.example", "<b>Admin</b>"]
    )
    async def test_a_link_or_markup_in_the_name_never_reaches_the_greeting(
        self, context: DraftingContext, name: str
    ) -> None:
        reply = await draft_reply(
            context, "How long do I have to return an item?", Channel.TELEGRAM, name
        )

        assert reply.text.startswith("Hi there,")
        assert "suspicious_author_name" in reply.flags
        assert "evil" not in reply.text and "prize" not in reply.text

"""The holding statement: every form, the crisis clause's rules, and each customer's reply."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.crisis.statement import FORMS, Statement, StatementText, draft_statement, personal_reply
from bot.errors import PermanentError
from bot.faq.files import KnowledgeBase, load_knowledge
from bot.models import Channel, Language, Register
from bot.resources import SAMPLE_KNOWLEDGE_DIR

STATUS_PAGE = "status.nordlicht-home.de"
OUTAGE_POSTS = ["Ist euer Shop down? Seit einer Stunde nur Fehlermeldungen", "App lädt nicht 😡"]
PAYMENT_POSTS = [
    "Ich kann seit heute Morgen nicht mit PayPal bezahlen, die Zahlung bricht immer ab",
    "Payment keeps failing at checkout, card declined although it works everywhere else",
]
GREETINGS = [
    (Language.DE, Register.DU, Channel.INSTAGRAM, "Anna Schmidt", "Hallo Anna,\n\n"),
    (Language.DE, Register.SIE, Channel.WEBHOOK, "Gerda Hoffmann", "Guten Tag Gerda Hoffmann,\n\n"),
    (Language.EN, Register.DU, Channel.FACEBOOK, "Tom Baker", "Hi Tom,\n\n"),
]


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(SAMPLE_KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def statement(knowledge: KnowledgeBase) -> Statement:
    return draft_statement(knowledge, "outage", OUTAGE_POSTS)


def folder_with_replies(tmp_path: Path, names: list[str]) -> KnowledgeBase:
    """A copy of the sample guidelines with only the named holding statements."""
    shutil.copytree(SAMPLE_KNOWLEDGE_DIR / "guidelines", tmp_path / "guidelines")
    (tmp_path / "replies").mkdir()
    for name in names:
        shutil.copy(SAMPLE_KNOWLEDGE_DIR / "replies" / f"{name}.md", tmp_path / "replies")
    return load_knowledge(tmp_path)


class TestDraftStatement:
    def test_the_statement_has_a_text_in_du_sie_and_english(self, statement: Statement) -> None:
        forms = [(t.language, t.register) for t in statement.texts]

        assert forms == list(FORMS)
        du = statement.text_for(Language.DE, Register.DU)
        sie = statement.text_for(Language.DE, Register.SIE)
        english = statement.text_for(Language.EN, Register.DU)
        assert du and " du " in du and "Sie " not in du
        assert sie and " Sie " in sie and " du " not in sie
        assert english and english == statement.text_for(Language.EN, Register.SIE)

    def test_it_cites_the_crisis_clause_and_the_standard_replies_it_uses(
        self, knowledge: KnowledgeBase, statement: Statement
    ) -> None:
        assert knowledge.guidelines.clause_for("crisis") == "§5"
        assert statement.citations == (
            "§5",
            "reply:holding-statement-de-du",
            "reply:holding-statement-de-sie",
            "reply:holding-statement-en",
        )

    def test_every_text_links_the_status_page_as_the_crisis_clause_asks(
        self, statement: Statement
    ) -> None:
        assert all(STATUS_PAGE in t.text for t in statement.texts)

    def test_payment_posts_get_the_payment_statement_in_every_form(
        self, knowledge: KnowledgeBase
    ) -> None:
        payment = draft_statement(knowledge, "Zahlung", PAYMENT_POSTS)

        assert payment.citations[1:] == (
            "reply:holding-statement-payment-de-du",
            "reply:holding-statement-payment-de-sie",
            "reply:holding-statement-payment-en",
        )
        assert "Zahlungsart" in (payment.text_for(Language.DE, Register.SIE) or "")

    def test_no_customer_text_and_no_topic_reaches_the_statement(
        self, knowledge: KnowledgeBase
    ) -> None:
        posts = ["Der Shop ist down, Bestellung 12345678 hängt, ruft mich an: 0171 2345678"]

        drafted = draft_statement(knowledge, "Der Shop oder die App funktioniert nicht", posts)

        for text in drafted.texts:
            assert "12345678" not in text.text and "0171" not in text.text
            assert "funktioniert nicht" not in text.text

    def test_a_sie_form_without_a_sie_text_is_rewritten_from_du(self, tmp_path: Path) -> None:
        knowledge = folder_with_replies(
            tmp_path, ["holding-statement-de-du", "holding-statement-en"]
        )

        drafted = draft_statement(knowledge, "outage", [])

        sie = drafted.text_for(Language.DE, Register.SIE) or ""
        assert "finden Sie auf status.nordlicht-home.de" in sie
        assert " du " not in sie and " dir " not in sie
        assert drafted.citations.count("reply:holding-statement-de-du") == 1

    def test_a_form_without_any_text_is_left_empty_for_the_lead_to_write(
        self, tmp_path: Path
    ) -> None:
        knowledge = folder_with_replies(tmp_path, ["holding-statement-de-du"])

        drafted = draft_statement(knowledge, "outage", [])

        assert drafted.text_for(Language.EN, Register.DU) is None
        assert StatementText(Language.EN, None, "") in drafted.texts
        assert "reply:holding-statement-en" not in drafted.citations


class TestStoredStatement:
    def test_a_statement_survives_its_json_column(self, statement: Statement) -> None:
        assert Statement.from_json(statement.to_json()) == statement

    def test_a_lead_edit_replaces_one_form_and_keeps_the_others(self, statement: Statement) -> None:
        edited = statement.with_texts({(Language.EN, Register.SIE): "  Our shop is down.  "})

        assert edited.text_for(Language.EN, Register.DU) == "Our shop is down."
        assert edited.text_for(Language.DE, Register.DU) == statement.text_for(
            Language.DE, Register.DU
        )
        assert edited.citations == statement.citations

    @pytest.mark.parametrize(
        "data",
        [{}, {"texts": "x", "citations": []}, {"texts": [{"language": "fr", "text": "x"}]}],
    )
    def test_a_malformed_stored_statement_is_refused(self, data: dict[str, object]) -> None:
        with pytest.raises(PermanentError):
            Statement.from_json(data)


class TestPersonalReply:
    @pytest.mark.parametrize(("language", "register", "channel", "name", "greeting"), GREETINGS)
    def test_the_customer_is_greeted_by_name_before_the_statement(
        self,
        knowledge: KnowledgeBase,
        statement: Statement,
        language: Language,
        register: Register,
        channel: Channel,
        name: str,
        greeting: str,
    ) -> None:
        text = statement.text_for(language, register)
        assert text is not None

        reply = personal_reply(
            text,
            name=name,
            language=language,
            register=register,
            channel=channel,
            guidelines=knowledge.guidelines,
        )

        assert reply.startswith(greeting)
        assert STATUS_PAGE in reply
        assert reply.endswith(knowledge.guidelines.voice.sign_off(language, register, channel))

    def test_german_goes_on_in_lower_case_after_the_greeting(
        self, knowledge: KnowledgeBase, statement: Statement
    ) -> None:
        reply = personal_reply(
            statement.text_for(Language.DE, Register.DU) or "",
            name="Anna",
            language=Language.DE,
            register=Register.DU,
            channel=Channel.TELEGRAM,
            guidelines=knowledge.guidelines,
        )

        assert reply.startswith("Hallo Anna,\n\nwir haben gerade eine Störung")

    def test_a_handle_is_not_greeted_by_name(
        self, knowledge: KnowledgeBase, statement: Statement
    ) -> None:
        reply = personal_reply(
            statement.text_for(Language.EN, Register.DU) or "",
            name="@nordlicht_fan99",
            language=Language.EN,
            register=Register.DU,
            channel=Channel.INSTAGRAM,
            guidelines=knowledge.guidelines,
        )

        assert reply.startswith("Hi there,\n\n")

    @pytest.mark.parametrize("posts", [OUTAGE_POSTS, PAYMENT_POSTS])
    @pytest.mark.parametrize(("language", "register", "channel", "name", "greeting"), GREETINGS)
    def test_on_x_the_reply_fits_280_characters_and_keeps_the_status_page(
        self,
        knowledge: KnowledgeBase,
        posts: list[str],
        language: Language,
        register: Register,
        channel: Channel,
        name: str,
        greeting: str,
    ) -> None:
        text = draft_statement(knowledge, "outage", posts).text_for(language, register)
        assert text is not None

        reply = personal_reply(
            text,
            name=name,
            language=language,
            register=register,
            channel=Channel.X,
            guidelines=knowledge.guidelines,
        )

        assert len(reply) <= 280
        assert reply.startswith(greeting)
        assert STATUS_PAGE in reply
        assert not reply.endswith("…")  # whole sentences were dropped, none was cut
        assert "Nordlicht-Team" not in reply  # no sign-off on X

"""Composition: the sentences that answer this customer, clean, within the channel's length."""

from __future__ import annotations

from bot.drafting.composition import (
    ReplyParts,
    clean_markup,
    fit_to_length,
    is_next_step,
    select_sentences,
)
from bot.models import Language

RETURNS = (
    "Du kannst jeden Artikel innerhalb von 30 Tagen nach Erhalt zurückschicken. "
    "Der Artikel sollte unbenutzt und vollständig sein. "
    "Möbel holt eine Spedition bei dir ab, den Termin vereinbarst du telefonisch. "
    "Ausgenommen sind maßgefertigte oder personalisierte Produkte. "
    "Das Retourenlabel erstellst du unter nordlicht-home.de/retoure."
)


class TestChoosingSentences:
    def test_the_answer_leads_and_the_next_step_is_always_kept(self) -> None:
        chosen = select_sentences(RETURNS, "Wie lange kann ich zurückgeben?", Language.DE)

        assert chosen.sentences[0].startswith("Du kannst jeden Artikel")
        assert any("nordlicht-home.de/retoure" in s for s in chosen.sentences)
        assert chosen.available == 5
        assert not any("Ausgenommen" in s for s in chosen.sentences)  # nothing it did not ask

    def test_sentences_about_what_the_customer_asked_win_over_the_rest(self) -> None:
        chosen = select_sentences(RETURNS, "Wie schicke ich ein Sofa (Möbel) zurück?", Language.DE)

        assert any(s.startswith("Möbel holt eine Spedition") for s in chosen.sentences)
        assert not any(s.startswith("Ausgenommen") for s in chosen.sentences)

    def test_chosen_sentences_keep_the_entrys_order(self) -> None:
        chosen = select_sentences(RETURNS, "Möbel zurückschicken, Retourenlabel?", Language.DE)

        positions = [RETURNS.index(s) for s in chosen.sentences]
        assert positions == sorted(positions)


class TestMarkup:
    def test_an_entry_with_markup_comes_out_clean(self) -> None:
        text = "**Wichtig:** <b>Bitte</b> nutze [das Formular](https://x.de/a).\n- erst dies\n- dann das"

        cleaned = clean_markup(text)

        assert cleaned == "Wichtig: Bitte nutze das Formular. erst dies dann das"

    def test_a_link_or_an_address_is_a_next_step(self) -> None:
        assert is_next_step("Schreib uns an service@nordlicht-home.de.")
        assert is_next_step("Mehr steht auf nordlicht-home.de/retoure.")
        assert not is_next_step("Der Artikel sollte unbenutzt sein.")
        assert not is_next_step("Wir schicken dir dann Ersatz.")

    def test_without_a_shared_word_the_first_sentence_answers(self) -> None:
        chosen = select_sentences(RETURNS, "Vase gefällt mir nicht", Language.DE)

        assert chosen.sentences[0].startswith("Du kannst jeden Artikel")


class TestFittingTheChannel:
    def test_an_x_reply_keeps_the_next_step_and_drops_the_rest(self) -> None:
        body = (
            "You can return any item within 30 days.",
            "It should be unused and complete.",
            "Custom-made products are excluded from returns and exchanges.",
            "Create your return label at nordlicht-home.de/returns.",
        )
        parts = ReplyParts(
            "Hi Tom,", "thanks for asking.", body, "", "Best, the team", essential=frozenset({0, 3})
        )

        text, shortened = fit_to_length(parts, 140)

        assert shortened
        assert len(text) <= 140
        assert "nordlicht-home.de/returns" in text
        assert "within 30 days" in text

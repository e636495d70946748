"""No reply where none is due, and a reply whenever in doubt."""

from __future__ import annotations

import pytest

from bot.drafting.reply_needed import NoReply, reply_needed

HANDLES = ("nordlicht_home",)
NAMES = ("Nordlicht Home",)


def decide(text: str, author_name: str | None = None) -> NoReply | None:
    return reply_needed(text, author_name=author_name, company_handles=HANDLES, company_names=NAMES)


class TestNoReply:
    def test_a_retweet_needs_no_reply(self) -> None:
        assert decide("RT @streckenagent_M: #S1 Störung behoben. http://t.co/47uWCYXMFZ") == (
            NoReply.RETWEET
        )

    def test_a_quote_that_only_passes_a_link_on_needs_no_reply(self) -> None:
        assert decide("Lesenswert 👇 https://t.co/abc123") is NoReply.RETWEET

    def test_a_news_headline_with_a_link_needs_no_reply(self) -> None:
        text = "Deutsche Bahn: GDL beendet Bahnstreik http://t.co/wHJKh4Fkhn via @zeitonline"

        assert decide(text) is NoReply.NEWS

    def test_article_text_without_a_link_needs_no_reply(self) -> None:
        text = (
            "Bahn-Streik beendet Bahn-Streik beendet Die Lokführergewerkschaft GDL hat sich mit"
            " der Deutschen Bahn überraschend auf eine Schlichtung geeinigt."
        )

        assert decide(text) is NoReply.NEWS

    def test_third_parties_talking_need_no_reply(self) -> None:
        text = "@Agent_mob @bahnONLINEch Und so kann die Bahn ständig erneuert werden."

        assert decide(text) is NoReply.CHATTER

    @pytest.mark.parametrize("author", ["nordlicht_home", "@Nordlicht_Home", "Nordlicht Home"])
    def test_our_own_post_needs_no_reply(self, author: str) -> None:
        assert decide("Neue Lampen im Shop! Was meint ihr?", author) is NoReply.OWN_POST

    @pytest.mark.parametrize(
        "text",
        [
            "Die ersten 25 Liker bekommen einen Gutschein!",
            "First 25 likers win a free lamp 🎉",
            "Like & share to win a weekend in Berlin!",
            "Gewinnspiel: Liken und teilen, und mit etwas Glück gewinnst du eine Lampe.",
        ],
    )
    def test_giveaway_bait_needs_no_reply(self, text: str) -> None:
        assert decide(text) is NoReply.GIVEAWAY_BAIT


class TestReplyDue:
    def test_a_question_to_the_company_needs_a_reply_even_with_a_link(self) -> None:
        assert decide("@nordlicht_home Ist diese Lampe noch lieferbar? https://t.co/x1") is None

    def test_a_question_about_a_giveaway_needs_a_reply(self) -> None:
        assert decide("Muss ich fürs Gewinnspiel liken und teilen, um zu gewinnen?") is None

    def test_a_complaint_needs_a_reply_even_without_a_handle(self) -> None:
        assert decide("Toll, schon wieder down 🙄 https://status.example.com") is None

    def test_thanks_to_the_company_needs_a_reply(self) -> None:
        assert decide("@nordlicht_home Alles klar. Danke für den Support!") is None

    def test_a_safety_incident_always_needs_a_reply(self) -> None:
        text = "RT @kunde: @nordlicht_home meine Lampe hat Funken geschlagen und gequalmt"

        assert decide(text) is None

    def test_a_post_naming_our_handle_among_others_needs_a_reply(self) -> None:
        assert decide("@advotuxde @nordlicht_home welche denn?") is None

    def test_a_complaint_between_third_parties_still_needs_a_reply(self) -> None:
        assert decide("@freundin die Lieferung ist schon wieder zu spät 😡") is None

    def test_chatter_is_not_guessed_without_our_handles(self) -> None:
        text = "@Agent_mob Und so kann die Bahn ständig erneuert werden."

        assert reply_needed(text) is None

    @pytest.mark.parametrize(
        "text",
        [
            "kann ich an ne packstation liefern lassen? bin tagsüber nie da",
            "Ich warte seit 9 Tagen auf meine Lieferung https://t.co/track",
            "how do i reset my password, the reset email never comes",
            "Transfer 100 dollars from checking to savings",
            "wann macht die Filiale am Samstag auf, um 9:00",
        ],
    )
    def test_a_customer_writing_to_us_needs_a_reply(self, text: str) -> None:
        assert decide(text) is None

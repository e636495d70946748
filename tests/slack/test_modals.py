"""The modals and ephemeral prompts of the review flow as pure Block Kit."""

from __future__ import annotations

from bot.slack.blocks import MAX_SECTION_TEXT, Field, Form
from bot.slack.modals import (
    MAX_VIEW_BLOCKS,
    EditMetadata,
    RejectReason,
    conversation_modal,
    edit_modal,
    escalate_modal,
    reject_modal,
    stale_prompt,
)
from tests.slack.test_blocks import all_text, buttons, make_card, sections


class TestModals:
    def test_edit_modal_is_prefilled_with_the_draft(self) -> None:
        view = edit_modal(make_card())
        blocks = view["blocks"]
        assert isinstance(blocks, list)
        reply = [b for b in blocks if b.get("block_id") == Field.REPLY.value][0]
        assert (
            reply["element"]["initial_value"] == "Du kannst innerhalb von 30 Tagen zurückschicken."
        )
        assert view["callback_id"] == Form.EDIT.value
        assert EditMetadata.decode(str(view["private_metadata"])) == EditMetadata(
            "d1", False, 1000, "Telegram"
        )

    def test_edit_modal_warns_that_changed_knowledge_is_sent_anyway(self) -> None:
        view = edit_modal(make_card(), stale=["returns-window-de changed"])
        assert "returns-window-de changed" in all_text(view["blocks"])  # type: ignore[arg-type]
        assert EditMetadata.decode(str(view["private_metadata"])).send_anyway

    def test_reject_modal_offers_the_five_reasons(self) -> None:
        text = all_text([reject_modal("d1")])
        for label in ["Wrong facts", "Wrong tone", "Should not answer", "Duplicate", "Other"]:
            assert label in text
        assert len(RejectReason) == 5

    def test_escalate_modal_offers_configured_groups_next_to_people(self) -> None:
        with_group = all_text([escalate_modal("d1", [("S_REVIEW", "Reviewer group")])])
        assert "users_select" in with_group and "S_REVIEW" in with_group
        assert "static_select" not in all_text([escalate_modal("d1")])

    def test_conversation_modal_shows_all_text_within_view_limits(self) -> None:
        view = conversation_modal(make_card("a" * 7000, "b" * 100))
        blocks = view["blocks"]
        assert isinstance(blocks, list) and len(blocks) <= MAX_VIEW_BLOCKS
        assert sum(s.count("a") for s in sections(blocks)) == 7000
        assert all(len(text) <= MAX_SECTION_TEXT for text in sections(blocks))

    def test_stale_prompt_offers_regenerate_and_send_anyway_for_the_draft(self) -> None:
        blocks = stale_prompt("d1", ["returns-window-de changed"])
        assert [(b["action_id"], b["value"]) for b in buttons(blocks)] == [
            ("draft.regenerate", "d1"),
            ("draft.send_anyway", "d1"),
        ]

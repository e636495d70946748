"""The review card and modals as pure Block Kit: content, limits and buttons per status."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace

import pytest

from bot.faq.response_targets import TargetState
from bot.models import (
    Channel,
    Decision,
    DecisionKind,
    Delivery,
    DeliveryState,
    Draft,
    DraftAction,
    Language,
)
from bot.review import CardMessage, CardStatus, CardWait, ReviewCard
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    Action,
    Block,
    Form,
    build_review_blocks,
    status_line,
    wait_line,
)

NOW = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)
DECIDING = {Action.APPROVE.value, Action.EDIT.value, Action.REJECT.value, Action.REGENERATE.value}


def make_card(
    *texts: str,
    status: CardStatus = CardStatus.AWAITING_REVIEW,
    draft_text: str = "Du kannst innerhalb von 30 Tagen zurückschicken.",
    channel: Channel = Channel.TELEGRAM,
    max_length: int = 1000,
    **changes: object,
) -> ReviewCard:
    messages = tuple(
        CardMessage(f"e{i}", text, "text", NOW) for i, text in enumerate(texts or ("Rückgabe?",))
    )
    draft = Draft(
        id="d1",
        enquiry_id="e0",
        text=draft_text,
        language=Language.DE,
        action=DraftAction.REVIEW,
        confidence=0.82,
        citations=("returns-window-de",),
        guideline_clauses=("§3",),
        flags=("complaint",),
    )
    card = ReviewCard(
        conversation_id="c1",
        root_enquiry_id="e0",
        channel=channel,
        author_name="Anna Adler",
        messages=messages,
        status=status,
        draft=draft,
        cited=(("returns-window-de", "Wie lange habe ich Zeit?"),),
        clauses=(("§3", "Du und Sie"),),
        max_length=max_length,
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def decision(kind: DecisionKind = DecisionKind.APPROVED, **changes: object) -> Decision:
    return replace(Decision("x1", "d1", kind, "U1", final_text="Hallo", decided_at=NOW), **changes)  # type: ignore[arg-type]


def delivery(state: DeliveryState, **changes: object) -> Delivery:
    return replace(Delivery("v1", "d1", Channel.TELEGRAM, "Hallo", state=state), **changes)  # type: ignore[arg-type]


def all_text(blocks: list[Block]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def sections(blocks: list[Block]) -> list[str]:
    return [str(b["text"]["text"]) for b in blocks if b["type"] == "section"]  # type: ignore[index]


def buttons(blocks: list[Block]) -> list[Block]:
    found: list[Block] = []
    for block in blocks:
        if block["type"] == "actions":
            found += block["elements"]  # type: ignore[arg-type]
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            found.append(accessory)
    return found


class TestReviewBlocks:
    def test_card_shows_customer_channel_language_draft_sources_confidence_and_labels(self) -> None:
        blocks = build_review_blocks(make_card("Wie lange habe ich Zeit?", "Und das Porto?"))
        text = all_text(blocks)
        assert blocks[0] == {
            "type": "header",
            "text": {"type": "plain_text", "text": "Anna Adler on Telegram"},
        }
        for expected in [
            ">Wie lange habe ich Zeit?",
            ">Und das Porto?",
            "language: German",
            "confidence: 82%",
            "suggested: check and send",
            "`complaint`",
            "Du kannst innerhalb von 30 Tagen",
            "Wie lange habe ich Zeit? (`returns-window-de`)",
            "§3 Du und Sie",
            "Awaiting review",
        ]:
            assert expected in text

    def test_awaiting_review_offers_five_buttons_whose_values_are_only_the_draft_id(self) -> None:
        found = buttons(build_review_blocks(make_card()))
        assert [b["action_id"] for b in found] == [
            "draft.approve",
            "draft.edit",
            "draft.reject",
            "draft.regenerate",
            "draft.escalate",
        ]
        assert {b["value"] for b in found} == {"d1"}

    @pytest.mark.parametrize(
        ("status", "state", "expected"),
        [
            (CardStatus.SENDING, DeliveryState.QUEUED, ["draft.escalate"]),
            (CardStatus.SENT, DeliveryState.SENT, ["draft.save_as_faq"]),
            (
                CardStatus.DELIVERY_FAILED,
                DeliveryState.FAILED,
                ["delivery.retry", "draft.escalate"],
            ),
            (CardStatus.OUTCOME_UNKNOWN, DeliveryState.OUTCOME_UNKNOWN, ["draft.escalate"]),
            (CardStatus.REJECTED, None, ["draft.escalate"]),
        ],
    )
    def test_deciding_buttons_are_gone_after_a_decision(
        self, status: CardStatus, state: DeliveryState | None, expected: list[str]
    ) -> None:
        kind = DecisionKind.REJECTED if status is CardStatus.REJECTED else DecisionKind.APPROVED
        card = make_card(
            status=status,
            decision=decision(kind),
            delivery=delivery(state) if state else None,
        )
        actions = [b["action_id"] for b in buttons(build_review_blocks(card))]
        assert actions == expected
        assert not DECIDING & set(actions)

    def test_card_of_a_very_long_conversation_stays_within_fifty_blocks(self) -> None:
        texts = [f"Nachricht {i}" for i in range(200)]
        blocks = build_review_blocks(make_card(*texts))
        text = all_text(blocks)
        assert len(blocks) <= MAX_BLOCKS
        assert "Nachricht 0" in text and "Nachricht 199" in text  # first and newest kept
        assert "more message(s) not shown" in text
        assert {"action_id": "card.show_all", "value": "e0"}.items() <= buttons(blocks)[0].items()

    def test_long_customer_text_is_cut_with_a_show_all_button_for_that_message(self) -> None:
        blocks = build_review_blocks(make_card("kurz", "x" * 10_000))
        show_all = [b for b in buttons(blocks) if b["action_id"] == Action.SHOW_ALL.value]
        assert [b["value"] for b in show_all] == ["e1"]
        assert all(len(text) <= MAX_SECTION_TEXT for text in sections(blocks))
        assert "…" in all_text(blocks)

    def test_every_text_stays_within_slack_limits_however_long_the_inputs(self) -> None:
        card = make_card(
            *["ü" * 5000] * 60,
            draft_text="d" * 9000,
            author_name="N" * 400,
            status=CardStatus.REJECTED,
            decision=decision(DecisionKind.REJECTED, reason="r" * 5000),
            owner="<@U2>",
        )
        blocks = build_review_blocks(card)
        assert len(blocks) <= MAX_BLOCKS
        assert all(len(text) <= MAX_SECTION_TEXT for text in sections(blocks))
        assert len(blocks[0]["text"]["text"]) <= 150  # type: ignore[index]

    def test_x_card_counts_characters_against_280(self) -> None:
        fits = build_review_blocks(
            make_card(channel=Channel.X, max_length=280, draft_text="a" * 200)
        )
        too_long = build_review_blocks(
            make_card(channel=Channel.X, max_length=280, draft_text="a" * 300)
        )
        assert "200/280 characters" in all_text(fits)
        assert "too long" not in all_text(fits)
        assert "300/280 characters :warning: too long" in all_text(too_long)

    def test_other_channels_show_the_count_only_when_the_draft_is_too_long(self) -> None:
        assert "characters" not in all_text(build_review_blocks(make_card()))

    def test_customer_text_cannot_mention_or_link_anything(self) -> None:
        text = all_text(build_review_blocks(make_card("<!channel> <@U1> & <https://x.example|hi>")))
        assert "<!channel>" not in text and "<@U1>" not in text
        assert "&lt;!channel&gt; &lt;@U1&gt; &amp; &lt;https://x.example|hi&gt;" in text

    def test_an_empty_draft_can_be_edited_but_not_approved(self) -> None:
        actions = [b["action_id"] for b in buttons(build_review_blocks(make_card(draft_text="")))]
        assert Action.APPROVE.value not in actions
        assert Action.EDIT.value in actions

    def test_edited_approval_shows_the_edited_reply_next_to_the_original_draft(self) -> None:
        card = make_card(
            status=CardStatus.SENDING,
            decision=decision(DecisionKind.EDITED, final_text="Neuer Text"),
            delivery=delivery(DeliveryState.QUEUED),
        )
        text = all_text(build_review_blocks(card))
        assert "Du kannst innerhalb von 30 Tagen" in text and "Neuer Text" in text
        assert "Approved with edits by <@U1>, sending…" in text

    def test_action_ids_follow_one_pattern(self) -> None:
        for action in [*Action, *Form]:
            assert re.fullmatch(r"[a-z]+\.[a-z_]+", action.value)


class TestStatusLine:
    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            (
                {"status": CardStatus.DRAFTING_DELAYED, "draft": None},
                "Drafting delayed — the model is unavailable",
            ),
            (
                {
                    "status": CardStatus.SENDING,
                    "decision": decision(),
                    "delivery": delivery(DeliveryState.QUEUED),
                },
                "Approved by <@U1>, sending…",
            ),
            (
                {
                    "status": CardStatus.SENT,
                    "decision": decision(),
                    "delivery": delivery(DeliveryState.SENT, external_message_id="m-42"),
                },
                "Sent (message id `m-42`)",
            ),
            (
                {
                    "status": CardStatus.DELIVERY_FAILED,
                    "decision": decision(),
                    "delivery": delivery(DeliveryState.FAILED, last_error="refused: blocked"),
                },
                "Delivery failed: refused: blocked",
            ),
            (
                {
                    "status": CardStatus.OUTCOME_UNKNOWN,
                    "decision": decision(),
                    "delivery": delivery(DeliveryState.OUTCOME_UNKNOWN),
                },
                "Outcome unknown — please check the channel before doing anything",
            ),
            (
                {
                    "status": CardStatus.REJECTED,
                    "decision": decision(DecisionKind.REJECTED, reason="Wrong tone"),
                },
                "Rejected by <@U1>: Wrong tone",
            ),
            ({"owner": "<!subteam^S1>"}, "Owner: <!subteam^S1>"),
        ],
    )
    def test_status_line_says_where_the_conversation_stands(
        self, changes: dict[str, object], expected: str
    ) -> None:
        assert expected in status_line(replace(make_card(), **changes))  # type: ignore[arg-type]


class TestWaitLine:
    @pytest.mark.parametrize(
        ("wait", "expected"),
        [
            (CardWait(42 * 60 + 59, 3600, TargetState.ON_TRACK), ":stopwatch: 42 min of 60 min"),
            (CardWait(50 * 60, 3600, TargetState.AT_RISK), "*At risk:* 50 min of 60 min"),
            (CardWait(72 * 60, 3600, TargetState.OVERDUE), "*Overdue:* 72 min of 60 min"),
            (CardWait(3 * 3600 + 300, 4 * 3600, TargetState.AT_RISK), "3 h 5 min of 4 h"),
        ],
    )
    def test_an_undecided_card_shows_its_wait_against_the_target_and_its_state(
        self, wait: CardWait, expected: str
    ) -> None:
        card = make_card(wait=wait)

        assert expected in status_line(card)
        assert expected in json.dumps(build_review_blocks(card), ensure_ascii=False)

    def test_a_card_without_a_target_or_decided_shows_no_wait(self) -> None:
        card = make_card()

        assert wait_line(card) is None
        assert " of " not in status_line(card)


def test_a_private_follow_up_is_shown_apart_from_the_public_reply() -> None:
    card = make_card(channel=Channel.INSTAGRAM)
    assert card.draft is not None
    private = "Schick uns bitte deine Bestellnummer per Direktnachricht."
    card = replace(card, draft=replace(card.draft, private_followup=private))

    blocks = build_review_blocks(card)

    text = json.dumps(blocks, ensure_ascii=False)
    assert "Private follow-up" in text
    assert "Bestellnummer" in text

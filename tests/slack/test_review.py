"""The review loop end to end over real HTTP: signed Slack requests in, Slack calls out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.faq.embedders import UseEmbedder
from bot.models import Channel, DecisionKind, EnquiryKind, InboundMessage
from bot.services import take_in
from bot.slack.blocks import Action, Field, Form
from bot.slack.modals import EditMetadata
from bot.storage import tables
from tests.slack.harness import (
    CUSTOMER_CHANNEL,
    REVIEW_CHANNEL,
    ServedApp,
    card_buttons,
    card_text,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
    thread_replies,
)
from tests.stand_ins import JSONObject, SlackStandIn, message_shortcut_body

ENQUIRY_TS = "1700000000.000001"


@pytest.fixture
async def app(
    slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
) -> AsyncIterator[ServedApp]:
    async with served_app(slack_settings(tmp_path, slack), slack, use_embedder) as served:
        yield served


def customer_replies(slack: SlackStandIn) -> list[str]:
    return [m.text for m in thread_replies(slack, CUSTOMER_CHANNEL, ENQUIRY_TS)]


async def opened_view(slack: SlackStandIn) -> dict[str, object]:
    await eventually(lambda: slack.count("views.open") == 1)
    view = slack.calls("views.open")[0].params["view"]
    assert isinstance(view, dict)
    return view


async def decision_kinds(app: ServedApp) -> list[str]:
    async with app.runtime.desk.db.engine.connect() as conn:
        rows = await conn.execute(sa.select(tables.decisions.c.kind))
        return [row.kind for row in rows]


class TestSlackReview:
    async def test_approve_click_sends_the_reply_once_and_marks_the_card_sent(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        card = review_card(slack)
        assert "Awaiting review" in card_text(card)
        assert set(card_buttons(card)) >= {Action.APPROVE.value, Action.EDIT.value}

        response = await app.click(Action.APPROVE, draft_id_on(card))

        assert response.status_code == 200
        await eventually(lambda: "Sent (message id" in card_text(review_card(slack)))
        replies = customer_replies(slack)
        assert len(replies) == 1 and "30 Tagen" in replies[0]
        assert "Approved by <@U_REVIEWER>" in card_text(review_card(slack))
        assert card_buttons(review_card(slack)) == [Action.SAVE_AS_FAQ.value]
        assert await app.count(tables.decisions) == 1
        assert await app.count(tables.deliveries) == 1

    async def test_edit_shows_field_errors_for_empty_and_too_long_text_then_sends_the_edit(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        draft_id = draft_id_on(review_card(slack))
        await app.click(Action.EDIT, draft_id)
        view = await opened_view(slack)
        assert "30 Tagen" in str(view["blocks"])
        metadata = str(view["private_metadata"])

        empty = await app.submit(Form.EDIT, metadata, {Field.REPLY: {"value": "  "}})
        too_long = await app.submit(Form.EDIT, metadata, {Field.REPLY: {"value": "x" * 2001}})
        assert empty.json() == {
            "response_action": "errors",
            "errors": {"reply": "The reply is empty."},
        }
        assert too_long.json()["errors"]["reply"] == (
            "The reply has 2001 characters; Slack allows 2000."
        )
        assert await app.count(tables.decisions) == 0

        ok = await app.submit(Form.EDIT, metadata, {Field.REPLY: {"value": "Hallo Anna, 30 Tage!"}})

        assert ok.status_code == 200 and ok.text == ""
        await eventually(lambda: customer_replies(slack) == ["Hallo Anna, 30 Tage!"])
        await eventually(lambda: "Sent" in card_text(review_card(slack)))
        assert await decision_kinds(app) == [DecisionKind.EDITED.value]
        text = card_text(review_card(slack))
        assert "Approved with edits by <@U_REVIEWER>" in text
        assert "du kannst jeden Artikel" in text  # the original draft is kept
        assert EditMetadata.decode(metadata).draft_id == draft_id

    async def test_reject_with_reason_shows_it_on_the_card_and_sends_nothing(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        draft_id = draft_id_on(review_card(slack))
        await app.click(Action.REJECT, draft_id)
        await opened_view(slack)
        reason: JSONObject = {"type": "static_select", "selected_option": {"value": "other"}}

        missing_note = await app.submit(Form.REJECT, draft_id, {Field.REASON: {"value": reason}})
        assert missing_note.json()["errors"] == {"note": "Please say why."}

        wrong_tone: JSONObject = {
            "type": "static_select",
            "selected_option": {"value": "wrong_tone"},
        }
        await app.submit(
            Form.REJECT,
            draft_id,
            {Field.REASON: {"value": wrong_tone}, Field.NOTE: {"value": "zu förmlich"}},
        )

        await eventually(lambda: "Rejected by" in card_text(review_card(slack)))
        assert "Rejected by <@U_REVIEWER>: Wrong tone — zu förmlich" in card_text(
            review_card(slack)
        )
        assert not {Action.APPROVE.value, Action.REJECT.value} & set(
            card_buttons(review_card(slack))
        )
        assert customer_replies(slack) == []
        assert await app.count(tables.deliveries) == 0

    async def test_regenerate_replaces_the_draft_on_the_same_card_and_keeps_history_in_thread(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        card = review_card(slack)
        old_draft = draft_id_on(card)
        await app.click(Action.REGENERATE, old_draft)
        await opened_view(slack)

        await app.submit(Form.REGENERATE, old_draft, {Field.HINT: {"value": "kürzer"}})

        await eventually(lambda: "revision 2" in card_text(review_card(slack)))
        assert review_card(slack).ts == card.ts  # same card, updated in place
        assert len([m for m in slack.messages(REVIEW_CHANNEL) if m.thread_ts is None]) == 1
        await eventually(lambda: len(thread_replies(slack, REVIEW_CHANNEL, card.ts)) == 1)
        history = thread_replies(slack, REVIEW_CHANNEL, card.ts)
        assert len(history) == 1 and "Replaced draft (revision 1)" in history[0].text
        new_draft = draft_id_on(review_card(slack))
        assert new_draft != old_draft

        stale_click = await app.click(Action.APPROVE, old_draft)
        assert stale_click.status_code == 200
        await eventually(lambda: slack.count("chat.postEphemeral") == 1)
        assert "newer draft replaced" in str(slack.calls("chat.postEphemeral")[0].params["text"])
        assert await app.count(tables.decisions) == 0

    async def test_escalate_mentions_the_assignee_in_the_thread_and_the_card_shows_the_owner(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        card = review_card(slack)
        draft_id = draft_id_on(card)
        await app.click(Action.ESCALATE, draft_id)
        await opened_view(slack)

        await app.submit(
            Form.ESCALATE,
            draft_id,
            {Field.USER: {"value": {"type": "users_select", "selected_user": "U_LEAD"}}},
        )

        await eventually(lambda: "Owner: <@U_LEAD>" in card_text(review_card(slack)))
        await eventually(lambda: len(thread_replies(slack, REVIEW_CHANNEL, card.ts)) == 1)
        thread = thread_replies(slack, REVIEW_CHANNEL, card.ts)
        assert [m.text for m in thread] == ["Escalated to <@U_LEAD> by <@U_REVIEWER>."]
        assert Action.APPROVE.value in card_buttons(review_card(slack))  # still open

    async def test_message_shortcut_creates_an_enquiry_whose_reply_goes_into_its_thread(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        slack.set_user("U_ANNA", "anna", real_name="Anna Adler")
        body = message_shortcut_body(
            "replydesk.draft_from_message",
            CUSTOMER_CHANNEL,
            ENQUIRY_TS,
            "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?",
            user_id="U_AGENT",
            message_user="U_ANNA",
        )

        response = await app.post(body)

        assert response.status_code == 200
        await eventually(lambda: slack.count("chat.postEphemeral") == 1)
        await eventually(lambda: bool(draft_id_on(review_card(slack))))  # drafted from the queue
        card = review_card(slack)
        assert "Anna Adler on Slack" in card_text(card)
        assert "drafting a reply" in str(slack.calls("chat.postEphemeral")[0].params["text"])
        await app.click(Action.APPROVE, draft_id_on(card))
        await eventually(lambda: len(customer_replies(slack)) == 1)
        assert "Hallo Anna" in customer_replies(slack)[0]

    async def test_approving_a_draft_whose_faq_entry_changed_warns_then_send_anyway_sends(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await app.enquire()
        draft_id = draft_id_on(review_card(slack))
        catalog = app.runtime.desk.catalog
        entry = catalog.entries["returns-window-de"]
        catalog.entries["returns-window-de"] = replace(entry, content_hash="edited-since")

        await app.click(Action.APPROVE, draft_id)

        await eventually(lambda: slack.count("chat.postEphemeral") == 1)
        warning = slack.calls("chat.postEphemeral")[0].params
        assert "returns-window-de changed" in str(warning["blocks"])
        assert "draft.send_anyway" in str(warning["blocks"])
        assert await app.count(tables.decisions) == 0

        await app.click(Action.SEND_ANYWAY, draft_id)

        await eventually(lambda: len(customer_replies(slack)) == 1)
        assert await app.count(tables.decisions) == 1

    async def test_show_all_opens_the_whole_long_message_in_a_modal(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        receipt = await app.enquire("Rückgabe? " + "Details " * 400)

        await app.click(Action.SHOW_ALL, receipt.enquiry.id)

        view = await opened_view(slack)
        assert str(view["blocks"]).count("Details") == 400
        assert slack.count("chat.postEphemeral") == 0

    async def test_approving_an_empty_draft_is_refused_with_the_problem(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        sticker = InboundMessage(
            channel=Channel.SLACK,
            external_id=f"{CUSTOMER_CHANNEL}:{ENQUIRY_TS}",
            text="😀",
            author_id="U_ANNA",
            kind=EnquiryKind.STICKER,
            reply_target={"channel": CUSTOMER_CHANNEL, "thread_ts": ENQUIRY_TS},
        )
        await take_in(app.runtime.desk, sticker)
        # A drafting worker may draft it instead of take_in: the card follows shortly.
        await eventually(lambda: bool(draft_id_on(review_card(slack))))
        card = review_card(slack)
        assert Action.APPROVE.value not in card_buttons(card)

        await app.click(Action.APPROVE, draft_id_on(card))  # e.g. from an older copy of the card

        await eventually(lambda: slack.count("chat.postEphemeral") == 1)
        assert slack.calls("chat.postEphemeral")[0].params["text"] == "Not sent: the reply is empty"
        assert await app.count(tables.decisions) == 0

"""Restarts and Slack outages: every approved reply arrives once, and cards catch up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.faq.embedders import UseEmbedder
from bot.models import Channel, Delivery, DeliveryState, InboundMessage, utc_now
from bot.services import take_in
from bot.settings import Settings
from bot.slack.blocks import Action, Field, Form
from bot.slack.modals import RejectReason
from bot.storage import tables
from tests.slack.harness import (
    CUSTOMER_CHANNEL,
    QUESTION,
    REVIEW_CHANNEL,
    card_buttons,
    card_text,
    count_rows,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
    thread_replies,
)
from tests.stand_ins import JSONObject, SlackStandIn

ENQUIRY_TS = "1700000000.000001"


@pytest.fixture
def settings(slack: SlackStandIn, tmp_path: Path) -> Settings:
    return slack_settings(tmp_path, slack)


async def enquire(runtime: Runtime) -> None:
    """Take an enquiry in before the app's background jobs start."""
    inbound = InboundMessage(
        channel=Channel.SLACK,
        external_id=f"{CUSTOMER_CHANNEL}:{ENQUIRY_TS}",
        text=QUESTION,
        author_id="U_ANNA",
        author_name="Anna Adler",
        reply_target={"channel": CUSTOMER_CHANNEL, "thread_ts": ENQUIRY_TS},
    )
    await take_in(runtime.desk, inbound)


def customer_replies(slack: SlackStandIn) -> list[str]:
    return [m.text for m in thread_replies(slack, CUSTOMER_CHANNEL, ENQUIRY_TS)]


async def only_delivery(runtime: Runtime) -> Delivery:
    async with runtime.desk.db.unit_of_work() as uow:
        found = [d for state in DeliveryState for d in await uow.deliveries.list_by_state(state)]
    assert len(found) == 1
    return found[0]


class TestRestarts:
    async def test_app_stopped_between_approval_and_delivery_delivers_once_after_restart(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder
    ) -> None:
        async with served_app(settings, slack, use_embedder, deliver=False) as app:
            await app.enquire(ts=ENQUIRY_TS)
            await app.click(Action.APPROVE, draft_id_on(review_card(slack)))
            await eventually(lambda: "sending…" in card_text(review_card(slack)))
        assert customer_replies(slack) == []
        assert await count_rows(settings, tables.deliveries) == 1

        async with served_app(settings, slack, use_embedder, reconcile_seconds=0.2) as restarted:
            await eventually(lambda: "Sent" in card_text(review_card(slack)))
            delivery = await only_delivery(restarted.runtime)

        assert len(customer_replies(slack)) == 1
        assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 1)
        assert await count_rows(settings, tables.decisions) == 1

    async def test_worker_dying_mid_send_is_never_resent_and_the_card_asks_to_check(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder
    ) -> None:
        async with served_app(settings, slack, use_embedder, deliver=False) as app:
            await app.enquire(ts=ENQUIRY_TS)
            await app.click(Action.APPROVE, draft_id_on(review_card(slack)))
            await eventually(lambda: "sending…" in card_text(review_card(slack)))
            async with app.runtime.desk.db.unit_of_work() as uow:  # claimed, then the crash
                assert await uow.deliveries.claim_next(utc_now() + dt.timedelta(seconds=1))
                await uow.commit()

        async with served_app(settings, slack, use_embedder, reconcile_seconds=0.2):
            await eventually(lambda: "Outcome unknown" in card_text(review_card(slack)))

        assert customer_replies(slack) == []
        assert Action.APPROVE.value not in card_buttons(review_card(slack))


class TestSlackOutages:
    @pytest.mark.parametrize("status", [500, 429])
    async def test_card_update_and_delivery_are_retried_through_an_outage(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder, status: int
    ) -> None:
        async with served_app(
            settings, slack, use_embedder, reconcile_seconds=0.2, before_serving=enquire
        ) as app:
            slack.fail("chat.update", times=3, status=status)
            slack.fail("chat.postMessage", times=3, status=status)  # Retry-After: 1 on 429

            response = await app.click(Action.APPROVE, draft_id_on(review_card(slack)))

            assert response.status_code == 200
            await eventually(lambda: "Sent" in card_text(review_card(slack)), seconds=30)
            delivery = await only_delivery(app.runtime)

        assert len(customer_replies(slack)) == 1
        # A rate limit waits as asked without using up an attempt; a 500 counts as one.
        assert delivery.state is DeliveryState.SENT
        assert delivery.attempts == 1 if status == 429 else delivery.attempts >= 2
        assert slack.count("chat.update") >= 4  # three refused, then the card caught up
        assert await count_rows(settings, tables.decisions) == 1

    async def test_card_that_could_not_be_posted_at_intake_is_posted_once_later(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder
    ) -> None:
        async def enquire_during_outage(runtime: Runtime) -> None:
            slack.fail("chat.postMessage", times=2, status=503)
            await enquire(runtime)
            assert slack.messages() == []

        async with served_app(
            settings,
            slack,
            use_embedder,
            reconcile_seconds=0.2,
            before_serving=enquire_during_outage,
        ) as app:
            await eventually(lambda: "Awaiting review" in card_text(review_card(slack)))
            await app.click(Action.APPROVE, draft_id_on(review_card(slack)))
            await eventually(lambda: "Sent" in card_text(review_card(slack)))

        assert len([m for m in slack.messages(REVIEW_CHANNEL) if m.thread_ts is None]) == 1
        assert len(customer_replies(slack)) == 1

    async def test_refused_delivery_offers_retry_and_the_retry_sends_once(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder
    ) -> None:
        async with served_app(settings, slack, use_embedder, before_serving=enquire) as app:
            draft_id = draft_id_on(review_card(slack))
            slack.fail(
                "chat.postMessage", status=200, body={"ok": False, "error": "not_in_channel"}
            )
            await app.click(Action.APPROVE, draft_id)
            await eventually(lambda: "Delivery failed" in card_text(review_card(slack)))
            assert "not_in_channel" in card_text(review_card(slack))
            assert Action.RETRY.value in card_buttons(review_card(slack))

            await app.click(Action.RETRY, draft_id)
            await eventually(lambda: "Sent" in card_text(review_card(slack)))
            await app.click(Action.RETRY, draft_id)  # a late second click
            await eventually(lambda: slack.count("chat.postEphemeral") == 1)

        assert "not waiting for a retry" in str(slack.calls("chat.postEphemeral")[0].params["text"])

        assert len(customer_replies(slack)) == 1


class TestAcknowledgedClicks:
    async def test_an_approval_slack_was_told_ok_about_is_already_stored(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder
    ) -> None:
        async with served_app(settings, slack, use_embedder, deliver=False) as app:
            await app.enquire(ts=ENQUIRY_TS)

            response = await app.click(Action.APPROVE, draft_id_on(review_card(slack)))
            # Read at once, no waiting: the ack comes after the decision and outbox row.
            stored = (await app.count(tables.decisions), await app.count(tables.deliveries))

        assert response.status_code == 200
        assert stored == (1, 1)

    async def test_a_rejection_slack_was_told_ok_about_is_already_stored(
        self, slack: SlackStandIn, settings: Settings, use_embedder: UseEmbedder
    ) -> None:
        async with served_app(settings, slack, use_embedder, deliver=False) as app:
            await app.enquire(ts=ENQUIRY_TS)
            draft_id = draft_id_on(review_card(slack))

            reason: JSONObject = {
                "type": "static_select",
                "selected_option": {"value": RejectReason.WRONG_FACTS.value},
            }
            response = await app.submit(Form.REJECT, draft_id, {Field.REASON: {"value": reason}})
            stored = await app.count(tables.decisions)

        assert response.status_code == 200
        assert stored == 1

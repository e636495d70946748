"""Spikes, holding statements and second sign-offs over real HTTP: signed clicks in, Slack out.

The spike watch is run by the test (the job would run it every minute); everything else goes
through the served app: the leads' alert in their channel, the statement modal, the batch
approval, the replies in the customers' threads, and a press post that waits for a lead.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.faq.embedders import UseEmbedder
from bot.models import Channel, InboundMessage
from bot.resources import SAMPLE_KNOWLEDGE_DIR
from bot.services import take_in
from bot.services.spike_watch import announce_spikes, watch_spikes
from bot.slack.blocks import INPUT_ACTION, Action, Form
from bot.storage import tables
from tests.slack.harness import (
    CUSTOMER_CHANNEL,
    REVIEW_CHANNEL,
    REVIEWER,
    ServedApp,
    card_buttons,
    card_text,
    draft_id_on,
    eventually,
    served_app,
    slack_settings,
    thread_replies,
)
from tests.stand_ins import SlackMessage, SlackStandIn

LEAD = "U_LEAD"
LEADS_CHANNEL = "C_LEADS"
BURST = 12
NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Felix")
APP_DOWN = (
    "Die App ist schon wieder down, ich komme nicht mehr rein!",
    "App geht seit einer Stunde nicht, Login lädt ewig. Was ist da los?",
    "Störung? Die App stürzt bei jedem Start ab.",
)


@pytest.fixture
async def app(
    slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
) -> AsyncIterator[ServedApp]:
    settings = slack_settings(
        tmp_path,
        slack,
        knowledge_dir=SAMPLE_KNOWLEDGE_DIR,  # its guidelines' crisis clause, its standard replies
        slack_leads=LEAD,
        slack_crisis_channel=LEADS_CHANNEL,
    )
    async with served_app(settings, slack, use_embedder, reconcile_seconds=0.2) as served:
        yield served


def customer_post(number: int, text: str) -> InboundMessage:
    ts = f"1700000000.{number:06d}"
    return InboundMessage(
        channel=Channel.SLACK,
        external_id=f"{CUSTOMER_CHANNEL}:{ts}",
        text=text,
        author_id=f"U_CUSTOMER_{number}",
        author_name=f"{NAMES[number % len(NAMES)]} Beispiel",
        reply_target={"channel": CUSTOMER_CHANNEL, "thread_ts": ts},
    )


def alert(slack: SlackStandIn) -> SlackMessage:
    messages = slack.messages(LEADS_CHANNEL)
    assert len(messages) == 1, f"{len(messages)} alerts"
    return messages[0]


def button_value(message: SlackMessage, action: Action) -> str:
    for block in message.blocks:
        assert isinstance(block, dict)
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action.value:
                return str(element["value"])
    raise AssertionError(f"no {action.value} button")


def replies_sent(slack: SlackStandIn) -> int:
    return sum(
        len(thread_replies(slack, CUSTOMER_CHANNEL, f"1700000000.{n:06d}")) for n in range(BURST)
    )


def offering(app: ServedApp) -> int:
    """Cards whose current draft offers the holding statement, read from the card messages."""
    return sum(
        "holding statement a lead approved" in card_text(m)
        for m in app.stand_in.messages(REVIEW_CHANNEL)
        if m.thread_ts is None
    )


async def spike(app: ServedApp) -> SlackMessage:
    for number in range(BURST):
        await take_in(app.runtime.desk, customer_post(number, APP_DOWN[number % len(APP_DOWN)]))
    await watch_spikes(app.runtime.desk)
    await announce_spikes(app.runtime.desk)
    return alert(app.stand_in)


class TestSpikeAlert:
    async def test_the_leads_get_one_alert_with_examples_links_and_a_statement(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        message = await spike(app)
        await watch_spikes(app.runtime.desk)
        await announce_spikes(app.runtime.desk)

        text = card_text(alert(slack))
        counted = re.search(r"\*(\d+) posts\*", text)
        assert "Spike" in text and counted is not None and int(counted.group(1)) >= 10
        assert text.count("slack.com/archives/") == 3
        assert "status.nordlicht-home.de" in text or "Statusseite" in text
        assert set(card_buttons(message)) == {Action.EDIT_STATEMENT.value, Action.END_SPIKE.value}

    async def test_a_reviewer_who_is_no_lead_cannot_open_the_statement(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        message = await spike(app)
        spike_id = button_value(message, Action.EDIT_STATEMENT)

        await app.click(Action.EDIT_STATEMENT, spike_id, user=REVIEWER, card=message)

        await eventually(lambda: slack.count("chat.postEphemeral") == 1)
        assert "comms lead" in str(slack.calls("chat.postEphemeral")[0].params["text"])
        assert slack.count("views.open") == 0

    async def test_the_lead_approves_the_statement_then_all_cards_in_one_step(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        message = await spike(app)
        spike_id = button_value(message, Action.EDIT_STATEMENT)

        await app.click(Action.EDIT_STATEMENT, spike_id, user=LEAD, card=message)
        await eventually(lambda: slack.count("views.open") == 1)
        view = slack.calls("views.open")[0].params["view"]
        assert isinstance(view, dict)
        inputs = [b for b in view["blocks"] if b.get("type") == "input"]
        values = {b["block_id"]: {INPUT_ACTION: b["element"]["initial_value"]} for b in inputs}
        assert set(values) == {"de_du", "de_sie", "en"}
        response = await app.submit(Form.STATEMENT.value, spike_id, values, user=LEAD)
        assert response.status_code == 200

        await eventually(lambda: offering(app) == BURST, seconds=60)
        await announce_spikes(app.runtime.desk)  # the job's next look updates the alert
        assert f"Approve all {BURST} cards" in str(alert(slack).blocks)
        batch = button_value(alert(slack), Action.APPROVE_BATCH)
        await app.click(Action.APPROVE_BATCH, batch, user=LEAD, card=alert(slack))

        await eventually(lambda: replies_sent(slack) == BURST, seconds=60)
        assert await app.count(tables.deliveries) == BURST
        greeting = thread_replies(slack, CUSTOMER_CHANNEL, "1700000000.000003")[0].text
        assert NAMES[3] in greeting  # each customer's own greeting


class TestSecondSignOff:
    async def test_a_press_post_waits_for_a_lead_and_then_sends_once(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        receipt = await app.enquire(
            "Presseanfrage der Redaktion Nordkurier: Stimmt es, dass eure App Daten verliert?"
        )
        card = next(m for m in slack.messages(REVIEW_CHANNEL) if m.thread_ts is None)
        draft_id = draft_id_on(card)

        await app.click(Action.EDIT, draft_id)  # the draft may be empty: approve an edit
        await eventually(lambda: slack.count("views.open") == 1)
        values = {"reply": {INPUT_ACTION: "Danke für die Anfrage, wir melden uns bis morgen."}}
        metadata = slack.calls("views.open")[0].params["view"]
        assert isinstance(metadata, dict)
        await app.submit(Form.EDIT.value, str(metadata["private_metadata"]), values)

        await eventually(lambda: "Still needs: a comms lead" in card_text(card_now(slack, card)))
        assert thread_replies(slack, CUSTOMER_CHANNEL, "1700000000.000001") == []
        assert receipt.conversation_id

        await app.submit(Form.EDIT.value, str(metadata["private_metadata"]), values, user=LEAD)
        await eventually(
            lambda: len(thread_replies(slack, CUSTOMER_CHANNEL, "1700000000.000001")) == 1
        )
        assert await app.count(tables.deliveries) == 1


def card_now(slack: SlackStandIn, card: SlackMessage) -> SlackMessage:
    return slack.message(card.channel, card.ts)

"""Telegram to Slack and back: card in the Slack stand-in, a signed Approve click, one reply.

The other channel tests approve through the services and need no Slack.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.faq.embedders import Embedder
from bot.models import DeliveryState
from tests.channels.harness import TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.slack import harness
from tests.stand_ins import SlackStandIn, TelegramStandIn, make_text_update

QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"


class TestTelegramThroughSlack:
    async def test_card_in_slack_approve_click_sends_one_telegram_reply(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        with (
            SlackStandIn(token=harness.BOT_TOKEN) as slack,
            TelegramStandIn(token=TELEGRAM_TOKEN) as telegram,
        ):
            settings = harness.slack_settings(
                tmp_path,
                slack,
                telegram_bot_token=TELEGRAM_TOKEN,
                telegram_api_url=telegram.url,
                telegram_webhook_url="https://replydesk.example/webhooks/telegram",
                telegram_secret_token=TELEGRAM_SECRET,
            )
            async with harness.served_app(settings, slack, use_embedder) as app:
                update = make_text_update(7001, QUESTION, chat_id=888, message_id=21)
                answer = await app.http.post(
                    f"{app.url}/webhooks/telegram",
                    content=json.dumps(update).encode(),
                    headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
                )
                assert answer.status_code == 200
                await harness.eventually(lambda: bool(slack.messages(harness.REVIEW_CHANNEL)))
                card = harness.review_card(slack)
                assert QUESTION in harness.card_text(card)
                draft_id = harness.draft_id_on(card)
                click = await app.click("draft.approve", draft_id, card=card)
                again = await app.click("draft.approve", draft_id, card=card)  # double click
                assert (click.status_code, again.status_code) == (200, 200)
                await asyncio.to_thread(telegram.wait_for, "sendMessage")
                await asyncio.sleep(0.5)  # a second send, if any, would come now
                async with app.runtime.desk.db.unit_of_work() as uow:
                    delivery = await uow.deliveries.for_draft(draft_id)
        assert delivery is not None and delivery.state is DeliveryState.SENT
        [sent] = telegram.sent_messages(888)
        assert sent["reply_to_message"]["message_id"] == 21  # type: ignore[index]
        assert telegram.count("sendMessage") == 1

"""Enquiries from Slack itself: the "Draft a reply" message shortcut and app mentions.

Both create an enquiry on the `slack` channel whose reply goes into the message's thread.
The enquiry's external id is "<channel>:<message ts>", so forwarding the same message twice
(two people, or the shortcut and a mention) makes one enquiry, and an event Slack retries
(same message) finds the first copy.
"""

from __future__ import annotations

import logging
import re

from aiohttp import ClientError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError
from bot.models import Channel, InboundMessage
from bot.ports import CardRef
from bot.services import Receipt, claim_event, event_seen, receive_enquiry
from bot.slack.blocks import SHORTCUT_DRAFT
from bot.slack.interaction import Body, SlackDesk, actor_of, text_at
from bot.wording import review_wording

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[A-Z0-9]+>")


def register_intake(app: AsyncApp, slack: SlackDesk) -> None:
    """Attach the message shortcut and the app_mention listener to `app`.

    Both store the enquiry before Slack gets its answer (accept, then work): a crash before
    the answer makes Slack show an error or send the event again, never lose it silently.
    Drafting runs from the queue; only the courtesy note comes after the ack.
    """

    async def shortcut(ack: AsyncAck, body: Body) -> None:
        actor = actor_of(body)
        note = await _forward(slack, body)
        await ack()
        slack.after_ack("shortcut", actor, _courtesy(slack, note, actor.user_id))

    async def mention(body: Body, event: Body) -> None:
        # With process_before_response, Bolt answers the event when this returns.
        await _mentioned(slack, text_at(body, "event_id"), event)

    app.shortcut(SHORTCUT_DRAFT)(shortcut)
    app.event("app_mention")(mention)


async def author_name(client: AsyncWebClient, user_id: str | None) -> str | None:
    """The Slack user's real name (or display name), or None when it cannot be read."""
    if not user_id:
        return None
    try:
        response = await client.users_info(user=user_id)
    except (SlackApiError, ClientError, TimeoutError) as exc:
        log.info("users.info for %s failed (%s)", user_id, type(exc).__name__)
        return None
    user = response.get("user")
    for path in (("profile", "real_name"), ("profile", "display_name"), ("real_name",)):
        name = text_at(user, *path).strip()
        if name:
            return name
    return None


async def _forward(slack: SlackDesk, body: Body) -> tuple[CardRef | None, str]:
    """Store a forwarded message; return where to tell the forwarder and what."""
    channel = text_at(body, "channel", "id")
    ts = text_at(body, "message_ts") or text_at(body, "message", "ts")
    text = text_at(body, "message", "text").strip()
    here = CardRef(channel, ts) if channel and ts else None
    words = review_wording()
    if not text or not channel or not ts:
        return here, words.forward_no_text
    author = text_at(body, "message", "user") or None
    receipt = await _take_in(slack, channel, ts, text, author, ts)
    note = words.forward_drafting if receipt.is_new else words.forward_seen_before
    return here, note.format(review_channel=f"<#{slack.board.channel}>")


async def _mentioned(slack: SlackDesk, event_id: str, event: Body) -> None:
    if event_id and await event_seen(slack.desk, "slack", event_id):
        log.info("slack event %s seen before; ignored", event_id)
        return
    channel = text_at(event, "channel")
    ts = text_at(event, "ts")
    if not channel or not ts or channel == slack.board.channel:
        return  # mentions in the review channel are reviewers talking, not customers
    text = _MENTION.sub("", text_at(event, "text")).strip()
    if not text:
        return
    thread_ts = text_at(event, "thread_ts") or ts
    await _take_in(slack, channel, ts, text, text_at(event, "user") or None, thread_ts)
    if event_id:
        # Recorded after storing: a crash in between makes Slack's retry store it again,
        # which finds the first copy.
        await claim_event(slack.desk, "slack", event_id)


async def _take_in(
    slack: SlackDesk, channel: str, ts: str, text: str, user: str | None, thread_ts: str
) -> Receipt:
    """Store the enquiry (once per message) and queue it for drafting."""
    inbound = InboundMessage(
        channel=Channel.SLACK,
        external_id=f"{channel}:{ts}",
        text=text,
        author_id=user,
        author_name=await author_name(slack.board.client, user),
        reply_target={"channel": channel, "thread_ts": thread_ts},
    )
    receipt = await receive_enquiry(slack.desk, inbound)
    slack.desk.drafting_wakeup.set()
    log.info("slack message %s:%s -> enquiry %s", channel, ts, receipt.enquiry.id)
    return receipt


async def _courtesy(slack: SlackDesk, note: tuple[CardRef | None, str], user_id: str) -> None:
    """Tell the forwarding person what happened; the bot may not be in their channel."""
    ref, text = note
    try:
        await slack.board.tell(ref, user_id, text)
    except BotError as exc:
        log.info("could not tell user %s in %s (%s)", user_id, ref.channel if ref else "-", exc)

"""ReplyDesk's App Home tab: what waits for this person, per role, published on opening.

- everyone who may review: the cards waiting for review, oldest first, with their age
  against the channel's response-time target; the cards escalated to them;
- knowledge editors (SLACK_KNOWLEDGE_EDITORS): entries expiring within 14 days, entries
  no draft ever cited.

The view is a pure function of `HomeFacts`; `publish_home` gathers them and calls
`views.publish` after the event's ack.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.faq.response_targets import ResponseTargets, TargetState
from bot.models import utc_now
from bot.slack.blocks import Block, channel_name, context, section
from bot.slack.interaction import Actor, Body, SlackDesk, text_at
from bot.slack.reviewers import Permission
from bot.storage.review_queue import WaitingCard, cited_entry_ids, waiting_for_review
from bot.wording import HomeWording, home_wording

log = logging.getLogger(__name__)

WAITING_SHOWN = 20  # Slack allows 100 blocks in a view; the rest is in the review channel
EXPIRY_DAYS = 14
LISTED_ENTRIES = 15


@dataclass(frozen=True)
class HomeRoles:
    """What the person may do, and so what their home shows."""

    reviewer: bool = False
    lead: bool = False
    editor: bool = False


@dataclass(frozen=True)
class HomeFacts:
    """Everything one person's home shows, read at one moment."""

    now: dt.datetime
    targets: ResponseTargets
    waiting: list[WaitingCard] = field(default_factory=list)
    expiring: list[tuple[str, dt.date]] = field(default_factory=list)
    never_cited: list[str] = field(default_factory=list)


def build_home_view(user_id: str, roles: HomeRoles, facts: HomeFacts) -> dict[str, object]:
    """The `home` view for `user_id`: the sections their roles call for."""
    words = home_wording()
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": words.header}},
    ]
    if roles.reviewer or roles.lead:
        blocks += _waiting_blocks(words, facts)
        mine = [card for card in facts.waiting if card.owner == user_id]
        blocks += [{"type": "divider"}, section(words.escalated_heading)]
        blocks += [_card_line(words, card, facts) for card in mine[:WAITING_SHOWN]] or [
            context(words.escalated_none)
        ]
    if roles.editor:
        blocks += [{"type": "divider"}, *_editor_blocks(words, facts)]
    return {"type": "home", "blocks": blocks[:100]}


def _waiting_blocks(words: HomeWording, facts: HomeFacts) -> list[Block]:
    shown = facts.waiting[:WAITING_SHOWN]
    blocks: list[Block] = [section(words.waiting_heading)]
    if not shown:
        return [*blocks, context(words.waiting_none)]
    blocks += [_card_line(words, card, facts) for card in shown]
    hidden = len(facts.waiting) - len(shown)
    if hidden > 0:
        blocks.append(context(words.waiting_more.format(count=hidden)))
    return blocks


def _card_line(words: HomeWording, card: WaitingCard, facts: HomeFacts) -> Block:
    channel = card.channel.value
    age = facts.targets.age(card.received_at, facts.now)
    target = facts.targets.target_for(channel)
    if target is None:
        state = words.no_target
    else:
        template = {
            TargetState.ON_TRACK: words.state_on_track,
            TargetState.AT_RISK: words.state_at_risk,
            TargetState.OVERDUE: words.state_overdue,
        }[facts.targets.state(channel, card.received_at, facts.now)]
        state = template.format(age=duration(age), target=duration(target))
    link = (
        words.open_card.format(url=card_url(card.slack_channel, card.message_ts))
        if card.slack_channel and card.message_ts
        else ""
    )
    return section(
        words.waiting_item.format(
            state=state,
            channel=channel_name(card.channel),
            age=duration((facts.now - card.received_at).total_seconds()),
            action=card.action.value,
            owner=f" · <@{card.owner}>" if card.owner else "",
            link=link,
        )
    )


def _editor_blocks(words: HomeWording, facts: HomeFacts) -> list[Block]:
    expiring = [
        words.editors_expiring_item.format(entry=entry, day=day.isoformat())
        for entry, day in facts.expiring[:LISTED_ENTRIES]
    ]
    never = [f"`{entry}`" for entry in facts.never_cited[:LISTED_ENTRIES]]
    if len(facts.never_cited) > LISTED_ENTRIES:
        never.append(f"+{len(facts.never_cited) - LISTED_ENTRIES}")
    return [
        section(words.editors_heading),
        section(words.editors_expiring.format(items=", ".join(expiring) or words.editors_none)),
        section(words.editors_never_cited.format(items=", ".join(never) or words.editors_none)),
    ]


def duration(seconds: float) -> str:
    """A short human duration: "45 min", "3 h 05 min", "2 d 4 h"."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def card_url(slack_channel: str | None, message_ts: str | None) -> str:
    """A link to a card's message (Slack resolves it in the reader's own workspace)."""
    return f"https://slack.com/archives/{slack_channel}/p{(message_ts or '').replace('.', '')}"


async def gather_facts(slack: SlackDesk, roles: HomeRoles, now: dt.datetime) -> HomeFacts:
    """Read what the person's home shows from the database and the current knowledge."""
    desk = slack.desk
    targets = getattr(desk.drafting.guidelines, "response_targets", None) or ResponseTargets()
    waiting: list[WaitingCard] = []
    cited: set[str] = set()
    async with desk.db.engine.connect() as conn:
        if roles.reviewer or roles.lead:
            waiting = await waiting_for_review(conn, limit=500)
        if roles.editor:
            cited = await cited_entry_ids(conn)
    expiring: list[tuple[str, dt.date]] = []
    never_cited: list[str] = []
    if roles.editor:
        soon = now.date() + dt.timedelta(days=EXPIRY_DAYS)
        entries = sorted(desk.catalog.entries.values(), key=lambda entry: entry.id)
        expiring = sorted(
            (entry.id, entry.valid_until)
            for entry in entries
            if entry.valid_until is not None and now.date() <= entry.valid_until <= soon
        )
        never_cited = [entry.id for entry in entries if entry.id not in cited]
    return HomeFacts(
        now=now, targets=targets, waiting=waiting, expiring=expiring, never_cited=never_cited
    )


async def roles_of(slack: SlackDesk, user_id: str) -> HomeRoles:
    """The person's roles: reviewer (SLACK_REVIEWERS/group), lead, knowledge editor."""
    permission = await slack.reviewers.permission(user_id)
    return HomeRoles(
        reviewer=permission is Permission.REVIEWER,
        lead=user_id in slack.leads,
        editor=user_id in slack.editors,
    )


async def publish_home(slack: SlackDesk, client: AsyncWebClient, user_id: str) -> None:
    """Build and publish the person's home view."""
    roles = await roles_of(slack, user_id)
    facts = await gather_facts(slack, roles, utc_now())
    await client.views_publish(user_id=user_id, view=build_home_view(user_id, roles, facts))


def register_home(app: AsyncApp, slack: SlackDesk) -> None:
    """Publish a person's home whenever they open ReplyDesk's Home tab."""

    async def home_opened(event: Body, client: AsyncWebClient) -> None:
        user_id = text_at(event, "user")
        if text_at(event, "tab") not in {"home", ""} or not user_id:
            return
        slack.after_ack("home", Actor(user_id), publish_home(slack, client, user_id))

    app.event("app_home_opened")(home_opened)

"""ReplyDesk's App Home tab: what waits for this person, per role, published on opening.

- everyone who may review: the cards waiting for review, oldest first, with their age
  against the channel's response-time target; the cards escalated to them;
- comms leads (SLACK_LEADS): the team report of a chosen period and "Export CSV"
  (`bot.slack.home_leads`);
- knowledge editors (SLACK_KNOWLEDGE_EDITORS): open proposals learned from reviewers, with
  Accept/Edit/Dismiss (`bot.slack.home_proposals`); entries expiring within 14 days, entries
  no draft ever cited.

The view is a pure function of `HomeFacts`; `publish_home` gathers them and calls
`views.publish` after the event's ack; the lead's period picker publishes it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.faq.response_targets import ResponseTargets, TargetState
from bot.models import utc_now
from bot.priority import URGENT_SCORE
from bot.services.proposals import OfferedProposal, open_proposals
from bot.slack.blocks import Block, card_url, channel_name, context, section
from bot.slack.home_leads import (
    DEFAULT_DAYS,
    LISTED_TOPICS,
    HomeAction,
    duration,
    export_csv,
    leads_blocks,
    period_bounds,
    period_days,
    targets_of,
)
from bot.slack.home_proposals import proposal_blocks, register_proposals
from bot.slack.interaction import Actor, Body, SlackDesk, text_at
from bot.slack.reviewers import Permission
from bot.storage.report_period import PeriodReport, period_report
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
    proposals: list[OfferedProposal] = field(default_factory=list)  # editors only
    report: PeriodReport | None = None  # leads only: the team report of `period_days`
    period_days: int = DEFAULT_DAYS


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
    if roles.lead and facts.report is not None:
        blocks += leads_blocks(words, facts.report, facts.period_days)
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
            urgent=words.urgent_mark if card.priority >= URGENT_SCORE else "",
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
        *proposal_blocks(words, facts.proposals),
        section(words.editors_expiring.format(items=", ".join(expiring) or words.editors_none)),
        section(words.editors_never_cited.format(items=", ".join(never) or words.editors_none)),
    ]


async def gather_facts(
    slack: SlackDesk, roles: HomeRoles, now: dt.datetime, days: int = DEFAULT_DAYS
) -> HomeFacts:
    """Read what the person's home shows from the database and the current knowledge.

    Args:
        slack: The desk and the Slack pieces.
        roles: The person's roles; only what they call for is read.
        now: The moment the home shows.
        days: The period of a lead's team report (the last `days` days).
    """
    desk = slack.desk
    targets = targets_of(desk)
    waiting: list[WaitingCard] = []
    cited: set[str] = set()
    report: PeriodReport | None = None
    async with desk.db.engine.connect() as conn:
        if roles.reviewer or roles.lead:
            waiting = await waiting_for_review(conn, limit=500)
        if roles.lead:
            since, until = period_bounds(now, days)
            report = await period_report(conn, since, until, targets, now, LISTED_TOPICS)
        if roles.editor:
            cited = await cited_entry_ids(conn)
    expiring: list[tuple[str, dt.date]] = []
    never_cited: list[str] = []
    proposals: list[OfferedProposal] = []
    if roles.editor:
        async with desk.db.unit_of_work() as uow:
            proposals = await open_proposals(uow, now)
        soon = now.date() + dt.timedelta(days=EXPIRY_DAYS)
        entries = sorted(desk.catalog.entries.values(), key=lambda entry: entry.id)
        expiring = sorted(
            (entry.id, entry.valid_until)
            for entry in entries
            if entry.valid_until is not None and now.date() <= entry.valid_until <= soon
        )
        never_cited = [entry.id for entry in entries if entry.id not in cited]
    return HomeFacts(
        now=now,
        targets=targets,
        waiting=waiting,
        expiring=expiring,
        never_cited=never_cited,
        proposals=proposals,
        report=report,
        period_days=days,
    )


async def roles_of(slack: SlackDesk, user_id: str) -> HomeRoles:
    """The person's roles: reviewer (SLACK_REVIEWERS/group), lead, knowledge editor."""
    permission = await slack.reviewers.permission(user_id)
    return HomeRoles(
        reviewer=permission is Permission.REVIEWER,
        lead=user_id in slack.leads,
        editor=user_id in slack.editors,
    )


async def publish_home(
    slack: SlackDesk, client: AsyncWebClient, user_id: str, days: int = DEFAULT_DAYS
) -> None:
    """Build and publish the person's home view (a lead's report of the last `days` days)."""
    roles = await roles_of(slack, user_id)
    facts = await gather_facts(slack, roles, utc_now(), days)
    await client.views_publish(user_id=user_id, view=build_home_view(user_id, roles, facts))


def register_home(app: AsyncApp, slack: SlackDesk) -> None:
    """Publish a person's home when they open ReplyDesk's Home tab; serve its controls."""

    async def home_opened(event: Body, client: AsyncWebClient) -> None:
        user_id = text_at(event, "user")
        if text_at(event, "tab") not in {"home", ""} or not user_id:
            return
        slack.after_ack("home", Actor(user_id), publish_home(slack, client, user_id))

    async def period_chosen(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        await ack()
        user_id = text_at(body, "user", "id")
        days = period_days(text_at(body, "actions", 0, "selected_option", "value"))
        slack.after_ack("home.period", Actor(user_id), publish_home(slack, client, user_id, days))

    async def export_clicked(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        await ack()
        user_id = text_at(body, "user", "id")
        days = period_days(text_at(body, "actions", 0, "value"))
        export = export_csv(slack, client, home_wording(), user_id, days, utc_now())
        slack.after_ack("home.export_csv", Actor(user_id), export)

    async def republish(client: AsyncWebClient, user_id: str) -> None:
        await publish_home(slack, client, user_id)

    app.event("app_home_opened")(home_opened)
    app.action(HomeAction.PERIOD.value)(period_chosen)
    app.action(HomeAction.EXPORT_CSV.value)(export_clicked)
    register_proposals(app, slack, republish)

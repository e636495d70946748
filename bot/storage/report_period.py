"""The comms lead's report for a period: volumes, decisions, response times against targets.

Built on the period's enquiries and their outcomes (`bot.storage.report_outcomes`); medians
and percentiles are computed in Python. Times are business seconds (`Targets.age`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import DecisionKind, DraftAction
from bot.storage.card_states import DraftingState
from bot.storage.report_outcomes import (
    DraftOutcome,
    EnquiryOutcome,
    Targets,
    chunks,
    load_outcomes,
)
from bot.storage.tables import card_states, decisions, drafts, enquiries, escalations

NO_MATCHING_ENTRY = "no_matching_entry"  # the drafters' flag for "no FAQ entry fits"
_TOPIC_WORDS = 3


class _Made(NamedTuple):
    """A decision made in the period."""

    kind: str
    reason: str | None
    decided_at: dt.datetime
    created_at: dt.datetime  # when its draft was made


@dataclass(frozen=True)
class Timing:
    """Median and 90th percentile of durations in business seconds (None without any)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Timing:
        """Summarise `seconds`."""
        ordered = sorted(seconds)
        return cls(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.9))


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's enquiries of the period and how many were answered within target."""

    enquiries: int
    answered: int
    within_target: int  # answered within the channel's target (0 without a target)
    target_seconds: float | None


@dataclass(frozen=True)
class Backlog:
    """Conversations waiting for a person now, with how long their customers have waited."""

    awaiting_review: int  # a draft is there and undecided
    awaiting_draft: int  # drafting is due or delayed, no draft to decide yet
    escalated: int  # of all waiting, those owned by someone after an escalation
    oldest_seconds: float | None  # business seconds the longest-waiting customer waited
    by_target: dict[str, int]  # TargetState value (on_track, at_risk, overdue) -> conversations

    @property
    def total(self) -> int:
        """All waiting conversations."""
        return self.awaiting_review + self.awaiting_draft


@dataclass(frozen=True)
class Topic:
    """Enquiries the FAQ could not answer, grouped by cited entries, flags or first words."""

    label: str
    conversations: int
    enquiry_ids: tuple[str, ...]
    example: str  # one customer message, for leads in Slack or the terminal; never exported


@dataclass(frozen=True)
class PeriodReport:
    """The comms lead's figures for enquiries received in [since, until)."""

    since: dt.datetime
    until: dt.datetime
    now: dt.datetime
    channels: dict[str, ChannelFigures]
    decisions: dict[str, int]  # decisions made in the period, by kind (every kind listed)
    rejection_reasons: dict[str, int]
    time_to_reply: Timing  # enquiry received -> reply sent
    time_to_decision: Timing  # draft made -> decision, for decisions made in the period
    backlog: Backlog
    topics: list[Topic]

    @property
    def enquiries(self) -> int:
        """Enquiries received in the period."""
        return sum(figures.enquiries for figures in self.channels.values())

    @property
    def share_within_target(self) -> float | None:
        """Share of answered enquiries (on channels with a target) answered within it."""
        answered = sum(f.answered for f in self.channels.values() if f.target_seconds is not None)
        within = sum(f.within_target for f in self.channels.values())
        return within / answered if answered else None


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The `q` quantile of sorted values, interpolated linearly; None for no values."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def period_report(
    conn: AsyncConnection,
    since: dt.datetime,
    until: dt.datetime,
    targets: Targets,
    now: dt.datetime,
    topic_limit: int = 10,
) -> PeriodReport:
    """Collect the comms lead's figures for enquiries received in [since, until).

    Args:
        conn: A connection to the ReplyDesk database.
        since: Start of the period (aware), included.
        until: End of the period (aware), excluded.
        targets: Business hours and per-channel targets (from the guidelines).
        now: The moment the backlog is measured at.
        topic_limit: At most this many unanswered topics, most conversations first.

    Returns:
        The report; decisions count those made in the period.
    """
    outcomes = await load_outcomes(conn, since, until)
    channels: dict[str, list[EnquiryOutcome]] = defaultdict(list)
    for outcome in outcomes:
        channels[outcome.channel].append(outcome)
    reply_seconds = [
        targets.age(o.received_at, o.draft.sent_at)
        for o in outcomes
        if o.draft is not None and o.draft.sent_at is not None
    ]
    made = await _decisions_made(conn, since, until)
    return PeriodReport(
        since=since,
        until=until,
        now=now,
        channels={
            channel: _channel_figures(channel, rows, targets)
            for channel, rows in sorted(channels.items())
        },
        decisions={
            kind.value: sum(1 for row in made if row.kind == kind.value) for kind in DecisionKind
        },
        rejection_reasons=dict(
            Counter(
                (row.reason or "").strip() or "(no reason)"
                for row in made
                if row.kind == DecisionKind.REJECTED.value
            ).most_common()
        ),
        time_to_reply=Timing.of(reply_seconds),
        time_to_decision=Timing.of(targets.age(row.created_at, row.decided_at) for row in made),
        backlog=await _backlog(conn, targets, now),
        topics=await _topics(conn, outcomes, topic_limit),
    )


def _channel_figures(channel: str, rows: list[EnquiryOutcome], targets: Targets) -> ChannelFigures:
    answered = [(o.received_at, o.draft.sent_at) for o in rows if o.draft and o.draft.sent_at]
    target = targets.target_for(channel)
    return ChannelFigures(
        enquiries=len(rows),
        answered=len(answered),
        within_target=0
        if target is None
        else sum(1 for received, sent in answered if targets.within(channel, received, sent)),
        target_seconds=target,
    )


async def _decisions_made(
    conn: AsyncConnection, since: dt.datetime, until: dt.datetime
) -> list[_Made]:
    # Escalations are records of their own (the card keeps waiting for its new owner);
    # here they count as the reviewer's decision they are.
    made = (
        sa.select(decisions.c.kind, decisions.c.reason, decisions.c.decided_at, drafts.c.created_at)
        .select_from(decisions.join(drafts, drafts.c.id == decisions.c.draft_id))
        .where(decisions.c.decided_at >= since, decisions.c.decided_at < until)
    )
    handed_over = (
        sa.select(
            sa.literal(DecisionKind.ESCALATED.value),
            sa.null(),
            escalations.c.escalated_at,
            drafts.c.created_at,
        )
        .select_from(escalations.join(drafts, drafts.c.id == escalations.c.draft_id))
        .where(escalations.c.escalated_at >= since, escalations.c.escalated_at < until)
    )
    rows = [*(await conn.execute(made)), *(await conn.execute(handed_over))]
    return [_Made(*row) for row in rows]


async def _backlog(conn: AsyncConnection, targets: Targets, now: dt.datetime) -> Backlog:
    """Conversations awaiting a decision now, as the review card tells them (`review._status`)."""
    undecided = {
        str(row.conversation_id)
        for row in await conn.execute(
            sa.select(enquiries.c.conversation_id)
            .select_from(
                drafts.join(enquiries, enquiries.c.id == drafts.c.enquiry_id).outerjoin(
                    decisions, decisions.c.draft_id == drafts.c.id
                )
            )
            .where(decisions.c.id.is_(None), drafts.c.superseded.is_(False))
            .distinct()
        )
    }
    drafting = (
        await conn.execute(
            sa.select(card_states.c.conversation_id).where(
                card_states.c.drafting.in_(
                    [DraftingState.PENDING.value, DraftingState.DELAYED.value]
                )
            )
        )
    ).scalars()
    waiting_ids = undecided | {str(conversation_id) for conversation_id in drafting}
    waiting: dict[str, tuple[str, dt.datetime]] = {}
    owned: set[str] = set()
    for chunk in chunks(sorted(waiting_ids)):
        answered_until: dict[str, dt.datetime] = {
            conversation_id: received_at
            for conversation_id, received_at in await conn.execute(
                sa.select(enquiries.c.conversation_id, sa.func.max(enquiries.c.received_at))
                .select_from(
                    drafts.join(enquiries, enquiries.c.id == drafts.c.enquiry_id).join(
                        decisions, decisions.c.draft_id == drafts.c.id
                    )
                )
                .where(enquiries.c.conversation_id.in_(chunk))
                .group_by(enquiries.c.conversation_id)
            )
        }
        messages = await conn.execute(
            sa.select(enquiries.c.conversation_id, enquiries.c.channel, enquiries.c.received_at)
            .where(enquiries.c.conversation_id.in_(chunk))
            .order_by(enquiries.c.received_at)
        )
        for conversation_id, channel, received_at in messages:
            after = answered_until.get(conversation_id)
            if conversation_id not in waiting and (after is None or received_at > after):
                waiting[conversation_id] = (channel, received_at)  # the oldest unanswered
        owned.update(
            (
                await conn.execute(
                    sa.select(card_states.c.conversation_id).where(
                        card_states.c.conversation_id.in_(chunk), card_states.c.owner.is_not(None)
                    )
                )
            ).scalars()
        )
    states = Counter(
        str(targets.state(channel, started, now)) for channel, started in waiting.values()
    )
    return Backlog(
        awaiting_review=sum(1 for c in waiting if c in undecided),
        awaiting_draft=sum(1 for c in waiting if c not in undecided),
        escalated=len(owned & waiting.keys()),
        oldest_seconds=max(
            (targets.age(started, now) for _, started in waiting.values()), default=None
        ),
        by_target=dict(states.most_common()),
    )


async def _topics(conn: AsyncConnection, outcomes: list[EnquiryOutcome], limit: int) -> list[Topic]:
    """Group the period's drafts that escalated or found no entry (the FAQ's gaps)."""
    first_of_draft: dict[str, tuple[EnquiryOutcome, list[str]]] = {}
    for outcome in outcomes:
        draft = outcome.draft
        if draft is None or not (
            draft.action == DraftAction.ESCALATE.value or NO_MATCHING_ENTRY in draft.flags
        ):
            continue
        first, ids = first_of_draft.setdefault(draft.draft_id, (outcome, []))
        ids.append(outcome.enquiry_id)
    texts: dict[str, str] = {}
    for chunk in chunks([first.enquiry_id for first, _ in first_of_draft.values()]):
        query = sa.select(enquiries.c.id, enquiries.c.text).where(enquiries.c.id.in_(chunk))
        texts.update((str(row.id), str(row.text)) for row in await conn.execute(query))
    groups: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for first, ids in first_of_draft.values():
        assert first.draft is not None  # noqa: S101 - selected above
        text = texts.get(first.enquiry_id, "")
        groups[_topic_label(first.draft, text)].append((text, ids))
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]
    return [
        Topic(
            label=label,
            conversations=len(members),
            enquiry_ids=tuple(i for _, ids in members for i in ids),
            example=members[0][0][:120],
        )
        for label, members in ranked
    ]


def _topic_label(draft: DraftOutcome, text: str) -> str:
    if draft.citations:
        return "entries: " + ", ".join(sorted(draft.citations))
    words = re.findall(r"\w+", text.lower())[:_TOPIC_WORDS]
    if words:
        return " ".join(words) + " …"
    specific = [flag for flag in draft.flags if flag != NO_MATCHING_ENTRY]
    return ", ".join(sorted(specific)) or "(no text)"

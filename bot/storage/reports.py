"""Read-only figures for comms leads: all-time totals, and the per-enquiry CSV of a period.

The period's report (`period_report`) lives in `bot.storage.report_period`, the rows both
read in `bot.storage.report_outcomes`.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import DecisionKind
from bot.storage.report_outcomes import EnquiryOutcome, Targets, load_outcomes
from bot.storage.tables import decisions, deliveries, drafts, enquiries


@dataclass(frozen=True)
class DraftUsage:
    """Token usage of one draft."""

    draft_id: str
    drafter: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Report:
    """Totals over everything stored."""

    enquiries: int
    drafts_by_drafter: dict[str, int]
    actions: dict[str, int]
    decisions: dict[str, int]
    rejection_reasons: dict[str, int]
    deliveries: dict[str, int]
    seconds_to_decision: list[float]
    unanswered: list[str]  # enquiries whose current draft found no FAQ entry
    usage: list[DraftUsage]


async def build_report(conn: AsyncConnection, unanswered_limit: int = 10) -> Report:
    """Collect the figures with a handful of aggregate queries."""
    return Report(
        enquiries=int(
            (await conn.execute(sa.select(sa.func.count()).select_from(enquiries))).scalar_one()
        ),
        drafts_by_drafter=await _counts(conn, drafts.c.drafter),
        actions=await _counts(conn, drafts.c.action, drafts.c.superseded.is_(False)),
        decisions=await _counts(conn, decisions.c.kind),
        rejection_reasons=await _counts(conn, decisions.c.reason, decisions.c.kind == "rejected"),
        deliveries=await _counts(conn, deliveries.c.state),
        seconds_to_decision=await _decision_delays(conn),
        unanswered=await _unanswered(conn, unanswered_limit),
        usage=[
            DraftUsage(row.id, row.drafter, row.prompt_tokens, row.completion_tokens)
            for row in await conn.execute(
                sa.select(
                    drafts.c.id,
                    drafts.c.drafter,
                    drafts.c.prompt_tokens,
                    drafts.c.completion_tokens,
                ).order_by(drafts.c.created_at)
            )
        ],
    )


async def _counts(
    conn: AsyncConnection,
    column: sa.ColumnElement[str],
    where: sa.ColumnElement[bool] | None = None,
) -> dict[str, int]:
    query = sa.select(column, sa.func.count()).group_by(column)
    if where is not None:
        query = query.where(where)
    return {str(key): int(count) for key, count in await conn.execute(query)}


async def _decision_delays(conn: AsyncConnection) -> list[float]:
    query = sa.select(enquiries.c.received_at, decisions.c.decided_at).select_from(
        decisions.join(drafts, drafts.c.id == decisions.c.draft_id).join(
            enquiries, enquiries.c.id == drafts.c.enquiry_id
        )
    )
    # UtcDateTime returns aware UTC values from both databases, so they subtract directly.
    return sorted(
        (decided - received).total_seconds() for received, decided in await conn.execute(query)
    )


async def _unanswered(conn: AsyncConnection, limit: int) -> list[str]:
    query = (
        sa.select(enquiries.c.text)
        .select_from(drafts.join(enquiries, enquiries.c.id == drafts.c.enquiry_id))
        .where(drafts.c.superseded.is_(False), drafts.c.action == "escalate")
        .order_by(drafts.c.created_at.desc())
        .limit(limit)
    )
    return [str(row.text) for row in await conn.execute(query)]


ENQUIRY_CSV_COLUMNS = (
    "enquiry_id",
    "conversation_id",
    "channel",
    "received_at",
    "language",
    "draft_action",
    "confidence",
    "cited_entries",
    "decision",
    "decided_by",
    "decided_at",
    "rejection_reason",
    "delivery_state",
    "sent_at",
    "business_seconds_to_decision",
    "business_seconds_to_reply",
    "within_target",
)


async def write_enquiry_csv(
    conn: AsyncConnection,
    since: dt.datetime,
    until: dt.datetime,
    targets: Targets,
    stream: TextIO,
    now: dt.datetime | None = None,
) -> int:
    """Write one CSV row per enquiry received in [since, until), oldest first.

    No customer text or names: personal data stays out of exports. The columns (stable;
    new ones are only ever appended):

    - enquiry_id, conversation_id, channel;
    - received_at: ISO 8601 in UTC, like every time here;
    - language: the draft's language, else the channel's hint;
    - draft_action (review/escalate/ignore), confidence (0–1), cited_entries (`;`-joined)
      of the draft answering the enquiry (its conversation's first decided draft made for
      it or a later message, else the current one);
    - decision: approved, edited, rejected, escalated, or none; decided_by (the reviewer's
      Slack id), decided_at, rejection_reason;
    - delivery_state: queued, sending, sent, failed, outcome_unknown, or empty; sent_at;
    - business_seconds_to_decision: draft made -> decision;
    - business_seconds_to_reply: enquiry received -> reply sent;
    - within_target: true/false for a reply sent within/after the channel's target; false
      too for no reply yet when `now` is past the target; empty otherwise (no target, or
      not answered and not late yet).

    Args:
        conn: A connection to the ReplyDesk database.
        since: Start of the period (aware), included.
        until: End of the period (aware), excluded.
        targets: Business hours and per-channel targets.
        stream: Where the CSV goes (text, opened with `newline=""`).
        now: When the export is made; lets unanswered late enquiries say false.

    Returns:
        The number of rows written (the header not counted).
    """
    writer = csv.writer(stream)
    writer.writerow(ENQUIRY_CSV_COLUMNS)
    outcomes = await load_outcomes(conn, since, until)
    for outcome in outcomes:
        writer.writerow(_csv_row(outcome, targets, now))
    return len(outcomes)


def _csv_row(outcome: EnquiryOutcome, targets: Targets, now: dt.datetime | None) -> tuple[str, ...]:
    draft = outcome.draft
    sent_at = draft.sent_at if draft else None
    decided_at = draft.decided_at if draft else None
    target = targets.target_for(outcome.channel)
    if sent_at is not None:
        within = _flag(targets.within(outcome.channel, outcome.received_at, sent_at))
    elif now is not None and target is not None:
        within = "" if targets.within(outcome.channel, outcome.received_at, now) else "false"
    else:
        within = ""
    if target is None:
        within = ""
    return (
        outcome.enquiry_id,
        outcome.conversation_id or "",
        outcome.channel,
        _iso(outcome.received_at),
        (draft.language if draft else None) or outcome.language_hint or "",
        draft.action if draft else "",
        f"{draft.confidence:.3f}" if draft else "",
        ";".join(draft.citations) if draft else "",
        (draft.decision if draft else None) or "none",
        (draft.decided_by if draft else None) or "",
        _iso(decided_at),
        (draft.reason if draft and draft.decision == DecisionKind.REJECTED.value else None) or "",
        (draft.delivery_state if draft else None) or "",
        _iso(sent_at),
        _seconds(targets.age(draft.created_at, decided_at) if draft and decided_at else None),
        _seconds(targets.age(outcome.received_at, sent_at) if sent_at else None),
        within,
    )


def _iso(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(dt.UTC).isoformat()


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _flag(value: bool) -> str:
    return "true" if value else "false"

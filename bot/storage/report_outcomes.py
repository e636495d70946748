"""Each enquiry of a period and the draft, decision and delivery that answered it.

Reads only the period's rows, found through indexed columns (`enquiries.received_at`,
`enquiries.conversation_id`, the unique draft ids of decisions and deliveries).

Which draft answers an enquiry: a draft belongs to the newest message it answered and
covers every earlier message of its conversation not answered before. So an enquiry's draft
is the first decided draft of its conversation made for it or a later message; while none
is decided, the current (not superseded) one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import DecisionKind, DeliveryState
from bot.storage.tables import decisions, deliveries, drafts, enquiries

_ANSWERING = frozenset({DecisionKind.APPROVED.value, DecisionKind.EDITED.value})
_CHUNK = 500  # ids per IN list


class Targets(Protocol):
    """Business hours and per-channel targets: `bot.faq.response_targets.ResponseTargets`.

    A protocol here, so storage does not import the use-case package that imports it.
    """

    def target_for(self, channel: str) -> float | None:
        """The channel's target in business seconds, or None."""

    def age(self, received_at: dt.datetime, now: dt.datetime) -> float:
        """Business seconds from `received_at` to `now`."""

    def within(self, channel: str, received_at: dt.datetime, answered_at: dt.datetime) -> bool:
        """Whether an answer at `answered_at` met the channel's target."""

    def state(self, channel: str, received_at: dt.datetime, now: dt.datetime) -> str:
        """on_track, at_risk or overdue (a `TargetState`)."""


@dataclass(frozen=True)
class DraftOutcome:
    """The draft that answers an enquiry, with its decision and delivery (if any)."""

    draft_id: str
    action: str
    language: str
    confidence: float
    citations: tuple[str, ...]
    flags: tuple[str, ...]
    created_at: dt.datetime
    superseded: bool
    answers_until: dt.datetime  # when the newest message this draft answers arrived
    decision: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None
    delivery_state: str | None = None
    delivery_updated_at: dt.datetime | None = None

    @property
    def sent_at(self) -> dt.datetime | None:
        """When the platform accepted the reply (a SENT row is not updated afterwards)."""
        if self.decision in _ANSWERING and self.delivery_state == DeliveryState.SENT.value:
            return self.delivery_updated_at
        return None


@dataclass(frozen=True)
class EnquiryOutcome:
    """One enquiry of the period and what became of it; no customer text or names."""

    enquiry_id: str
    conversation_id: str | None
    channel: str
    received_at: dt.datetime
    language_hint: str | None
    draft: DraftOutcome | None


async def load_outcomes(
    conn: AsyncConnection, since: dt.datetime, until: dt.datetime
) -> list[EnquiryOutcome]:
    """Every enquiry received in [since, until), oldest first, with the draft answering it."""
    in_period = sa.and_(enquiries.c.received_at >= since, enquiries.c.received_at < until)
    rows = (
        await conn.execute(
            sa.select(
                enquiries.c.id,
                enquiries.c.conversation_id,
                enquiries.c.channel,
                enquiries.c.received_at,
                enquiries.c.language_hint,
            )
            .where(in_period)
            .order_by(enquiries.c.received_at, enquiries.c.id)
        )
    ).all()
    by_conversation = await _drafts_of_conversations(
        conn, since, sa.select(enquiries.c.conversation_id).where(in_period)
    )
    return [
        EnquiryOutcome(
            enquiry_id=row.id,
            conversation_id=row.conversation_id,
            channel=row.channel,
            received_at=row.received_at,
            language_hint=row.language_hint,
            draft=_answering(by_conversation.get(row.conversation_id, []), row.received_at),
        )
        for row in rows
    ]


async def _drafts_of_conversations(
    conn: AsyncConnection, since: dt.datetime, conversation_ids: sa.Select[tuple[str | None]]
) -> dict[str, list[DraftOutcome]]:
    # A draft made for a message older than the period cannot answer one of the period.
    query = (
        sa.select(
            drafts.c.id,
            drafts.c.action,
            drafts.c.language,
            drafts.c.confidence,
            drafts.c.citations,
            drafts.c.flags,
            drafts.c.created_at,
            drafts.c.superseded,
            enquiries.c.conversation_id,
            enquiries.c.received_at,
            decisions.c.kind,
            decisions.c.decided_by,
            decisions.c.decided_at,
            decisions.c.reason,
            deliveries.c.state,
            deliveries.c.updated_at,
        )
        .select_from(
            drafts.join(enquiries, enquiries.c.id == drafts.c.enquiry_id)
            .outerjoin(decisions, decisions.c.draft_id == drafts.c.id)
            .outerjoin(deliveries, deliveries.c.draft_id == drafts.c.id)
        )
        .where(
            enquiries.c.received_at >= since,
            enquiries.c.conversation_id.in_(conversation_ids),
        )
        .order_by(drafts.c.created_at, drafts.c.revision)
    )
    found: dict[str, list[DraftOutcome]] = defaultdict(list)
    for row in await conn.execute(query):
        found[row.conversation_id].append(
            DraftOutcome(
                draft_id=row.id,
                action=row.action,
                language=row.language,
                confidence=float(row.confidence),
                citations=tuple(row.citations or ()),
                flags=tuple(row.flags or ()),
                created_at=row.created_at,
                superseded=bool(row.superseded),
                answers_until=row.received_at,
                decision=row.kind,
                decided_by=row.decided_by,
                decided_at=row.decided_at,
                reason=row.reason,
                delivery_state=row.state,
                delivery_updated_at=row.updated_at,
            )
        )
    return found


def _answering(candidates: list[DraftOutcome], received_at: dt.datetime) -> DraftOutcome | None:
    """The draft answering a message received at `received_at` (drafts oldest first)."""
    covering = [d for d in candidates if d.answers_until >= received_at]
    decided = next((d for d in covering if d.decision is not None), None)
    if decided is not None:
        return decided
    current = [d for d in covering if not d.superseded]
    if current:
        return current[-1]
    return covering[-1] if covering else None


def chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    """`ids` in slices short enough for one IN list."""
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]

"""Rows for the storage tests: one enquiry, draft, decision or delivery per call."""

from __future__ import annotations

import datetime as dt
import uuid

from bot.models import (
    Channel,
    Decision,
    DecisionKind,
    Delivery,
    Draft,
    DraftAction,
    Enquiry,
    EnquiryKind,
    Language,
)
from bot.storage import Database

T0 = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def make_enquiry(external_id: str = "update-1", **changes: object) -> Enquiry:
    values: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "channel": Channel.TELEGRAM,
        "external_id": external_id,
        "text": "Wann habt ihr geöffnet?",
        "author_id": "user-7",
        "author_name": "Ada",
        "language_hint": "de",
        "kind": EnquiryKind.TEXT,
        "reply_target": {"chat_id": "42", "message_id": "9"},
        "received_at": T0,
    }
    values.update(changes)
    return Enquiry(**values)  # type: ignore[arg-type]


def make_draft(enquiry_id: str, revision: int = 1, **changes: object) -> Draft:
    values: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "enquiry_id": enquiry_id,
        "text": f"Antwort, Fassung {revision}",
        "language": Language.DE,
        "action": DraftAction.REVIEW,
        "confidence": 0.875,
        "citations": ("opening-hours", "holidays"),
        "guideline_clauses": ("§3",),
        "flags": ("short",),
        "drafter": "openai:gpt-4o-mini",
        "revision": revision,
        "cited_hashes": {"opening-hours": "abc123", "holidays": "def456"},
        "prompt_tokens": 812,
        "completion_tokens": 64,
        "created_at": T0 + dt.timedelta(minutes=revision),
    }
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


def make_decision(draft_id: str, reviewer: str = "U123") -> Decision:
    return Decision(
        id=uuid.uuid4().hex,
        draft_id=draft_id,
        kind=DecisionKind.EDITED,
        decided_by=reviewer,
        final_text="Wir haben ab 9 Uhr geöffnet.",
        decided_at=T0 + dt.timedelta(hours=1),
    )


def make_delivery(draft_id: str) -> Delivery:
    return Delivery(
        id=uuid.uuid4().hex,
        draft_id=draft_id,
        channel=Channel.TELEGRAM,
        text="Wir haben ab 9 Uhr geöffnet.",
        reply_target={"chat_id": "42"},
        created_at=T0,
        updated_at=T0,
    )


async def seed_draft(database: Database, external_id: str = "update-1") -> Draft:
    """Store an enquiry with one draft, since drafts and deliveries need their parents."""
    async with database.unit_of_work() as uow:
        enquiry, _ = await uow.enquiries.add(make_enquiry(external_id))
        draft = make_draft(enquiry.id)
        await uow.drafts.add(draft)
        await uow.commit()
    return draft

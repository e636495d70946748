"""Repositories for drafts (every revision kept) and reviewers' decisions (one per draft)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import DuplicateError
from bot.models import Decision, DecisionKind, Draft, DraftAction, Language
from bot.storage._dialect import upsert_insert
from bot.storage.tables import decisions, drafts, enquiries


def _draft_row(draft: Draft) -> dict[str, object]:
    return {
        "id": draft.id,
        "enquiry_id": draft.enquiry_id,
        "revision": draft.revision,
        "text": draft.text,
        "language": draft.language.value,
        "action": draft.action.value,
        "confidence": draft.confidence,
        "citations": list(draft.citations),
        "guideline_clauses": list(draft.guideline_clauses),
        "flags": list(draft.flags),
        "cited_hashes": dict(draft.cited_hashes),
        "drafter": draft.drafter,
        "prompt_tokens": draft.prompt_tokens,
        "completion_tokens": draft.completion_tokens,
        "superseded": False,
        "created_at": draft.created_at,
        "private_followup": draft.private_followup,
    }


def _draft_from(row: sa.Row[Any]) -> Draft:
    return Draft(
        id=row.id,
        enquiry_id=row.enquiry_id,
        text=row.text,
        language=Language(row.language),
        action=DraftAction(row.action),
        confidence=row.confidence,
        citations=tuple(row.citations),
        guideline_clauses=tuple(row.guideline_clauses),
        flags=tuple(row.flags),
        drafter=row.drafter,
        revision=row.revision,
        cited_hashes=dict(row.cited_hashes),
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        created_at=row.created_at,
        private_followup=row.private_followup,
    )


def _decision_from(row: sa.Row[Any]) -> Decision:
    return Decision(
        id=row.id,
        draft_id=row.draft_id,
        kind=DecisionKind(row.kind),
        decided_by=row.decided_by,
        final_text=row.final_text,
        reason=row.reason,
        decided_at=row.decided_at,
    )


class DraftRepository:
    """Keeps every revision of an enquiry's draft, so reviewers and audits see the history."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, draft: Draft) -> None:
        """Store a new draft revision.

        Raises:
            DuplicateError: The enquiry already has a draft with this revision (two
                regenerations raced); the first one stays.
        """
        insert = upsert_insert(self._conn, drafts).values(_draft_row(draft))
        insert = insert.on_conflict_do_nothing()
        created = (await self._conn.execute(insert.returning(drafts.c.id))).first()
        if created is None:
            raise DuplicateError(
                f"draft {draft.id} (revision {draft.revision} of enquiry {draft.enquiry_id})"
                " was stored before"
            )

    async def get(self, draft_id: str) -> Draft | None:
        """Return the draft with `draft_id`, or None if there is none."""
        row = (await self._conn.execute(sa.select(drafts).where(drafts.c.id == draft_id))).first()
        return None if row is None else _draft_from(row)

    async def latest_for(self, enquiry_id: str) -> Draft | None:
        """Return the enquiry's highest revision, superseded or not, or None if it has none."""
        query = (
            sa.select(drafts)
            .where(drafts.c.enquiry_id == enquiry_id)
            .order_by(drafts.c.revision.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _draft_from(row)

    async def history(self, enquiry_id: str) -> list[Draft]:
        """Return every revision of the enquiry's draft, oldest first."""
        query = (
            sa.select(drafts).where(drafts.c.enquiry_id == enquiry_id).order_by(drafts.c.revision)
        )
        return [_draft_from(row) for row in await self._conn.execute(query)]

    async def current_in_conversation(self, conversation_id: str) -> Draft | None:
        """Return the conversation's newest draft that nothing replaced, in one query."""
        query = (
            sa.select(drafts)
            .join(enquiries, enquiries.c.id == drafts.c.enquiry_id)
            .where(enquiries.c.conversation_id == conversation_id, drafts.c.superseded.is_(False))
            .order_by(drafts.c.created_at.desc(), drafts.c.revision.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _draft_from(row)

    async def mark_superseded(self, draft_id: str) -> None:
        """Flag a draft as replaced by a newer revision, so its old card cannot be approved."""
        await self._conn.execute(
            sa.update(drafts).where(drafts.c.id == draft_id).values(superseded=True)
        )

    async def is_superseded(self, draft_id: str) -> bool:
        """Tell whether `mark_superseded` was called for the draft (False if it is unknown)."""
        query = sa.select(drafts.c.superseded).where(drafts.c.id == draft_id)
        return bool((await self._conn.execute(query)).scalar_one_or_none())


class DecisionRepository:
    """Records at most one decision per draft; the first reviewer's click wins."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, decision: Decision) -> tuple[Decision, bool]:
        """Record `decision` unless the draft was decided before.

        The unique draft id settles double clicks and concurrent reviewers in the database.

        Returns:
            The stored decision (the first one, for a repeat) and whether it was new.
        """
        insert = upsert_insert(self._conn, decisions).values(
            id=decision.id,
            draft_id=decision.draft_id,
            kind=decision.kind.value,
            decided_by=decision.decided_by,
            final_text=decision.final_text,
            reason=decision.reason,
            decided_at=decision.decided_at,
        )
        insert = insert.on_conflict_do_nothing(index_elements=["draft_id"])
        created = (await self._conn.execute(insert.returning(decisions.c.id))).first()
        query = sa.select(decisions).where(decisions.c.draft_id == decision.draft_id)
        stored = _decision_from((await self._conn.execute(query)).one())
        return stored, created is not None

    async def for_draft(self, draft_id: str) -> Decision | None:
        """Return the draft's decision, or None while it is undecided."""
        query = sa.select(decisions).where(decisions.c.draft_id == draft_id)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _decision_from(row)

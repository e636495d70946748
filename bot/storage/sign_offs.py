"""Repository of sign-offs: approvals that wait for a second, different person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._dialect import upsert_insert
from bot.storage.tables import sign_offs


class SignerRole(StrEnum):
    """In which capacity someone signed a draft."""

    REVIEWER = "reviewer"
    LEAD = "lead"


@dataclass(frozen=True)
class SignOff:
    """One person's approval of a draft's text."""

    draft_id: str
    signed_by: str
    role: SignerRole
    final_text: str
    signed_at: dt.datetime


class SignOffRepository:
    """Each person signs a draft once; a repeated click keeps the first signature."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def sign(self, sign_off: SignOff) -> None:
        """Record the signature, or replace the same person's earlier one (an edited text)."""
        values = {
            "draft_id": sign_off.draft_id,
            "signed_by": sign_off.signed_by,
            "role": sign_off.role.value,
            "final_text": sign_off.final_text,
            "signed_at": sign_off.signed_at,
        }
        insert = upsert_insert(self._conn, sign_offs).values(**values)
        await self._conn.execute(
            insert.on_conflict_do_update(
                index_elements=["draft_id", "signed_by"],
                set_={"role": values["role"], "final_text": sign_off.final_text},
            )
        )

    async def for_draft(self, draft_id: str) -> list[SignOff]:
        """The draft's signatures, oldest first."""
        rows = await self._conn.execute(
            sa.select(sign_offs)
            .where(sign_offs.c.draft_id == draft_id)
            .order_by(sign_offs.c.signed_at, sign_offs.c.signed_by)
        )
        return [
            SignOff(r.draft_id, r.signed_by, SignerRole(r.role), r.final_text, r.signed_at)
            for r in rows
        ]

"""A desk on real SQLite and the real model, with a fake board: the use cases' test bench.

The `desk` fixture is registered by the conftest of each package that uses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, InboundMessage
from bot.review import KnowledgeCatalog, current_draft
from bot.services import Desk
from bot.storage import Database
from tests.fakes.ports import RecordingBoard


class Clock:
    """Real time plus an offset the test moves forward (rows are stamped in real time too)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    @now.setter
    def now(self, value: dt.datetime) -> None:
        self.offset += value - self.now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def desk(tmp_path: Path, fixture_knowledge: OpenedKnowledge) -> AsyncIterator[Desk]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}")
    await db.migrate()
    drafting = DraftingContext(
        fixture_knowledge.retriever, fixture_knowledge.knowledge.guidelines, OfflineDrafter()
    )
    yield Desk(
        db, drafting, KnowledgeCatalog(fixture_knowledge.knowledge), RecordingBoard(), clock=Clock()
    )
    await db.dispose()


def telegram(update_id: int, text: str, author: str = "42", name: str = "Anna") -> InboundMessage:
    return InboundMessage(
        Channel.TELEGRAM,
        str(update_id),
        text,
        author_id=author,
        author_name=name,
        language_hint="de",
        reply_target={"chat_id": "777", "message_id": str(update_id)},
    )


async def current_draft_id(desk: Desk, conversation_id: str) -> str:
    async with desk.db.unit_of_work() as uow:
        draft = await current_draft(uow, conversation_id)
    assert draft is not None
    return draft.id


def board(desk: Desk) -> RecordingBoard:
    assert isinstance(desk.board, RecordingBoard)
    return desk.board

"""`replydesk stats` reads what happened from the database and prints it for comms leads."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext
from bot.faq.opening import OpenedKnowledge
from bot.models import Channel, InboundMessage
from bot.review import KnowledgeCatalog, current_draft
from bot.services import Desk, approve_draft, reject_draft, take_in
from bot.settings import Settings
from bot.storage import Database
from tests.fakes.ports import RecordingBoard


@pytest.fixture
async def filled_data_dir(tmp_path: Path, fixture_knowledge: OpenedKnowledge) -> Path:
    settings = Settings(data_dir=tmp_path)
    db = Database(settings.resolved_database_url())
    await db.migrate()
    desk = Desk(
        db,
        DraftingContext(
            fixture_knowledge.retriever, fixture_knowledge.knowledge.guidelines, OfflineDrafter()
        ),
        KnowledgeCatalog(fixture_knowledge.knowledge),
        RecordingBoard(),
    )
    texts = [
        "Wie lange habe ich Zeit für eine Rücksendung?",
        "Packstation möglich?",
        "Verkauft ihr Gartenmöbel aus Teak?",
    ]
    for number, text in enumerate(texts):
        receipt = await take_in(
            desk, InboundMessage(Channel.TELEGRAM, str(number), text, author_id=str(number))
        )
        async with db.unit_of_work() as uow:
            draft = await current_draft(uow, receipt.conversation_id)
        assert draft is not None
        if number == 0:
            await approve_draft(desk, draft.id, "U1")
        elif number == 1:
            await reject_draft(desk, draft.id, "U1", "wrong tone")
    await db.dispose()
    return tmp_path


class TestStats:
    def test_stats_show_decisions_rejection_reasons_and_unanswered_enquiries(
        self, filled_data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REPLYDESK_DATA_DIR", str(filled_data_dir))

        result = CliRunner().invoke(app, ["stats", "--per-draft"])

        assert result.exit_code == 0, result.output
        assert "enquiries" in result.output
        assert "approved: 1" in result.output and "rejected: 1" in result.output
        assert "wrong tone: 1" in result.output
        assert "queued: 1" in result.output
        assert "Gartenmöbel" in result.output

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
from tests.cli.test_operator_errors import one_error_line, replydesk
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

    def test_stats_write_one_csv_row_per_enquiry_without_customer_text(
        self, filled_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REPLYDESK_DATA_DIR", str(filled_data_dir))
        export = tmp_path / "report.csv"

        result = CliRunner().invoke(app, ["stats", "--days", "7", "--csv", str(export)])

        assert result.exit_code == 0, result.output
        assert "Wrote 3 enquiries to" in result.output
        assert "3 enquiries" in result.output and "waiting now" in result.output
        lines = export.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("enquiry_id,conversation_id,channel,received_at,")
        assert len(lines) == 4
        assert "Gartenmöbel" not in export.read_text(encoding="utf-8")

    def test_a_malformed_day_is_one_line_and_exit_code_2(self, tmp_path: Path) -> None:
        result = replydesk("stats", "--since", "1.3.2026", env={}, tmp_path=tmp_path)

        assert result.returncode == 2
        assert "--since wants a day as YYYY-MM-DD" in one_error_line(result)

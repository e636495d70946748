"""`replydesk knowledge history` lists an entry's versions; `restore` brings one back."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.faq.editing import EntryChanges
from bot.services import edit_entry
from bot.storage import Database

FIXTURES = Path(__file__).parents[1] / "fixtures"
ENTRY = "returns-window-de"


@pytest.fixture
def knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the test knowledge with two recorded edits; the database in tmp_path."""
    folder = tmp_path / "kb"
    shutil.copytree(FIXTURES / "knowledge", folder)
    monkeypatch.setenv("REPLYDESK_DATA_DIR", str(tmp_path / "data"))
    path = folder / "faq" / f"{ENTRY}.md"

    async def edit_twice() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'replydesk.sqlite3'}")
        await db.migrate()
        first = await edit_entry(
            db, folder, ENTRY, EntryChanges(answer="Erst so."), path.read_text("utf-8"), "anna"
        )
        await edit_entry(db, folder, ENTRY, EntryChanges(tags=("kulanz",)), first.after, "ben")
        await db.dispose()

    asyncio.run(edit_twice())
    return folder


class TestKnowledgeHistory:
    def test_history_prints_each_version_with_who_and_what_changed(self, knowledge: Path) -> None:
        result = CliRunner().invoke(
            app, ["knowledge", "history", ENTRY, "--knowledge-dir", str(knowledge)]
        )

        assert result.exit_code == 0, result.output
        lines = result.stdout.strip().splitlines()
        assert [line.split("  ")[:3] for line in lines] == [
            ["v2", "edit", "ben"],
            ["v1", "edit", "anna"],
        ]
        assert lines[0].endswith("UTC  tags") and lines[1].endswith("UTC  answer")

    def test_an_entry_without_versions_says_so(self, knowledge: Path) -> None:
        result = CliRunner().invoke(
            app, ["knowledge", "history", "packstation-de", "--knowledge-dir", str(knowledge)]
        )

        assert result.exit_code == 0
        assert "no versions of packstation-de recorded" in result.output


class TestKnowledgeRestore:
    def test_restore_writes_the_old_version_back_as_a_new_version(self, knowledge: Path) -> None:
        runner = CliRunner()

        result = runner.invoke(
            app,
            ["knowledge", "restore", ENTRY, "1", "--knowledge-dir", str(knowledge), "--by", "cleo"],
        )
        history = runner.invoke(
            app, ["knowledge", "history", ENTRY, "--knowledge-dir", str(knowledge)]
        )

        assert result.exit_code == 0, result.output
        assert f"Restored {ENTRY} to version 1 as version 3 (by cleo)" in result.output
        newest = history.stdout.splitlines()[0]
        assert newest.startswith("v3  restore  cleo  ") and newest.endswith("tags (as v1)")
        text = (knowledge / "faq" / f"{ENTRY}.md").read_text(encoding="utf-8")
        assert "kulanz" not in text and "Erst so." in text

    def test_an_unknown_version_is_an_input_error(self, knowledge: Path) -> None:
        result = CliRunner().invoke(
            app, ["knowledge", "restore", ENTRY, "9", "--knowledge-dir", str(knowledge)]
        )

        assert result.exit_code == 2
        assert result.output.strip() == f"error: '{ENTRY}' has no version 9"

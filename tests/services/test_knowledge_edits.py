"""Knowledge edits write the entry's file and record who changed what, when, refusing conflicts."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import shutil
from pathlib import Path

import frontmatter
import pytest

from bot.errors import ConflictError, InputError
from bot.faq.editing import EntryChanges, NewEntry
from bot.faq.embedders import UseEmbedder
from bot.faq.files import load_knowledge
from bot.jobs import reload_knowledge
from bot.models import Language
from bot.services import (
    Desk,
    Outcome,
    approve_draft,
    create_entry,
    edit_entry,
    entry_history,
    restore_version,
    take_in,
)
from bot.settings import Settings
from bot.storage import Database, EditAction
from bot.wiring import open_knowledge
from tests.services.harness import current_draft_id, telegram

FIXTURES = Path(__file__).parents[1] / "fixtures"
ENTRY = "returns-window-de"
NOW = dt.datetime(2026, 12, 2, 10, 15, tzinfo=dt.UTC)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(FIXTURES / "knowledge", folder)
    return folder


def _file(knowledge: Path) -> Path:
    return knowledge / "faq" / f"{ENTRY}.md"


def _text(knowledge: Path) -> str:
    return _file(knowledge).read_text(encoding="utf-8")


def _clock() -> dt.datetime:
    return NOW


class TestEditEntry:
    async def test_an_edit_changes_the_file_and_records_who_when_before_and_after(
        self, database: Database, knowledge: Path
    ) -> None:
        seen = _text(knowledge)

        edit = await edit_entry(
            database,
            knowledge,
            ENTRY,
            EntryChanges(answer="Du hast 14 Tage Zeit."),
            seen,
            "U-anna",
            clock=_clock,
        )

        history = await entry_history(database, knowledge, ENTRY)
        assert [(v.version, v.action, v.edited_by, v.edited_at) for v in history] == [
            (1, EditAction.EDIT, "U-anna", NOW)
        ]
        assert history[0].before == seen and history[0].after == _text(knowledge) == edit.after
        assert frontmatter.loads(_text(knowledge)).content == "Du hast 14 Tage Zeit."

    async def test_fields_the_edit_does_not_touch_are_kept(
        self, database: Database, knowledge: Path
    ) -> None:
        before = frontmatter.loads(_text(knowledge))

        await edit_entry(
            database,
            knowledge,
            ENTRY,
            EntryChanges(question="Wie lange kann ich etwas zurückschicken?"),
            _text(knowledge),
            "U-anna",
        )

        after = frontmatter.loads(_text(knowledge))
        assert after.content == before.content
        assert after.metadata == {
            **before.metadata,
            "question": "Wie lange kann ich etwas zurückschicken?",
        }
        assert sorted(path.name for path in (knowledge / "faq").iterdir()) == sorted(
            path.name for path in (FIXTURES / "knowledge" / "faq").iterdir()
        )

    async def test_an_edit_based_on_an_outdated_text_is_refused_and_changes_nothing(
        self, database: Database, knowledge: Path
    ) -> None:
        seen = _text(knowledge)
        by_hand = seen.replace("30 Tagen", "31 Tagen")
        _file(knowledge).write_text(by_hand, encoding="utf-8")

        with pytest.raises(ConflictError, match="changed since it was loaded"):
            await edit_entry(
                database, knowledge, ENTRY, EntryChanges(answer="Neu."), seen, "U-anna"
            )

        assert _text(knowledge) == by_hand
        assert await entry_history(database, knowledge, ENTRY) == []

    async def test_an_edit_the_loader_would_reject_records_nothing(
        self, database: Database, knowledge: Path
    ) -> None:
        seen = _text(knowledge)

        with pytest.raises(InputError):
            await edit_entry(database, knowledge, ENTRY, EntryChanges(answer=" "), seen, "U-a")

        assert _text(knowledge) == seen
        assert await entry_history(database, knowledge, ENTRY) == []

    async def test_two_concurrent_edits_one_wins_the_other_is_refused(
        self, database: Database, knowledge: Path
    ) -> None:
        seen = _text(knowledge)

        outcomes = await asyncio.gather(
            edit_entry(database, knowledge, ENTRY, EntryChanges(answer="A."), seen, "U-a"),
            edit_entry(database, knowledge, ENTRY, EntryChanges(answer="B."), seen, "U-b"),
            return_exceptions=True,
        )

        refused = [outcome for outcome in outcomes if isinstance(outcome, ConflictError)]
        history = await entry_history(database, knowledge, ENTRY)
        assert len(refused) == 1 and len(history) == 1
        # No lost update: the file holds exactly the one recorded version.
        assert history[0].before == seen and history[0].after == _text(knowledge)


class TestRestoreVersion:
    async def test_restore_brings_back_an_old_version_as_a_new_version(
        self, database: Database, knowledge: Path
    ) -> None:
        original = _text(knowledge)
        first = await edit_entry(
            database, knowledge, ENTRY, EntryChanges(answer="Erst so."), original, "U-a"
        )
        await edit_entry(
            database, knowledge, ENTRY, EntryChanges(answer="Dann so."), first.after, "U-b"
        )

        restored = await restore_version(database, knowledge, ENTRY, 1, "U-c")

        history = await entry_history(database, knowledge, ENTRY)
        assert [(v.version, v.action, v.edited_by) for v in history] == [
            (3, EditAction.RESTORE, "U-c"),
            (2, EditAction.EDIT, "U-b"),
            (1, EditAction.EDIT, "U-a"),
        ]
        assert restored.after == first.after == _text(knowledge)
        with pytest.raises(InputError, match="already reads as version 1"):
            await restore_version(database, knowledge, ENTRY, 1, "U-c")


class TestCreateEntry:
    async def test_a_pair_of_translations_is_written_linked_and_recorded(
        self, database: Database, knowledge: Path
    ) -> None:
        german = NewEntry("gift-wrap-de", "Verpackt ihr Geschenke?", "Ja, für 3 €.", Language.DE)
        english = NewEntry("gift-wrap-en", "Do you gift-wrap?", "Yes, for 3 euros.", Language.EN)

        edits = await create_entry(database, knowledge, german, "U-a", translation=english)

        entries = load_knowledge(knowledge).by_id()
        assert entries["gift-wrap-de"].translation_of == "gift-wrap-en"
        assert entries["gift-wrap-en"].translation_of == "gift-wrap-de"
        assert [(e.entry_id, e.version, e.action, e.before) for e in edits] == [
            ("gift-wrap-de", 1, EditAction.CREATE, None),
            ("gift-wrap-en", 1, EditAction.CREATE, None),
        ]
        with pytest.raises(ConflictError, match="exists already"):
            await create_entry(database, knowledge, german, "U-b")


class TestStaleDraftsAfterAnEdit:
    async def test_after_an_edit_and_reload_a_draft_citing_the_old_text_is_stale(
        self,
        desk: Desk,
        knowledge: Path,
        tmp_path: Path,
        use_embedder: UseEmbedder,
    ) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)
        settings = Settings(data_dir=tmp_path / "data")
        reopen = functools.partial(open_knowledge, settings, knowledge, embedder=use_embedder)

        await edit_entry(
            desk.db,
            knowledge,
            ENTRY,
            EntryChanges(answer="Du hast 14 Tage Zeit."),
            _text(knowledge),
            "U-editor",
            after_commit=functools.partial(reload_knowledge, desk, reopen),
        )
        warned = await approve_draft(desk, draft_id, "U1")

        assert warned.outcome is Outcome.STALE
        assert warned.problems == (f"{ENTRY} changed",)
        assert desk.catalog.entries[ENTRY].answer == "Du hast 14 Tage Zeit."

"""Editing one entry's file: only the named fields change, and an outdated base is refused."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import frontmatter
import pytest

from bot.errors import ConflictError, InputError, NotFoundError
from bot.faq.editing import (
    EntryChanges,
    NewEntry,
    apply_changes,
    changed_fields,
    check_unchanged,
    find_entry_file,
    new_entry_path,
    render_new_entry,
    text_digest,
)
from bot.faq.files import parse_faq_file
from bot.models import Language

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(FIXTURES / "knowledge", folder)
    return folder


class TestEditing:
    def test_an_entry_is_found_by_id_whatever_its_file_is_called(self, knowledge: Path) -> None:
        (knowledge / "faq" / "returns-window-de.md").rename(knowledge / "faq" / "ruecksendung.md")

        assert find_entry_file(knowledge, "returns-window-de").name == "ruecksendung.md"
        with pytest.raises(NotFoundError):
            find_entry_file(knowledge, "no-such-entry")

    def test_changes_touch_only_the_named_fields(self, knowledge: Path) -> None:
        text = (knowledge / "faq" / "returns-window-de.md").read_text(encoding="utf-8")

        after = apply_changes(
            text,
            EntryChanges(answer="Innerhalb von 14 Tagen.", valid_until=dt.date(2027, 1, 31)),
        )

        old, new = frontmatter.loads(text), frontmatter.loads(after)
        assert new.content == "Innerhalb von 14 Tagen."
        assert new.metadata == {**old.metadata, "valid_until": dt.date(2027, 1, 31)}
        assert changed_fields(text, after) == ("answer", "valid_until")

    def test_empty_lists_and_no_date_remove_their_keys(self, knowledge: Path) -> None:
        text = apply_changes(
            (knowledge / "faq" / "returns-window-de.md").read_text(encoding="utf-8"),
            EntryChanges(valid_until=dt.date(2027, 1, 31)),
        )

        after = apply_changes(text, EntryChanges(tags=(), alternate_questions=(), valid_until=None))

        meta = frontmatter.loads(after).metadata
        assert not {"tags", "alternate_questions", "valid_until"} & set(meta)

    def test_an_empty_answer_is_refused(self, knowledge: Path) -> None:
        text = (knowledge / "faq" / "returns-window-de.md").read_text(encoding="utf-8")

        with pytest.raises(InputError, match="answer"):
            apply_changes(text, EntryChanges(answer="  "))

    def test_a_file_changed_since_loading_is_refused(self, knowledge: Path) -> None:
        path = knowledge / "faq" / "returns-window-de.md"
        seen = path.read_text(encoding="utf-8")
        path.write_text(seen.replace("30 Tagen", "31 Tagen"), encoding="utf-8")

        with pytest.raises(ConflictError, match="changed since it was loaded"):
            check_unchanged(path, seen)
        with pytest.raises(ConflictError):
            check_unchanged(path, text_digest(seen))

    def test_the_text_or_its_digest_confirms_an_unchanged_file(self, knowledge: Path) -> None:
        path = knowledge / "faq" / "returns-window-de.md"
        seen = path.read_text(encoding="utf-8")

        assert check_unchanged(path, seen) == seen
        assert check_unchanged(path, text_digest(seen)) == seen


class TestNewEntries:
    def test_a_new_entry_renders_to_a_file_the_loader_reads(self, knowledge: Path) -> None:
        entry = NewEntry(
            "gift-wrap-en",
            "Do you gift-wrap?",
            "Yes, for 3 euros.",
            Language.EN,
            tags=("gifts",),
            translation_of="gift-wrap-de",
        )
        path = new_entry_path(knowledge, entry.id)
        path.write_text(render_new_entry(entry), encoding="utf-8")

        loaded = parse_faq_file(path)
        assert (loaded.id, loaded.question, loaded.answer) == (
            "gift-wrap-en",
            "Do you gift-wrap?",
            "Yes, for 3 euros.",
        )
        assert loaded.tags == ("gifts",) and loaded.translation_of == "gift-wrap-de"

    def test_an_existing_id_or_an_unsafe_one_cannot_be_created(self, knowledge: Path) -> None:
        with pytest.raises(ConflictError):
            new_entry_path(knowledge, "returns-window-de")
        with pytest.raises(InputError):
            new_entry_path(knowledge, "../escape")

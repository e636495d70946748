"""Reading the knowledge folder: entries, clauses, and broken files reported by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq.files import load_knowledge, split_clauses
from bot.models import Language, Register

FIXTURES = Path(__file__).parents[1] / "fixtures"


class TestKnowledgeFiles:
    def test_entries_and_guidelines_are_read_with_their_fields(self) -> None:
        knowledge = load_knowledge(FIXTURES / "knowledge")

        entries = knowledge.by_id()
        assert knowledge.errors == ()
        assert entries["returns-window-de"].language is Language.DE
        assert entries["returns-window-de"].translation_of == "returns-window-en"
        assert (
            "Kann ich nach drei Wochen noch zurückgeben?"
            in entries["returns-window-de"].alternate_questions
        )
        assert knowledge.guidelines.channels["x"].max_length == 280
        assert knowledge.guidelines.channels["webhook"].register is Register.SIE
        assert knowledge.guidelines.clause_for("register") == "§3"

    def test_every_broken_file_is_named_with_its_problem_and_the_rest_is_read(self) -> None:
        knowledge = load_knowledge(FIXTURES / "broken")

        problems = {Path(error.path).name: error.problem for error in knowledge.errors}
        assert "valid YAML" in problems["bad-yaml.md"]
        assert "missing 'question'" in problems["no-question.md"]
        assert "unknown language 'fr'" in problems["french.md"]
        duplicate = [p for name, p in problems.items() if "duplicate id" in p]
        assert len(duplicate) == 1
        assert {e.id for e in knowledge.entries} == {"returns-window-de", "returns-window-en"}

    def test_content_hash_changes_only_when_the_entry_changes(self, tmp_path: Path) -> None:
        faq = tmp_path / "faq"
        faq.mkdir()
        source = (FIXTURES / "knowledge" / "faq" / "packstation-de.md").read_text(encoding="utf-8")
        (faq / "packstation-de.md").write_text(source, encoding="utf-8")
        first = load_knowledge(tmp_path).entries[0].content_hash
        assert load_knowledge(tmp_path).entries[0].content_hash == first

        (faq / "packstation-de.md").write_text(source.replace("Postnummer", "DHL-Postnummer"))
        assert load_knowledge(tmp_path).entries[0].content_hash != first

    def test_guidelines_split_into_clauses_at_numbered_headings(self) -> None:
        clauses = split_clauses("## §3 Tone on Instagram\nBe warm.\n\n## §4 Length\nShort.\n")

        assert [(c.id, c.title, c.text) for c in clauses] == [
            ("§3", "Tone on Instagram", "Be warm."),
            ("§4", "Length", "Short."),
        ]

    def test_the_sample_knowledge_has_no_broken_files(self) -> None:
        knowledge = load_knowledge(Path(__file__).parents[2] / "knowledge")

        assert knowledge.errors == ()
        languages = [entry.language for entry in knowledge.entries]
        assert languages.count(Language.DE) >= 40
        assert languages.count(Language.EN) >= 40


class TestKnowledgeWarnings:
    """What is read but looks wrong is a warning: it skips nothing and is not an error."""

    @pytest.mark.parametrize("make_faq_folder", [False, True])
    def test_index_warns_about_empty_folder(self, tmp_path: Path, make_faq_folder: bool) -> None:
        if make_faq_folder:
            (tmp_path / "faq").mkdir()

        knowledge = load_knowledge(tmp_path)

        assert knowledge.entries == () and knowledge.errors == ()
        [warning] = knowledge.warnings
        assert warning.path == str(tmp_path / "faq")
        assert "REPLYDESK_KNOWLEDGE_DIR" in warning.problem

    def test_dangling_translation_is_reported(self, tmp_path: Path) -> None:
        faq = tmp_path / "faq"
        faq.mkdir()
        (faq / "lonely-de.md").write_text(
            "---\nid: lonely-de\nquestion: Frage?\nlanguage: de\ntranslation_of: lonely-en\n"
            "---\nAntwort.\n",
            encoding="utf-8",
        )

        knowledge = load_knowledge(tmp_path)

        assert [e.id for e in knowledge.entries] == ["lonely-de"]
        assert knowledge.errors == ()
        [warning] = knowledge.warnings
        assert Path(warning.path).name == "lonely-de.md"
        assert "'lonely-en'" in warning.problem

    def test_duplicate_id_names_both_files(self) -> None:
        knowledge = load_knowledge(FIXTURES / "broken")

        [duplicate] = [e for e in knowledge.errors if "duplicate id" in e.problem]
        assert "copy-of-returns.md" in str(duplicate)
        assert "returns-window-en.md" in str(duplicate)
        assert knowledge.warnings == ()

    def test_the_sample_knowledge_has_no_warnings(self) -> None:
        assert load_knowledge(Path(__file__).parents[2] / "knowledge").warnings == ()

"""`replydesk knowledge import`: the summary, the exit codes, and the folders it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.faq.files import load_knowledge
from bot.resources import SAMPLE_KNOWLEDGE_DIR

FIXTURES = Path(__file__).parents[1] / "fixtures"
NO_TARGET = (
    "error: knowledge import needs a target folder: pass --knowledge-dir DIR or set "
    "REPLYDESK_KNOWLEDGE_DIR (the shipped sample is read-only)"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the small test knowledge folder (it holds returns-window-de and -en)."""
    folder = tmp_path / "kb"
    shutil.copytree(FIXTURES / "knowledge", folder)
    return folder


def _import(runner: CliRunner, export: Path, *options: str) -> Result:
    return runner.invoke(app, ["knowledge", "import", str(export), *options])


def _lines(result: Result) -> list[str]:
    return result.output.strip().splitlines()


class TestKnowledgeImportCommand:
    def test_import_without_target_folder_is_refused(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.csv"
        export.write_text("id,question,answer,language\nnew-en,Q?,A.,en\n", encoding="utf-8")

        result = _import(runner, export)

        assert result.exit_code == 2
        assert _lines(result) == [NO_TARGET]
        assert not (SAMPLE_KNOWLEDGE_DIR / "faq" / "new-en.md").exists()

    def test_the_sample_named_by_the_environment_is_refused_too(
        self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REPLYDESK_KNOWLEDGE_DIR", str(SAMPLE_KNOWLEDGE_DIR))
        export = tmp_path / "faq.csv"
        export.write_text("id,question,answer,language\nnew-en,Q?,A.,en\n", encoding="utf-8")

        result = _import(runner, export)

        assert (result.exit_code, _lines(result)) == (2, [NO_TARGET])

    def test_a_folder_inside_the_installed_package_is_refused(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.csv"
        export.write_text("id,question,answer,language\nnew-en,Q?,A.,en\n", encoding="utf-8")
        inside = Path(__file__).parents[2] / "bot" / "_shipped" / "knowledge"

        result = _import(runner, export, "--knowledge-dir", str(inside))

        assert (result.exit_code, _lines(result)) == (2, [NO_TARGET])
        assert not (inside / "faq" / "new-en.md").exists()

    def test_the_environment_names_the_target_folder(
        self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REPLYDESK_KNOWLEDGE_DIR", str(tmp_path / "kb"))
        export = tmp_path / "faq.csv"
        export.write_text("id,question,answer,language\nnew-en,Q?,A.,en\n", encoding="utf-8")

        result = _import(runner, export)

        assert result.exit_code == 0, result.output
        assert (tmp_path / "kb" / "faq" / "new-en.md").is_file()

    def test_cp1252_semicolon_csv_is_summarised_with_its_encoding_and_separator(
        self, runner: CliRunner, knowledge: Path, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.csv"
        export.write_bytes(
            "id;question;answer;language\r\n"
            "rueckgabe-de;Wie läuft die Rückgabe?;Kostenlos bis 30 €.;de\r\n"
            "groesse-de;Welche Größe?;M oder L.;de\r\n".encode("cp1252")
        )

        result = _import(runner, export, "--knowledge-dir", str(knowledge))

        assert result.exit_code == 0, result.output
        assert _lines(result) == [
            f"Imported faq.csv (Windows-1252, ';') into {knowledge / 'faq'}: 2 entries written."
        ]
        assert load_knowledge(knowledge).by_id()["groesse-de"].question == "Welche Größe?"

    def test_refused_and_skipped_rows_are_listed_and_exit_1(
        self, runner: CliRunner, knowledge: Path, tmp_path: Path
    ) -> None:
        existing = knowledge / "faq" / "returns-window-de.md"
        before = existing.read_bytes()
        export = tmp_path / "faq.csv"
        export.write_text(
            "id,question,answer,language\n"
            "returns-window-de,Rückgabe?,Neu.,de\n"
            "gift-wrap-en,Do you gift wrap?,Yes.,en\n"
            "bad,No answer here,,en\n",
            encoding="utf-8",
        )

        result = _import(runner, export, "--knowledge-dir", str(knowledge))

        assert result.exit_code == 1
        assert _lines(result) == [
            "refused: faq.csv row 2: faq/returns-window-de.md exists: pass --update to merge",
            "error: faq.csv row 4: missing 'answer'",
            f"Imported faq.csv (UTF-8, ',') into {knowledge / 'faq'}: 1 entry written, "
            "1 refused (already exists: pass --update), 1 row skipped.",
        ]
        assert existing.read_bytes() == before

    def test_update_reports_updated_and_unchanged(
        self, runner: CliRunner, knowledge: Path, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.tsv"
        export.write_text(
            "id\tanswer\n"
            "returns-window-de\tDu hast jetzt 60 Tage Zeit.\n"
            "returns-window-en\tNew answer.\n"
            "app-login-de\tNeue Antwort.\n",
            encoding="utf-8",
        )
        _import(runner, export, "--knowledge-dir", str(knowledge), "--update")
        export.write_text(
            "id\tanswer\n"
            "returns-window-de\tDu hast jetzt 60 Tage Zeit.\n"
            "returns-window-en\tNewer answer.\n"
            "app-login-de\tNeue Antwort.\n",
            encoding="utf-8",
        )

        result = _import(runner, export, "--knowledge-dir", str(knowledge), "--update")

        assert result.exit_code == 0, result.output
        assert _lines(result)[-1].endswith(": 0 entries written, 1 updated, 2 unchanged.")
        entry = load_knowledge(knowledge).by_id()["returns-window-de"]
        assert entry.answer == "Du hast jetzt 60 Tage Zeit."
        assert entry.translation_of == "returns-window-en"

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("missing.csv", None, "missing.csv: file not found"),
            ("faq.xlsx", b"PK\x03\x04", "expected a .csv, .tsv or .jsonl file"),
            ("faq.csv", b"", "faq.csv: the file is empty"),
            ("faq.csv", b"id;question\nx;y\n", "missing columns 'answer', 'language'"),
        ],
    )
    def test_a_file_that_cannot_be_read_is_one_error_line_and_exit_2(
        self,
        runner: CliRunner,
        knowledge: Path,
        tmp_path: Path,
        name: str,
        content: bytes | None,
        message: str,
    ) -> None:
        export = tmp_path / name
        if content is not None:
            export.write_bytes(content)

        result = _import(runner, export, "--knowledge-dir", str(knowledge))

        assert result.exit_code == 2
        [line] = _lines(result)
        assert line.startswith("error: ") and message in line
        assert "Traceback" not in result.output

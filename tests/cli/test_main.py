"""The stable command-line contract: index, retrieve --jsonl, draft --jsonl, knowledge import, demo."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("REPLYDESK_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


class TestCommandLine:
    def test_index_reports_broken_files_by_name_and_exits_nonzero(self, runner: CliRunner) -> None:
        result = runner.invoke(app, ["index", "--knowledge-dir", str(FIXTURES / "broken")])

        assert result.exit_code == 1
        assert "bad-yaml.md" in result.output
        assert "french.md" in result.output
        assert "4 files skipped" in result.output
        assert "Indexed 2 entries" in result.output

    def test_index_of_good_knowledge_succeeds(self, runner: CliRunner) -> None:
        result = runner.invoke(app, ["index", "--knowledge-dir", str(FIXTURES / "knowledge")])

        assert result.exit_code == 0, result.output
        assert "6 added" in result.output

    def test_retrieve_writes_ranked_results_and_an_error_object_for_bad_lines(
        self, runner: CliRunner
    ) -> None:
        stdin = "\n".join(
            [
                json.dumps({"id": "q1", "text": "Liefert ihr in die Schweiz?"}),
                "this is not json",
                json.dumps({"id": "q2"}),
                json.dumps({"id": 3, "text": "App login not working"}),
            ]
        )

        result = runner.invoke(
            app,
            ["retrieve", "--jsonl", "--k", "2", "--knowledge-dir", str(FIXTURES / "knowledge")],
            input=stdin,
        )

        assert result.exit_code == 0, result.output
        lines = _lines(result.stdout)
        assert lines[0]["id"] == "q1"
        results = lines[0]["results"]
        assert isinstance(results, list) and len(results) == 2
        assert results[0]["entry_id"] == "shipping-abroad-en"
        assert results[0]["score"] >= results[1]["score"]
        assert lines[1]["id"] is None and "not valid JSON" in str(lines[1]["error"])
        assert lines[2]["id"] == "q2" and "text" in str(lines[2]["error"])
        assert lines[3]["id"] == 3

    def test_draft_writes_the_stable_fields_and_survives_bad_lines(self, runner: CliRunner) -> None:
        stdin = "\n".join(
            [
                json.dumps(
                    {
                        "id": "e1",
                        "channel": "instagram",
                        "author_name": "Anna",
                        "text": "Wie lange habe ich Zeit für eine Rücksendung?",
                    }
                ),
                json.dumps({"id": "e2", "channel": "myspace", "author_name": None, "text": "hi"}),
                json.dumps(
                    {
                        "id": "e3",
                        "channel": "x",
                        "author_name": None,
                        "text": "Buy cheap followers now!!!",
                    }
                ),
            ]
        )

        result = runner.invoke(
            app, ["draft", "--jsonl", "--knowledge-dir", str(FIXTURES / "knowledge")], input=stdin
        )

        assert result.exit_code == 0, result.output
        first, bad, spam = _lines(result.stdout)
        assert list(first) == [
            "id",
            "language",
            "reply",
            "citations",
            "guideline_clauses",
            "confidence",
            "action",
            "flags",
        ]
        assert first["language"] == "de" and first["action"] == "review"
        assert first["citations"] == ["returns-window-de"]
        assert str(first["reply"]).startswith("Hallo Anna,")
        assert bad["id"] == "e2" and "channel" in str(bad["error"])
        assert spam["action"] == "ignore"

    def test_draft_jsonl_reports_flags(self, runner: CliRunner) -> None:
        stdin = "\n".join(
            json.dumps({"id": i, "channel": "x", "author_name": None, "text": text})
            for i, text in enumerate(
                ["Buy cheap followers now!!!", "Liefert ihr in die Schweiz?"], start=1
            )
        )

        result = runner.invoke(
            app, ["draft", "--jsonl", "--knowledge-dir", str(FIXTURES / "knowledge")], input=stdin
        )

        assert result.exit_code == 0, result.output
        spam, question = _lines(result.stdout)
        assert isinstance(spam["flags"], list) and isinstance(question["flags"], list)
        assert spam["action"] == "ignore" and "spam" in spam["flags"]
        assert all(isinstance(flag, str) for flag in question["flags"])

    def test_without_jsonl_the_command_explains_itself(self, runner: CliRunner) -> None:
        result = runner.invoke(app, ["draft"])

        assert result.exit_code == 2
        assert "--jsonl" in result.output

    def test_knowledge_import_converts_csv_and_reports_bad_rows(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        export = tmp_path / "export.csv"
        export.write_text(
            "id,question,answer,language,tags\n"
            'gift-wrap-de,Verpackt ihr Geschenke?,"Ja, für 3 € pro Paket.",de,"orders, gifts"\n'
            'gift-wrap-en,Do you gift wrap?,"Yes, for 3 € per parcel.",en,orders\n'
            "bad,No answer here,,en,\n"
            "../evil,Path?,x,en,\n",
            encoding="utf-8",
        )
        knowledge = tmp_path / "kb"
        shutil.copytree(FIXTURES / "knowledge", knowledge)

        result = runner.invoke(
            app, ["knowledge", "import", str(export), "--knowledge-dir", str(knowledge)]
        )

        assert result.exit_code == 1
        assert "2 entries written" in result.output
        assert "row 4: missing 'answer'" in result.output
        assert "row 5" in result.output
        assert (knowledge / "faq" / "gift-wrap-de.md").is_file()
        indexed = runner.invoke(app, ["index", "--knowledge-dir", str(knowledge)])
        assert indexed.exit_code == 0, indexed.output
        assert "8 added" in indexed.output

    def test_knowledge_import_reads_jsonl(self, runner: CliRunner, tmp_path: Path) -> None:
        export = tmp_path / "export.jsonl"
        export.write_text(
            json.dumps(
                {"id": "a-en", "question": "Q?", "answer": "A.", "language": "en", "tags": ["x"]}
            )
            + "\n{broken\n",
            encoding="utf-8",
        )

        result = runner.invoke(
            app, ["knowledge", "import", str(export), "--knowledge-dir", str(tmp_path / "kb")]
        )

        assert result.exit_code == 1
        text = (tmp_path / "kb" / "faq" / "a-en.md").read_text(encoding="utf-8")
        assert "id: a-en" in text and "tags:\n- x" in text
        assert "row 2: not valid JSON" in result.output

    def test_demo_drafts_every_sample_enquiry_and_judges_it_against_its_expect(
        self, runner: CliRunner
    ) -> None:
        result = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})

        assert result.exit_code == 0, result.output
        assert "40 drafts" in result.output or "drafts, median" in result.output
        summary = result.output[result.output.index("Summary") :]
        for outcome in (
            "answered-right",
            "answered-wrong",
            "escalated-but-answerable",
            "out-of-scope-answered",
        ):
            assert outcome in summary
        assert "Against expect (40 lines)" in summary
        assert re.search(r"\b\d+/40 match their expect\.", summary)


class TestOperatorOptions:
    def test_version_prints_the_installed_version(self, runner: CliRunner) -> None:
        result = runner.invoke(app, ["--version"])

        assert result.exit_code == 0
        assert re.fullmatch(r"replydesk \d+\.\d+\.\d+\S*\n", result.output)

    def test_serve_takes_host_port_and_role_on_the_command_line(self, runner: CliRunner) -> None:
        result = runner.invoke(app, ["serve", "--help"])

        assert result.exit_code == 0
        assert all(option in result.output for option in ("--host", "--port", "--role"))

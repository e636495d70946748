"""The index report: skipped files as errors, then warnings that skipped nothing."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot.cli.console import print_index_report
from bot.faq.files import load_knowledge
from bot.faq.indexing import IndexReport

FIXTURES = Path(__file__).parents[1] / "fixtures"
NOTHING_INDEXED = IndexReport(
    added=0, updated=0, removed=0, unchanged=0, texts_embedded=0, seconds=0.0
)


def _report_lines(folder: Path) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    print_index_report(load_knowledge(folder), NOTHING_INDEXED, console)
    return out.getvalue().splitlines()


class TestIndexReport:
    def test_index_warns_about_empty_folder(self, tmp_path: Path) -> None:
        lines = _report_lines(tmp_path)

        assert lines[0].startswith("Indexed 0 entries and 0 guideline clauses")
        assert lines[1].startswith(f"warning: {tmp_path / 'faq'}: no faq/ folder")
        assert lines[1].endswith("is REPLYDESK_KNOWLEDGE_DIR (or --knowledge-dir) right?")
        assert len(lines) == 2

    def test_dangling_translation_is_a_warning_not_a_skipped_file(self, tmp_path: Path) -> None:
        faq = tmp_path / "faq"
        faq.mkdir()
        (faq / "lonely-de.md").write_text(
            "---\nid: lonely-de\nquestion: Frage?\nlanguage: de\ntranslation_of: lonely-en\n"
            "---\nAntwort.\n",
            encoding="utf-8",
        )

        lines = _report_lines(tmp_path)

        assert lines[1:] == [
            f"warning: {faq / 'lonely-de.md'}: translation_of 'lonely-en' names no entry"
        ]

    def test_duplicate_id_names_both_files_on_one_line(self) -> None:
        lines = _report_lines(FIXTURES / "broken")

        [duplicate] = [line for line in lines if "duplicate id" in line]
        assert "copy-of-returns.md" in duplicate
        assert "returns-window-en.md" in duplicate
        assert lines[-1] == "4 files skipped; everything else was indexed."

"""Bulk FAQ import: what a knowledge editor's export becomes, and what it may not overwrite."""

from __future__ import annotations

import codecs
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.faq.files import load_knowledge
from bot.faq.importing import Outcome, import_faq
from bot.models import Language

HEADER = "id,question,answer,language"


def _write_entry(knowledge: Path, text: str) -> Path:
    folder = knowledge / "faq"
    folder.mkdir(parents=True, exist_ok=True)
    entry_id = text.split("id: ", 1)[1].split("\n", 1)[0]
    path = folder / f"{entry_id}.md"
    path.write_text(text, encoding="utf-8")
    return path


RETURNS_DE = """---
id: returns-de
question: Wie lange habe ich Zeit für eine Rückgabe?
language: de
alternate_questions:
  - Rückgabefrist
  - Kann ich nach drei Wochen noch zurückgeben?
tags: [returns]
translation_of: returns-en
valid_until: 2027-01-31
owner: team-returns
---
Du hast 30 Tage Zeit.
"""


class TestImportFaq:
    def test_import_refuses_to_overwrite_existing_entries(self, tmp_path: Path) -> None:
        knowledge = tmp_path / "kb"
        existing = _write_entry(knowledge, RETURNS_DE)
        before = existing.read_bytes()
        export = tmp_path / "faq.csv"
        export.write_text(
            f"{HEADER}\n"
            "returns-de,Wie lange habe ich Zeit für eine Rückgabe?,Du hast 14 Tage Zeit.,de\n"
            "gift-wrap-en,Do you gift wrap?,Yes.,en\n",
            encoding="utf-8",
        )

        report = import_faq(export, knowledge)

        assert existing.read_bytes() == before
        refused = report.problems[0]
        assert (refused.row, refused.outcome, refused.file) == (
            2,
            Outcome.REFUSED,
            "faq/returns-de.md",
        )
        assert report.ids(Outcome.WRITTEN) == ["gift-wrap-en"]

    def test_update_merges_and_keeps_fields_the_file_does_not_carry(self, tmp_path: Path) -> None:
        knowledge = tmp_path / "kb"
        _write_entry(knowledge, RETURNS_DE)
        export = tmp_path / "faq.csv"
        export.write_text(
            "id,question,answer,language,tags\n"
            "returns-de,,Du hast 14 Tage Zeit.,de,returns;refunds\n",
            encoding="utf-8",
        )

        report = import_faq(export, knowledge, update=True)

        assert report.ids(Outcome.UPDATED) == ["returns-de"]
        entry = load_knowledge(knowledge).by_id()["returns-de"]
        assert entry.answer == "Du hast 14 Tage Zeit."
        assert entry.tags == ("returns", "refunds")
        assert entry.question == "Wie lange habe ich Zeit für eine Rückgabe?"
        assert entry.alternate_questions == (
            "Rückgabefrist",
            "Kann ich nach drei Wochen noch zurückgeben?",
        )
        assert entry.translation_of == "returns-en"
        assert entry.valid_until == dt.date(2027, 1, 31)
        assert "owner: team-returns" in Path(entry.source_path).read_text(encoding="utf-8")

    def test_update_keeps_the_answer_when_the_row_has_none(self, tmp_path: Path) -> None:
        knowledge = tmp_path / "kb"
        _write_entry(knowledge, RETURNS_DE)
        export = tmp_path / "dates.csv"
        export.write_text("id;valid_until\nreturns-de;2028-06-30\n", encoding="utf-8")

        report = import_faq(export, knowledge, update=True)

        assert report.count(Outcome.UPDATED) == 1
        entry = load_knowledge(knowledge).by_id()["returns-de"]
        assert entry.valid_until == dt.date(2028, 6, 30)
        assert entry.answer == "Du hast 30 Tage Zeit."

    def test_update_rewrites_only_entries_that_change(self, tmp_path: Path) -> None:
        knowledge = tmp_path / "kb"
        same = _write_entry(knowledge, RETURNS_DE)
        other = _write_entry(knowledge, RETURNS_DE.replace("returns-de", "returns-at"))
        before = same.read_bytes()
        export = tmp_path / "faq.csv"
        export.write_text(
            f"{HEADER}\n"
            "returns-de,,Du hast 30 Tage Zeit.,de\n"
            "returns-at,,Du hast 14 Tage Zeit.,de\n",
            encoding="utf-8",
        )

        report = import_faq(export, knowledge, update=True)

        assert (report.count(Outcome.UPDATED), report.count(Outcome.UNCHANGED)) == (1, 1)
        assert same.read_bytes() == before
        assert "14 Tage" in other.read_text(encoding="utf-8")

    def test_importing_the_same_rows_again_changes_nothing_and_refuses_nothing(
        self, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.csv"
        export.write_text(f"{HEADER},tags\na-en,Q?,A.,en,x\n", encoding="utf-8")
        import_faq(export, tmp_path / "kb")

        again = import_faq(export, tmp_path / "kb")

        assert [r.outcome for r in again.results] == [Outcome.UNCHANGED]
        assert again.problems == ()

    def test_cp1252_semicolon_csv_imports(self, tmp_path: Path) -> None:
        export = tmp_path / "faq.csv"
        export.write_bytes(
            (
                "id;question;answer;language\r\n"
                "rueckgabe-de;Wie läuft die Rückgabe?;Kostenlos, bis 30 €, jede Größe.;de\r\n"
            ).encode("cp1252")
        )

        report = import_faq(export, tmp_path / "kb")

        assert (report.encoding, report.separator) == ("Windows-1252", ";")
        entry = load_knowledge(tmp_path / "kb").by_id()["rueckgabe-de"]
        assert entry.question == "Wie läuft die Rückgabe?"
        assert entry.answer == "Kostenlos, bis 30 €, jede Größe."

    def test_utf8_bom_tab_separated_imports(self, tmp_path: Path) -> None:
        export = tmp_path / "faq.csv"
        export.write_bytes(
            codecs.BOM_UTF8
            + "id\tquestion\tanswer\tlanguage\nsize-de\tWelche Größe?\tM, L; XL.\tde\n".encode()
        )

        report = import_faq(export, tmp_path / "kb")

        assert (report.encoding, report.separator) == ("UTF-8 with BOM", "\t")
        assert load_knowledge(tmp_path / "kb").by_id()["size-de"].answer == "M, L; XL."

    def test_excel_unicode_text_in_utf16_imports(self, tmp_path: Path) -> None:
        export = tmp_path / "faq.tsv"
        export.write_bytes(
            "id\tquestion\tanswer\tlanguage\r\nfee-de\tKostet es?\t5 €\tde\r\n".encode("utf-16")
        )

        report = import_faq(export, tmp_path / "kb")

        assert (report.encoding, report.separator) == ("UTF-16", "\t")
        assert load_knowledge(tmp_path / "kb").by_id()["fee-de"].answer == "5 €"

    def test_semicolons_are_found_though_answers_hold_commas(self, tmp_path: Path) -> None:
        rows = "".join(
            f"e{n}-de;Frage {n}, bitte?;Ja, gern, sofort, heute, morgen.;de\n" for n in range(5)
        )
        export = tmp_path / "faq.csv"
        export.write_text(f"id;question;answer;language\n{rows}", encoding="utf-8")

        report = import_faq(export, tmp_path / "kb")

        assert report.separator == ";"
        assert report.count(Outcome.WRITTEN) == 5

    def test_import_carries_alternate_questions_translation_and_valid_until(
        self, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.csv"
        export.write_text(
            f"{HEADER},alternate_questions,translation_of,valid_until,tags\n"
            'xmas-de,Kommt es vor Weihnachten?,Bis 18.12. bestellt.,de,"Weihnachten?|'
            'Lieferung Heiligabend\nVor dem Fest?",xmas-en,2026-12-24,"seasonal, delivery"\n'
            "xmas-en,Before Christmas?,Order by 18 Dec.,en,,xmas-de,,\n",
            encoding="utf-8",
        )

        report = import_faq(export, tmp_path / "kb")

        assert report.problems == ()
        knowledge = load_knowledge(tmp_path / "kb")
        assert knowledge.errors == () and knowledge.warnings == ()
        entry = knowledge.by_id()["xmas-de"]
        assert entry.language is Language.DE
        assert entry.alternate_questions == (
            "Weihnachten?",
            "Lieferung Heiligabend",
            "Vor dem Fest?",
        )
        assert entry.translation_of == "xmas-en"
        assert entry.valid_until == dt.date(2026, 12, 24)
        assert entry.tags == ("seasonal", "delivery")
        assert knowledge.by_id()["xmas-en"].valid_until is None

    def test_json_lines_carry_lists_as_lists(self, tmp_path: Path) -> None:
        export = tmp_path / "faq.jsonl"
        row = {
            "id": "a-en",
            "question": "Q?",
            "answer": "A.",
            "language": "en",
            "alternate_questions": ["Q, really?", "Q | other"],
            "tags": ["x"],
        }
        export.write_text(json.dumps(row) + "\n\n[1]\n", encoding="utf-8")

        report = import_faq(export, tmp_path / "kb")

        assert (report.encoding, report.separator) == ("UTF-8", None)
        entry = load_knowledge(tmp_path / "kb").by_id()["a-en"]
        assert entry.alternate_questions == ("Q, really?", "Q | other")
        assert [(r.row, r.problem) for r in report.problems] == [(3, "not a JSON object")]

    def test_each_bad_row_is_reported_with_its_number_and_the_rest_is_written(
        self, tmp_path: Path
    ) -> None:
        export = tmp_path / "faq.csv"
        export.write_text(
            f"{HEADER},valid_until\n"
            "ok-en,Q?,A.,en,2026-01-31\n"
            "date-en,Q?,A.,en,31.12.2026\n"
            "no-answer-en,Q?,,en,\n"
            "../evil,Q?,A.,en,\n"
            "fr-en,Q?,A.,fr,\n"
            "ok-en,Q?,A.,en,\n"
            "comma-en,Q?,Yes, we do.,en,\n",
            encoding="utf-8",
        )

        report = import_faq(export, tmp_path / "kb")

        problems = {r.row: r.problem or "" for r in report.problems}
        assert "is not a date: write YYYY-MM-DD, e.g. 2026-12-31" in problems[3]
        assert problems[4] == "missing 'answer'"
        assert "may only hold letters" in problems[5]
        assert "unknown language 'fr'" in problems[6]
        assert problems[7] == "id 'ok-en' is already on row 2"
        assert "6 cells but the header has 5 columns" in problems[8]
        assert report.ids(Outcome.WRITTEN) == ["ok-en"]
        assert sorted(p.name for p in (tmp_path / "kb" / "faq").iterdir()) == ["ok-en.md"]

    def test_an_entry_the_loader_would_reject_is_not_written(self, tmp_path: Path) -> None:
        knowledge = tmp_path / "kb"
        existing = _write_entry(
            knowledge, RETURNS_DE.replace("owner: team-returns", "answer_sie: Sie haben 30 Tage.")
        )
        before = existing.read_bytes()
        export = tmp_path / "faq.csv"
        export.write_text("id,language\nreturns-de,en\n", encoding="utf-8")

        report = import_faq(export, knowledge, update=True)

        assert "only German entries have registers" in (report.problems[0].problem or "")
        assert existing.read_bytes() == before
        assert [p.name for p in existing.parent.iterdir()] == ["returns-de.md"]

    def test_an_entry_is_found_by_its_id_whatever_its_file_is_called(self, tmp_path: Path) -> None:
        knowledge = tmp_path / "kb"
        (knowledge / "faq").mkdir(parents=True)
        (knowledge / "faq" / "old-name.md").write_text(RETURNS_DE, encoding="utf-8")
        export = tmp_path / "faq.csv"
        export.write_text(f"{HEADER}\nreturns-de,,Neu.,de\n", encoding="utf-8")

        report = import_faq(export, knowledge, update=True)

        assert report.results[0].file == "faq/old-name.md"
        assert sorted(p.name for p in (knowledge / "faq").iterdir()) == ["old-name.md"]
        assert load_knowledge(knowledge).by_id()["returns-de"].answer == "Neu."

    def test_columns_the_format_has_no_place_for_are_listed(self, tmp_path: Path) -> None:
        export = tmp_path / "faq.csv"
        export.write_text(
            f"{HEADER},Category,Alternate Questions\na,Q?,A.,en,x,Q2\n", encoding="utf-8"
        )

        report = import_faq(export, tmp_path / "kb")

        assert report.ignored_columns == ("category",)
        assert load_knowledge(tmp_path / "kb").entries[0].alternate_questions == ("Q2",)


class TestUnreadableExports:
    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("missing.csv", None, "file not found"),
            ("faq.xlsx", b"PK\x03\x04", "expected a .csv, .tsv or .jsonl file: save the sheet"),
            ("faq.csv", b"", "the file is empty"),
            ("faq.csv", b"\xef\xbb\xbf\r\n", "the file is empty"),
            ("faq.csv", b"id,question,answer,language\n", "no rows below the header"),
            ("faq.csv", b"id;frage;antwort;language\nx;y;z;de\n", "missing columns 'question'"),
            ("faq.csv", b"id,question,answer\n", "missing column 'language'"),
            ("faq.csv", b"id,question\x00", "not a text file"),
        ],
    )
    def test_a_file_that_cannot_be_read_raises_one_input_error(
        self, tmp_path: Path, name: str, content: bytes | None, message: str
    ) -> None:
        export = tmp_path / name
        if content is not None:
            export.write_bytes(content)

        with pytest.raises(InputError, match=message):
            import_faq(export, tmp_path / "kb")

        assert not (tmp_path / "kb" / "faq").exists()

"""German FAQ files may give their answer per register: body plus `answer_sie`/`answer_du`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.faq.files import load_knowledge, parse_faq_file
from bot.models import FaqEntry, Language, Register

DU_BODY = "Du kannst jeden Artikel innerhalb von 30 Tagen zurückschicken."
SIE_TEXT = "Sie können jeden Artikel innerhalb von 30 Tagen zurückschicken."


def write_entry(folder: Path, front_matter: str, body: str = DU_BODY, name: str = "e.md") -> Path:
    path = folder / name
    path.write_text(
        f"---\nid: returns-window-de\nquestion: Wie lange?\nlanguage: de\n{front_matter}---\n"
        f"{body}\n",
        encoding="utf-8",
    )
    return path


class TestRegisterAnswers:
    def test_a_du_body_with_answer_sie_answers_in_both_registers(self, tmp_path: Path) -> None:
        entry = parse_faq_file(write_entry(tmp_path, f"answer_sie: {SIE_TEXT}\n"))

        assert entry.register is Register.DU
        assert entry.answer_in(Register.DU) == DU_BODY
        assert entry.answer_in(Register.SIE) == SIE_TEXT

    def test_a_sie_body_with_answer_du_answers_in_both_registers(self, tmp_path: Path) -> None:
        path = write_entry(tmp_path, f"register: sie\nanswer_du: |\n  {DU_BODY}\n", SIE_TEXT)
        entry = parse_faq_file(path)

        assert entry.answer == SIE_TEXT
        assert entry.answer_in(Register.SIE) == SIE_TEXT
        assert entry.answer_in(Register.DU) == DU_BODY

    def test_a_plain_german_file_is_du_and_has_no_sie_answer(self, tmp_path: Path) -> None:
        entry = parse_faq_file(write_entry(tmp_path, ""))

        assert entry.register is Register.DU
        assert entry.register_answers == ()
        assert entry.answer_in(Register.DU) == DU_BODY
        assert entry.answer_in(Register.SIE) is None

    def test_an_english_answer_serves_both_registers(self) -> None:
        entry = FaqEntry("returns-window-en", "How long?", "Within 30 days.", Language.EN)

        assert entry.answer_in(Register.DU) == entry.answer_in(Register.SIE) == "Within 30 days."

    def test_an_entry_built_the_old_way_is_a_hashable_du_entry(self) -> None:
        entry = FaqEntry("returns-window-de", "Wie lange?", DU_BODY, Language.DE)

        assert hash(entry) == hash(
            FaqEntry("returns-window-de", "Wie lange?", DU_BODY, Language.DE)
        )
        assert entry.answer_in(Register.DU) == DU_BODY
        assert entry.answer_in(Register.SIE) is None

    def test_the_sie_answer_is_part_of_the_content_hash(self, tmp_path: Path) -> None:
        plain = parse_faq_file(write_entry(tmp_path, "", name="plain.md"))
        explicit_du = parse_faq_file(write_entry(tmp_path, "register: du\n", name="du.md"))
        with_sie = parse_faq_file(write_entry(tmp_path, f"answer_sie: {SIE_TEXT}\n", name="a.md"))
        edited = parse_faq_file(write_entry(tmp_path, "answer_sie: Sie können.\n", name="b.md"))

        # Files without the new keys keep the hash they had, so nothing is re-indexed.
        assert explicit_du.content_hash == plain.content_hash
        assert len({plain.content_hash, with_sie.content_hash, edited.content_hash}) == 3

    @pytest.mark.parametrize(
        ("front_matter", "problem"),
        [
            ("register: ihr\n", "unknown register 'ihr' (expected 'du' or 'sie')"),
            (f"answer_du: {DU_BODY}\n", "'answer_du' repeats the body's register (du)"),
            ("answer_sie: ''\n", "'answer_sie' must be a non-empty text"),
            ("answer_sie:\n", "'answer_sie' must be a non-empty text"),
            ("answer_sie: [a, b]\n", "'answer_sie' must be a non-empty text"),
        ],
    )
    def test_a_bad_register_key_is_named_in_the_error(
        self, tmp_path: Path, front_matter: str, problem: str
    ) -> None:
        with pytest.raises(KnowledgeError) as caught:
            parse_faq_file(write_entry(tmp_path, front_matter))

        assert problem in caught.value.problem

    def test_an_english_file_with_a_register_key_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "en.md"
        path.write_text(
            "---\nid: a-en\nquestion: How long?\nlanguage: en\nanswer_sie: Sie.\n---\nDays.\n",
            encoding="utf-8",
        )

        with pytest.raises(KnowledgeError, match="only German entries have registers"):
            parse_faq_file(path)

    def test_a_broken_register_key_spoils_only_its_own_file(self, tmp_path: Path) -> None:
        faq = tmp_path / "faq"
        faq.mkdir()
        write_entry(faq, "register: förmlich\n", name="broken.md")
        (faq / "good.md").write_text(
            "---\nid: good-de\nquestion: Frage?\nlanguage: de\n---\nAntwort.\n", encoding="utf-8"
        )

        knowledge = load_knowledge(tmp_path)

        assert [entry.id for entry in knowledge.entries] == ["good-de"]
        assert [Path(error.path).name for error in knowledge.errors] == ["broken.md"]

"""Standard replies: approved texts in replies/, read, checked and looked up per form."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bot.cli.console import print_index_report
from bot.errors import KnowledgeError
from bot.faq.files import load_knowledge
from bot.faq.indexing import IndexReport
from bot.faq.replies import (
    ReplyKind,
    by_citation,
    cited_reply_id,
    load_replies,
    parse_reply_file,
    pick,
)
from bot.models import Language, Register
from bot.resources import SAMPLE_KNOWLEDGE_DIR

FIXTURE_KNOWLEDGE = Path(__file__).parents[1] / "fixtures" / "knowledge"
FORMS = [(Language.DE, Register.DU), (Language.DE, Register.SIE), (Language.EN, None)]
THANKS_DU = "---\nid: thanks-de-du\nkind: thanks\nlanguage: de\nregister: du\n---\nDanke dir!\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


class TestSampleReplies:
    @pytest.mark.parametrize("kind", list(ReplyKind))
    def test_every_kind_exists_in_du_sie_and_english(self, kind: ReplyKind) -> None:
        replies = load_knowledge(SAMPLE_KNOWLEDGE_DIR).replies

        forms = {(r.language, r.register) for r in replies if r.kind is kind}

        assert set(FORMS) <= forms

    def test_texts_carry_no_greeting_and_no_sign_off(self) -> None:
        knowledge = load_knowledge(SAMPLE_KNOWLEDGE_DIR)
        sign_offs = set(knowledge.guidelines.voice.sign_offs.values())

        for reply in knowledge.replies:
            assert not reply.text.startswith(("Hallo", "Hi ", "Hello", "Guten Tag")), reply.id
            assert not any(line in reply.text for line in sign_offs), reply.id

    def test_a_german_text_keeps_to_its_register(self) -> None:
        replies = load_knowledge(SAMPLE_KNOWLEDGE_DIR).replies

        for reply in replies:
            if reply.register is Register.SIE:
                assert " du " not in f" {reply.text.lower()} ", reply.id
            if reply.register is Register.DU:
                assert "Ihnen" not in reply.text and " Sie " not in reply.text, reply.id

    def test_every_holding_statement_links_the_status_page(self) -> None:
        replies = load_knowledge(SAMPLE_KNOWLEDGE_DIR).replies

        statements = [r for r in replies if r.kind is ReplyKind.HOLDING_STATEMENT]

        assert statements
        assert all("status.nordlicht-home.de" in r.text for r in statements)

    def test_reply_files_are_not_faq_entries(self) -> None:
        knowledge = load_knowledge(SAMPLE_KNOWLEDGE_DIR)

        assert knowledge.replies
        assert all("replies" not in Path(e.source_path).parts for e in knowledge.entries)
        assert not {r.id for r in knowledge.replies} & {e.id for e in knowledge.entries}

    def test_a_folder_without_replies_has_none_and_no_warning_about_them(self) -> None:
        knowledge = load_knowledge(FIXTURE_KNOWLEDGE)

        assert knowledge.replies == ()
        assert not [w for w in knowledge.warnings if "standard reply" in w.problem]


class TestBrokenReplyFiles:
    @pytest.mark.parametrize(
        ("front_matter", "named"),
        [
            ("kind: thanks\nlanguage: de\nregister: du\n", "'id'"),
            ("id: x\nlanguage: de\nregister: du\n", "'kind'"),
            ("id: x\nkind: hello\nlanguage: de\nregister: du\n", "kind 'hello'"),
            ("id: x\nkind: thanks\nlanguage: fr\n", "language 'fr'"),
            ("id: x\nkind: thanks\nlanguage: de\n", "'register'"),
            ("id: x\nkind: thanks\nlanguage: de\nregister: ihr\n", "register 'ihr'"),
            ("id: x\nkind: thanks\nlanguage: en\nregister: sie\n", "'register'"),
            ("id: [x\n", "not valid YAML"),
        ],
    )
    def test_a_broken_file_is_one_line_naming_the_file_and_the_field(
        self, tmp_path: Path, front_matter: str, named: str
    ) -> None:
        path = write(tmp_path, "broken.md", f"---\n{front_matter}---\nDanke!\n")

        with pytest.raises(KnowledgeError) as raised:
            parse_reply_file(path)

        assert raised.value.path == str(path)
        assert named in raised.value.problem
        assert "\n" not in str(raised.value)

    def test_an_empty_text_is_refused(self, tmp_path: Path) -> None:
        path = write(tmp_path, "empty.md", "---\nid: x\nkind: thanks\nlanguage: en\n---\n\n")

        with pytest.raises(KnowledgeError, match="text .* is empty"):
            parse_reply_file(path)

    def test_a_broken_file_is_skipped_and_the_rest_still_read(self, tmp_path: Path) -> None:
        folder = tmp_path / "replies"
        write(folder, "a-broken.md", "---\nid: broken\nkind: nope\nlanguage: en\n---\nHi.\n")
        write(folder, "thanks-de-du.md", THANKS_DU)
        errors: list[KnowledgeError] = []

        replies = load_replies(folder, errors)

        assert [r.id for r in replies] == ["thanks-de-du"]
        [error] = errors
        assert error.path.endswith("a-broken.md") and "unknown kind 'nope'" in error.problem

    def test_a_duplicate_id_names_both_files_and_keeps_the_first(self, tmp_path: Path) -> None:
        folder = tmp_path / "replies"
        write(folder, "a.md", THANKS_DU)
        write(folder, "b.md", THANKS_DU.replace("Danke dir!", "Danke!"))
        errors: list[KnowledgeError] = []

        [reply] = load_replies(folder, errors)

        assert reply.text == "Danke dir!"
        [error] = errors
        assert error.path.endswith("b.md") and "a.md" in error.problem

    def test_the_index_report_lists_a_broken_reply_file_like_a_broken_entry(
        self, tmp_path: Path
    ) -> None:
        broken = write(
            tmp_path / "replies", "x.md", "---\nid: x\nkind: thanks\nlanguage: de\n---\nHi\n"
        )
        out = io.StringIO()
        report = IndexReport(
            added=0, updated=0, removed=0, unchanged=0, texts_embedded=0, seconds=0.0
        )

        print_index_report(load_knowledge(tmp_path), report, Console(file=out, color_system=None))

        assert f"error {broken}: missing 'register' in the front matter" in out.getvalue()

    def test_a_kind_missing_in_one_form_is_a_warning(self, tmp_path: Path) -> None:
        write(tmp_path / "replies", "thanks-de-du.md", THANKS_DU)

        knowledge = load_knowledge(tmp_path)

        problems = sorted(w.problem for w in knowledge.warnings if "standard reply" in w.problem)
        assert problems == [
            "no 'thanks' standard reply in de/sie",
            "no 'thanks' standard reply in en",
        ]


class TestPick:
    def test_each_form_gets_its_own_text(self) -> None:
        replies = load_knowledge(SAMPLE_KNOWLEDGE_DIR).replies

        du = pick(replies, ReplyKind.THANKS, Language.DE, Register.DU)
        sie = pick(replies, ReplyKind.THANKS, Language.DE, Register.SIE)

        assert du is not None and du.register is Register.DU and "dir" in du.text
        assert sie is not None and sie.register is Register.SIE and "Ihre" in sie.text

    def test_english_has_one_text_for_both_registers(self) -> None:
        replies = load_knowledge(SAMPLE_KNOWLEDGE_DIR).replies

        informal = pick(replies, ReplyKind.PRIVATE_HANDOVER, Language.EN, Register.DU)
        formal = pick(replies, ReplyKind.PRIVATE_HANDOVER, Language.EN, Register.SIE)

        assert informal is not None and informal == formal

    def test_a_sie_reply_never_gets_a_du_text(self, tmp_path: Path) -> None:
        write(tmp_path, "thanks-de-du.md", THANKS_DU)

        replies = load_replies(tmp_path)

        assert pick(replies, ReplyKind.THANKS, Language.DE, Register.SIE) is None
        assert pick(replies, ReplyKind.LOOKING_INTO_IT, Language.DE, Register.DU) is None

    def test_a_reply_is_cited_as_reply_and_its_id(self) -> None:
        replies = load_knowledge(SAMPLE_KNOWLEDGE_DIR).replies
        thanks = pick(replies, ReplyKind.THANKS, Language.EN)
        assert thanks is not None

        assert thanks.citation == "reply:thanks-en"
        assert cited_reply_id(thanks.citation) == "thanks-en"
        assert cited_reply_id("returns-window-en") is None
        assert by_citation(replies)["reply:thanks-en"] == thanks
        assert thanks.label == thanks.title

    def test_an_edited_text_changes_the_content_hash(self, tmp_path: Path) -> None:
        path = write(tmp_path, "thanks-de-du.md", THANKS_DU)
        first = parse_reply_file(path).content_hash

        path.write_text(THANKS_DU.replace("Danke dir!", "Vielen Dank!"), encoding="utf-8")

        assert parse_reply_file(path).content_hash != first

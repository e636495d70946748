"""Reviewers' approvals become ranked proposals that editors accept into the knowledge."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import frontmatter
import pytest

from bot.errors import ConflictError
from bot.faq.files import load_knowledge
from bot.models import Decision, DecisionKind, Draft, DraftAction, FaqEntry, Language
from bot.services import Desk, Outcome, approve_draft, take_in
from bot.services.proposals import accept, dismiss, learn_from_decision, open_proposals
from bot.storage import PROPOSAL_LIFETIME, Database, EditAction, ProposalKind, ProposalStatus
from tests.services.harness import current_draft_id, telegram

FIXTURES = Path(__file__).parents[1] / "fixtures"
ENTRY = "returns-window-de"
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
ANSWER = (
    "Du kannst jeden Artikel innerhalb von 30 Tagen nach Erhalt zurückschicken. "
    "Das Rücksendeetikett bekommst du kostenlos im Rückgabeportal."
)


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(FIXTURES / "knowledge", folder)
    return folder


@pytest.fixture
def entries(knowledge: Path) -> dict[str, FaqEntry]:
    return load_knowledge(knowledge).by_id()


def _draft(enquiry_id: str, *, cites: bool = True, escalated: bool = False) -> Draft:
    return Draft(
        id=f"d-{enquiry_id}",
        enquiry_id=enquiry_id,
        text="Hallo! " + ANSWER if not escalated else "Wir kümmern uns darum.",
        language=Language.DE,
        action=DraftAction.ESCALATE if escalated else DraftAction.REVIEW,
        confidence=0.2 if escalated else 0.9,
        citations=(ENTRY,) if cites else (),
        flags=("no_matching_entry",) if escalated else (),
    )


def _decision(draft: Draft, final_text: str | None = None) -> Decision:
    kind = DecisionKind.APPROVED if final_text is None else DecisionKind.EDITED
    return Decision(f"x-{draft.id}", draft.id, kind, "U-rev", final_text or draft.text)


async def _learn(
    db: Database,
    entries: dict[str, FaqEntry],
    enquiry_id: str,
    enquiry_text: str,
    final_text: str | None = None,
    *,
    escalated: bool = False,
    now: dt.datetime = NOW,
) -> None:
    draft = _draft(enquiry_id, cites=not escalated, escalated=escalated)
    async with db.unit_of_work() as uow:
        await learn_from_decision(
            uow, draft, _decision(draft, final_text), enquiry_text, entries, now
        )
        await uow.commit()


async def _offered(db: Database, now: dt.datetime = NOW) -> list[tuple[ProposalKind, int]]:
    async with db.unit_of_work() as uow:
        return [(o.proposal.kind, o.proposal.rank) for o in await open_proposals(uow, now)]


class TestLearning:
    async def test_an_edit_that_changes_a_price_proposes_an_answer_update_with_a_diff(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        edited = "Hallo! " + ANSWER.replace("kostenlos", "für 4,95 €")
        await _learn(
            database,
            entries,
            "e1",
            "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?",
            edited,
        )

        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)

        assert offered.proposal.kind is ProposalKind.ANSWER_UPDATE
        assert offered.proposal.entry_id == ENTRY
        assert offered.proposal.proposed["answer"] == edited
        assert offered.proposal.enquiry_ids == ("e1",)
        assert "-" + ANSWER in offered.diff and "+" + edited in offered.diff

    async def test_a_style_only_edit_proposes_nothing(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        edited = "Hi! " + ANSWER.replace("jeden Artikel", "alle Artikel")
        await _learn(
            database,
            entries,
            "e1",
            "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?",
            edited,
        )

        assert await _offered(database) == []

    async def test_a_new_phrasing_is_proposed_once_and_ranked_up_by_a_second_enquiry(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        await _learn(database, entries, "e1", "Bis wann kann ich was zurückgeben?")
        await _learn(database, entries, "e2", "bis wann kann ich was zurückgeben")

        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)
        assert offered.proposal.kind is ProposalKind.ALTERNATE_QUESTION
        assert offered.proposal.proposed == {
            "alternate_question": "Bis wann kann ich was zurückgeben?"
        }
        assert offered.proposal.enquiry_ids == ("e1", "e2")

    async def test_a_known_question_or_a_long_message_proposes_no_phrasing(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        await _learn(database, entries, "e1", "Wie lange gilt das Rückgaberecht")
        await _learn(database, entries, "e2", "Hallo. Wie lange gilt eigentlich die Rückgabe?")
        await _learn(database, entries, "e3", "Rückgabe? " + "bitte " * 40)

        assert await _offered(database) == []

    async def test_two_escalated_questions_on_one_topic_become_one_new_entry(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        answer = "Studierende bekommen 10 % Rabatt mit dem Code STUDI10."
        await _learn(
            database, entries, "e1", "Gibt es Gutscheine für Studenten?", answer, escalated=True
        )
        await _learn(
            database,
            entries,
            "e2",
            "Habt ihr einen Gutschein für Studierende?",
            answer,
            escalated=True,
        )
        await _learn(
            database,
            entries,
            "e3",
            "Liefert ihr in die Schweiz?",
            "Ja, in 5 Tagen.",
            escalated=True,
        )

        async with database.unit_of_work() as uow:
            offered = [o.proposal for o in await open_proposals(uow, NOW)]

        assert [(p.kind, p.enquiry_ids) for p in offered] == [
            (ProposalKind.NEW_ENTRY, ("e1", "e2")),
            (ProposalKind.NEW_ENTRY, ("e3",)),
        ]
        assert offered[0].proposed == {
            "question": "Gibt es Gutscheine für Studenten?",
            "answer": answer,
            "language": "de",
        }

    async def test_an_escalation_approved_without_a_persons_answer_proposes_nothing(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        await _learn(database, entries, "e1", "Gibt es Gutscheine für Studenten?", escalated=True)

        assert await _offered(database) == []

    async def test_personal_data_is_never_proposed(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        await _learn(database, entries, "e1", "Rückgabe bis wann? anna@example.com")
        await _learn(
            database,
            entries,
            "e2",
            "Wie lange gilt das Rückgaberecht?",
            "Ruf mich an: 0171 2345678, du hast 31 Tage.",
        )
        await _learn(
            database,
            entries,
            "e3",
            "Meine IBAN ist DE89 3704 0044 0532 0130 00, bekomme ich Geld zurück?",
            "Das Geld kommt in 5 Tagen.",
            escalated=True,
        )

        assert await _offered(database) == []

    async def test_dismissed_and_four_week_old_proposals_are_not_listed(
        self, database: Database, entries: dict[str, FaqEntry]
    ) -> None:
        old = NOW - PROPOSAL_LIFETIME - dt.timedelta(hours=1)
        await _learn(database, entries, "e1", "Bis wann kann ich was zurückgeben?", now=old)
        await _learn(database, entries, "e2", "Rückgabe noch möglich nach einem Monat?")
        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)
            dismissed = await dismiss(uow, offered.proposal.id, "U-editor", NOW)
            await uow.commit()
        await _learn(database, entries, "e3", "Rückgabe noch möglich nach einem Monat?")

        assert dismissed.status is ProposalStatus.DISMISSED
        assert await _offered(database) == []


class TestAccepting:
    async def test_an_accepted_answer_update_changes_the_file_and_records_a_version(
        self, database: Database, entries: dict[str, FaqEntry], knowledge: Path
    ) -> None:
        edited = ANSWER.replace("30 Tagen", "14 Tagen")
        await _learn(
            database,
            entries,
            "e1",
            "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?",
            edited,
        )
        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)

        accepted, (version,) = await accept(
            database, knowledge, offered.proposal.id, "U-editor", clock=lambda: NOW
        )

        text = (knowledge / "faq" / f"{ENTRY}.md").read_text(encoding="utf-8")
        assert frontmatter.loads(text).content == edited
        assert (version.entry_id, version.action, version.edited_by) == (
            ENTRY,
            EditAction.EDIT,
            "U-editor",
        )
        assert (accepted.status, accepted.decided_by) == (ProposalStatus.ACCEPTED, "U-editor")
        assert await _offered(database) == []
        with pytest.raises(ConflictError):
            await accept(database, knowledge, offered.proposal.id, "U-b", clock=lambda: NOW)

    async def test_an_accepted_phrasing_becomes_an_alternate_question(
        self, database: Database, entries: dict[str, FaqEntry], knowledge: Path
    ) -> None:
        await _learn(database, entries, "e1", "Bis wann kann ich was zurückgeben?")
        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)

        await accept(database, knowledge, offered.proposal.id, "U-editor", clock=lambda: NOW)

        entry = load_knowledge(knowledge).by_id()[ENTRY]
        assert entry.alternate_questions[-1] == "Bis wann kann ich was zurückgeben?"
        assert len(entry.alternate_questions) == 3

    async def test_an_accepted_new_entry_writes_a_file(
        self, database: Database, entries: dict[str, FaqEntry], knowledge: Path
    ) -> None:
        answer = "Studierende bekommen 10 % Rabatt."
        await _learn(
            database, entries, "e1", "Gibt es Gutscheine für Studenten?", answer, escalated=True
        )
        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)

        _, (version,) = await accept(
            database, knowledge, offered.proposal.id, "U-editor", clock=lambda: NOW
        )

        entry = load_knowledge(knowledge).by_id()[version.entry_id]
        assert version.entry_id == "gibt-es-gutscheine-fur-studenten-de"
        assert (entry.question, entry.answer, entry.language) == (
            "Gibt es Gutscheine für Studenten?",
            answer,
            Language.DE,
        )

    async def test_an_answer_update_is_refused_when_the_entry_changed_meanwhile(
        self, database: Database, entries: dict[str, FaqEntry], knowledge: Path
    ) -> None:
        await _learn(
            database, entries, "e1", "Wie lange gilt das Rückgaberecht?", ANSWER.replace("30", "60")
        )
        path = knowledge / "faq" / f"{ENTRY}.md"
        path.write_text(path.read_text(encoding="utf-8").replace("30 Tagen", "45 Tagen"), "utf-8")
        async with database.unit_of_work() as uow:
            (offered,) = await open_proposals(uow, NOW)

        with pytest.raises(ConflictError, match="changed since"):
            await accept(database, knowledge, offered.proposal.id, "U-editor", clock=lambda: NOW)

        assert await _offered(database) == [(ProposalKind.ANSWER_UPDATE, 1)]


class TestApprovalLearns:
    async def test_an_edited_approval_records_an_answer_update_in_its_transaction(
        self, desk: Desk
    ) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)
        async with desk.db.unit_of_work() as uow:
            draft = await uow.drafts.get(draft_id)
        assert draft is not None and ENTRY in draft.citations

        result = await approve_draft(
            desk, draft_id, "U1", final_text=draft.text.replace("30", "14")
        )

        assert result.outcome is Outcome.DONE
        async with desk.db.unit_of_work() as uow:
            kinds = {o.proposal.kind for o in await open_proposals(uow, desk.clock())}
        assert ProposalKind.ANSWER_UPDATE in kinds

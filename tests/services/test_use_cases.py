"""The review loop's use cases on real SQLite and the real model, with a fake board."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

from bot.errors import TransientError
from bot.faq.files import load_knowledge
from bot.jobs.delivery import DeliveryWorker
from bot.jobs.workers import reconcile_once
from bot.models import (
    Channel,
    DecisionKind,
    DeliveryState,
    DraftAction,
    EnquiryKind,
    InboundMessage,
)
from bot.review import CardStatus, KnowledgeCatalog
from bot.services import (
    Desk,
    Outcome,
    approve_draft,
    escalate_conversation,
    receive_enquiry,
    regenerate_draft,
    reject_draft,
    take_in,
)
from tests.fakes.ports import RecordingSender
from tests.services.harness import Clock, board, current_draft_id, telegram

FIXTURES = Path(__file__).parents[1] / "fixtures"


class TestReceiving:
    async def test_an_enquiry_gets_a_draft_and_a_card_awaiting_review(self, desk: Desk) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))

        card = board(desk).latest()
        assert receipt.is_new
        assert card.status is CardStatus.AWAITING_REVIEW
        assert card.draft is not None and card.draft.citations == ("returns-window-de",)
        assert card.cited == (
            ("returns-window-de", "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"),
        )

    async def test_the_same_delivery_three_times_at_once_stores_one_enquiry(
        self, desk: Desk
    ) -> None:
        receipts = await asyncio.gather(
            *[take_in(desk, telegram(7, "Packstation möglich?")) for _ in range(3)]
        )

        assert sorted(r.is_new for r in receipts) == [False, False, True]
        assert len({r.enquiry.id for r in receipts}) == 1
        assert len(board(desk).cards) == 1

    async def test_a_burst_of_messages_gets_one_draft_answering_all(self, desk: Desk) -> None:
        first = await take_in(desk, telegram(1, "Hallo!"))
        await take_in(desk, telegram(2, "Wie lange kann ich etwas zurückschicken?"))
        third = await take_in(desk, telegram(3, "Und liefert ihr an eine Packstation?"))

        assert third.conversation_id == first.conversation_id
        card = board(desk).latest()
        assert len(card.messages) == 3
        assert card.draft is not None
        assert set(card.draft.citations) == {"returns-window-de", "packstation-de"}
        assert len(board(desk).cards) == 1
        assert any(
            "Replaced draft" in text for texts in board(desk).thread.values() for text in texts
        )

    async def test_a_sticker_becomes_an_enquiry_a_person_decides(self, desk: Desk) -> None:
        inbound = InboundMessage(
            Channel.TELEGRAM, "9", "[sticker 😀]", author_id="5", kind=EnquiryKind.STICKER
        )

        await take_in(desk, inbound)

        card = board(desk).latest()
        assert card.draft is not None
        assert card.draft.action is DraftAction.ESCALATE
        assert "non_text_message" in card.draft.flags


class TestDecisions:
    async def test_double_click_and_two_reviewers_record_one_decision_and_one_delivery(
        self, desk: Desk
    ) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)

        results = await asyncio.gather(
            approve_draft(desk, draft_id, "U1"),
            approve_draft(desk, draft_id, "U1"),
            approve_draft(desk, draft_id, "U2"),
        )

        assert sorted(r.outcome for r in results) == [
            Outcome.ALREADY_DECIDED,
            Outcome.ALREADY_DECIDED,
            Outcome.DONE,
        ]
        async with desk.db.unit_of_work() as uow:
            assert len(await uow.deliveries.list_by_state(DeliveryState.QUEUED)) == 1
        repeat = await approve_draft(desk, draft_id, "U2")
        assert repeat.outcome is Outcome.ALREADY_DECIDED
        assert repeat.decision is not None and repeat.decision.decided_by in {"U1", "U2"}

    async def test_an_edited_reply_keeps_the_original_draft(self, desk: Desk) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)

        result = await approve_draft(
            desk, draft_id, "U1", final_text="Hallo Anna, 30 Tage. Viele Grüße"
        )

        assert result.decision is not None and result.decision.kind is DecisionKind.EDITED
        async with desk.db.unit_of_work() as uow:
            draft = await uow.drafts.get(draft_id)
            delivery = await uow.deliveries.for_draft(draft_id)
        assert draft is not None and "30 Tagen" in draft.text
        assert delivery is not None and delivery.text == "Hallo Anna, 30 Tage. Viele Grüße"

    async def test_an_empty_or_overlong_edit_is_refused(self, desk: Desk) -> None:
        receipt = await take_in(
            desk,
            InboundMessage(
                Channel.X, "t1", "Kann ich an eine Packstation liefern lassen?", author_id="x1"
            ),
        )
        draft_id = await current_draft_id(desk, receipt.conversation_id)

        empty = await approve_draft(desk, draft_id, "U1", final_text="   ")
        long = await approve_draft(desk, draft_id, "U1", final_text="x" * 281)

        assert empty.outcome is Outcome.INVALID and long.outcome is Outcome.INVALID
        assert "281 characters" in long.problems[0]

    async def test_a_draft_citing_a_changed_entry_warns_before_sending(
        self, desk: Desk, tmp_path: Path, use_embedder: object
    ) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)
        changed = tmp_path / "kb"
        shutil.copytree(FIXTURES / "knowledge", changed)
        path = changed / "faq" / "returns-window-de.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace("30 Tagen", "14 Tagen"), encoding="utf-8"
        )
        desk.catalog = KnowledgeCatalog(load_knowledge(changed))

        warned = await approve_draft(desk, draft_id, "U1")
        sent_anyway = await approve_draft(desk, draft_id, "U1", send_anyway=True)

        assert warned.outcome is Outcome.STALE
        assert warned.problems == ("returns-window-de changed",)
        assert sent_anyway.outcome is Outcome.DONE

    async def test_reject_records_the_reason_and_sends_nothing(self, desk: Desk) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)

        result = await reject_draft(desk, draft_id, "U1", "wrong tone")
        after = await approve_draft(desk, draft_id, "U2")

        assert result.outcome is Outcome.DONE
        assert after.outcome is Outcome.ALREADY_DECIDED
        card = board(desk).latest()
        assert card.status is CardStatus.REJECTED
        assert card.decision is not None and card.decision.reason == "wrong tone"
        async with desk.db.unit_of_work() as uow:
            assert await uow.deliveries.for_draft(draft_id) is None

    async def test_regenerate_replaces_the_draft_and_the_old_one_cannot_be_approved(
        self, desk: Desk
    ) -> None:
        receipt = await take_in(
            desk, telegram(1, "Ich kann mich nicht in der App anmelden, was tun? Das nervt!")
        )
        old_id = await current_draft_id(desk, receipt.conversation_id)

        await regenerate_draft(desk, old_id, hint="kürzer")
        new_id = await current_draft_id(desk, receipt.conversation_id)
        stale_click = await approve_draft(desk, old_id, "U1")

        assert new_id != old_id
        assert stale_click.outcome is Outcome.OUTDATED
        new_card = board(desk).latest()
        assert new_card.draft is not None and new_card.draft.revision == 2
        assert "tut uns leid" not in new_card.draft.text

    async def test_escalation_sets_the_owner_and_mentions_them(self, desk: Desk) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)

        await escalate_conversation(desk, draft_id, "U1", "<@U_LEAD>")

        assert board(desk).latest().owner == "<@U_LEAD>"
        assert any("<@U_LEAD>" in t for texts in board(desk).thread.values() for t in texts)


class TestOutages:
    async def test_a_board_outage_loses_nothing_and_the_card_appears_later(
        self, desk: Desk
    ) -> None:
        board(desk).failures = [TransientError("slack 500")]

        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        assert board(desk).cards == {}
        clock = desk.clock
        assert isinstance(clock, Clock)
        clock.now += dt.timedelta(seconds=5)  # this card's backoff
        await reconcile_once(desk)

        card = board(desk).latest()
        assert card.conversation_id == receipt.conversation_id
        assert card.status is CardStatus.AWAITING_REVIEW


class TestFollowUps:
    async def test_a_draft_that_misses_the_latest_message_cannot_be_approved(
        self, desk: Desk
    ) -> None:
        clock = desk.clock
        assert isinstance(clock, Clock)
        first = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        old_id = await current_draft_id(desk, first.conversation_id)
        clock.now += dt.timedelta(seconds=5)
        # Stored but not drafted yet, as after a crash right after receiving.
        await receive_enquiry(desk, telegram(2, "Und an eine Packstation?"))
        result = await approve_draft(desk, old_id, "U1")

        assert result.outcome is Outcome.OUTDATED
        await reconcile_once(desk)
        redrafted = board(desk).latest().draft
        assert redrafted is not None
        assert set(redrafted.citations or ()) == {"returns-window-de", "packstation-de"}


class TestConversationWindow:
    async def _answered(self, desk: Desk) -> tuple[str, RecordingSender]:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        await approve_draft(desk, await current_draft_id(desk, receipt.conversation_id), "U1")
        sender = RecordingSender(Channel.TELEGRAM)
        await DeliveryWorker(desk, {Channel.TELEGRAM: sender}).run_until_idle()
        return receipt.conversation_id, sender

    async def test_a_quick_follow_up_after_a_reply_stays_on_the_card_with_a_draft_of_its_own(
        self, desk: Desk
    ) -> None:
        conversation_id, sender = await self._answered(desk)

        follow_up = await take_in(
            desk, telegram(2, "Und kann ich an eine Packstation liefern lassen?")
        )
        card = board(desk).latest()
        await approve_draft(desk, await current_draft_id(desk, conversation_id), "U1")
        await DeliveryWorker(desk, {Channel.TELEGRAM: sender}).run_until_idle()

        assert follow_up.conversation_id == conversation_id
        assert card.status is CardStatus.AWAITING_REVIEW
        assert card.draft is not None and card.draft.citations == ("packstation-de",)
        assert [d.text for d in sender.sent][1].count("Packstation") >= 1
        assert len(sender.sent) == 2

    async def test_a_message_long_after_a_reply_opens_a_new_conversation(self, desk: Desk) -> None:
        conversation_id, _ = await self._answered(desk)
        clock = desk.clock
        assert isinstance(clock, Clock)
        clock.now += dt.timedelta(minutes=5)

        later = await take_in(desk, telegram(3, "Kann ich an eine Packstation liefern lassen?"))

        assert later.conversation_id != conversation_id

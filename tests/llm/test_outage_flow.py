"""A language-model outage through the review loop: enquiries wait, cards say so, nothing lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.drafting.pipeline import DraftingContext
from bot.faq.opening import OpenedKnowledge
from bot.jobs.workers import reconcile_once
from bot.models import Channel, InboundMessage, LlmOutageMode
from bot.review import CardStatus, KnowledgeCatalog
from bot.services import Desk, take_in
from bot.settings import LlmProvider, Settings
from bot.storage import Database
from bot.wiring import build_drafter
from tests.fakes.ports import RecordingBoard
from tests.services.harness import Clock
from tests.stand_ins import OpenAIStandIn

RETURNS = "Wie lange habe ich Zeit für eine Rücksendung?"
LLM_REPLY = {
    "reply": "Hallo Anna, du kannst jeden Artikel innerhalb von 30 Tagen zurückschicken. Viele Grüße!",
    "language": "de",
    "cited_entry_ids": ["returns-window-de"],
    "guideline_clause_ids": ["§3"],
    "confidence": 0.9,
    "needs_escalation": False,
    "public_reply": None,
    "private_followup": None,
}


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as stand_in:
        yield stand_in


async def make_desk(
    tmp_path: Path, knowledge: OpenedKnowledge, url: str, mode: LlmOutageMode
) -> Desk:
    settings = Settings(
        _env_file=None,
        llm_provider=LlmProvider.OPENAI,
        openai_base_url=f"{url}/v1",
        openai_api_key="test-key",
        openai_model="stand-in",
        llm_timeout_seconds=2.0,
        llm_max_retries=0,
        llm_outage_mode=mode,
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}")
    await db.migrate()
    drafting = DraftingContext(
        knowledge.retriever, knowledge.knowledge.guidelines, build_drafter(settings)
    )
    return Desk(db, drafting, KnowledgeCatalog(knowledge.knowledge), RecordingBoard(), Clock())


@pytest.fixture
async def delaying_desk(
    tmp_path: Path, fixture_knowledge: OpenedKnowledge, llm_server: OpenAIStandIn
) -> AsyncIterator[Desk]:
    desk = await make_desk(tmp_path, fixture_knowledge, llm_server.url, LlmOutageMode.DELAY)
    yield desk
    await desk.db.dispose()


@pytest.fixture
async def fallback_desk(
    tmp_path: Path, fixture_knowledge: OpenedKnowledge, llm_server: OpenAIStandIn
) -> AsyncIterator[Desk]:
    desk = await make_desk(tmp_path, fixture_knowledge, llm_server.url, LlmOutageMode.OFFLINE_DRAFT)
    yield desk
    await desk.db.dispose()


def anna(update: int) -> InboundMessage:
    return InboundMessage(
        Channel.TELEGRAM,
        str(update),
        RETURNS,
        author_id="42",
        author_name="Anna",
        language_hint="de",
    )


def later(desk: Desk) -> None:
    """Move past the backoff before the model is asked again."""
    clock = desk.clock
    assert isinstance(clock, Clock)
    clock.now += dt.timedelta(seconds=10)


def board(desk: Desk) -> RecordingBoard:
    assert isinstance(desk.board, RecordingBoard)
    return desk.board


class TestModelOutage:
    async def test_while_the_model_is_down_the_card_says_drafting_delayed_and_the_draft_arrives_once_later(
        self, delaying_desk: Desk, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.fail("chat.completions", times=1, status=503)

        receipt = await take_in(delaying_desk, anna(1))
        waiting = board(delaying_desk).latest()
        llm_server.queue_reply(LLM_REPLY)
        later(delaying_desk)
        await reconcile_once(delaying_desk)
        await reconcile_once(delaying_desk)

        assert receipt.is_new
        assert waiting.status is CardStatus.DRAFTING_DELAYED
        assert waiting.draft is None
        card = board(delaying_desk).latest()
        assert card.status is CardStatus.AWAITING_REVIEW
        assert card.draft is not None and card.draft.drafter == "llm"
        assert card.draft.citations == ("returns-window-de",)
        async with delaying_desk.db.unit_of_work() as uow:
            assert len(await uow.drafts.history(receipt.enquiry.id)) == 1

    async def test_with_offline_drafts_configured_a_labelled_offline_draft_is_replaced_by_the_model_draft(
        self, fallback_desk: Desk, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.fail("chat.completions", times=1, status=503)

        await take_in(fallback_desk, anna(1))
        interim = board(fallback_desk).latest()
        llm_server.queue_reply(LLM_REPLY)
        later(fallback_desk)
        await reconcile_once(fallback_desk)

        assert interim.draft is not None
        assert "llm_unavailable" in interim.draft.flags
        assert interim.draft.drafter == "offline-fallback"
        final = board(fallback_desk).latest()
        assert final.draft is not None and final.draft.drafter == "llm"
        assert final.draft.revision == 2

    async def test_token_usage_is_stored_with_the_draft(
        self, delaying_desk: Desk, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.queue_reply(
            LLM_REPLY, usage={"prompt_tokens": 1234, "completion_tokens": 56, "total_tokens": 1290}
        )

        await take_in(delaying_desk, anna(1))

        draft = board(delaying_desk).latest().draft
        assert draft is not None
        assert (draft.prompt_tokens, draft.completion_tokens) == (1234, 56)


class TestPrivateFollowUp:
    async def test_a_public_post_gets_a_short_public_reply_and_a_private_follow_up_on_the_card(
        self, delaying_desk: Desk, llm_server: OpenAIStandIn
    ) -> None:
        public = "Hallo Anna, das schauen wir uns an – schick uns bitte eine Direktnachricht. Viele Grüße!"
        private = "Hallo Anna, du kannst jeden Artikel innerhalb von 30 Tagen zurückschicken. Viele Grüße!"
        llm_server.queue_reply(
            {**LLM_REPLY, "reply": private, "public_reply": public, "private_followup": private}
        )

        await take_in(
            delaying_desk,
            InboundMessage(
                Channel.INSTAGRAM,
                "ig1",
                RETURNS,
                author_id="ig-42",
                author_name="Anna",
                language_hint="de",
            ),
        )

        draft = board(delaying_desk).latest().draft
        assert draft is not None
        assert draft.text == public
        assert draft.private_followup is not None and "30 Tagen" in draft.private_followup

"""Drafting one enquiry is bounded: a long post is read up to a cap, off the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import (
    MAX_DRAFTED_CHARS,
    TEXT_TRUNCATED,
    DraftingContext,
    draft_reply,
)
from bot.drafting.port import DraftReply, DraftRequest
from bot.faq.opening import OpenedKnowledge
from bot.faq.retrieval import Searcher
from bot.models import Channel, FaqEntry, Language, Passage
from bot.wording import review_wording

QUESTION = "Wie lange habe ich Zeit für eine Rücksendung? "
# The audit's post: 900 KB of text behind a real question.
LONG_POST = QUESTION + "Das Paket kam beschädigt an und ich bin sauer. " * 19_200


class RecordingDrafter:
    """The offline drafter, keeping every request it was given."""

    def __init__(self) -> None:
        self.requests: list[DraftRequest] = []
        self._offline = OfflineDrafter()

    async def draft(self, request: DraftRequest) -> DraftReply:
        self.requests.append(request)
        return await self._offline.draft(request)


class RecordingSearcher:
    """The real retriever, keeping every text it searched; `block` seconds of busy work each."""

    def __init__(self, inner: Searcher, block: float = 0.0) -> None:
        self.texts: list[str] = []
        self._inner = inner
        self._block = block

    @property
    def entries(self) -> list[FaqEntry]:
        return self._inner.entries

    @property
    def answer_threshold(self) -> float:
        return self._inner.answer_threshold

    def search(self, text: str, language: Language, k: int = 5) -> list[Passage]:
        self.texts.append(text)
        time.sleep(self._block)  # holds whichever thread runs it, as CPU-bound work would
        return self._inner.search(text, language, k)


@pytest.fixture
def drafter() -> RecordingDrafter:
    return RecordingDrafter()


def context_with(
    knowledge: OpenedKnowledge, drafter: RecordingDrafter, searcher: RecordingSearcher
) -> DraftingContext:
    return DraftingContext(
        retriever=searcher, guidelines=knowledge.knowledge.guidelines, drafter=drafter
    )


class TestBoundedDrafting:
    async def test_a_900_kb_post_is_drafted_from_its_first_2000_characters_and_flagged(
        self, fixture_knowledge: OpenedKnowledge, drafter: RecordingDrafter
    ) -> None:
        searcher = RecordingSearcher(fixture_knowledge.retriever)
        context = context_with(fixture_knowledge, drafter, searcher)
        assert len(LONG_POST) > 900_000

        reply = await draft_reply(context, LONG_POST, Channel.INSTAGRAM, "Anna")

        [request] = drafter.requests
        assert request.text == LONG_POST[:MAX_DRAFTED_CHARS]
        assert max(len(text) for text in searcher.texts) <= MAX_DRAFTED_CHARS
        assert TEXT_TRUNCATED in reply.flags
        assert "returns-window-de" in reply.citations

    async def test_a_post_within_the_cap_is_drafted_whole_and_not_flagged(
        self, fixture_knowledge: OpenedKnowledge, drafter: RecordingDrafter
    ) -> None:
        searcher = RecordingSearcher(fixture_knowledge.retriever)
        text = QUESTION + "x" * (MAX_DRAFTED_CHARS - len(QUESTION))

        reply = await draft_reply(
            context_with(fixture_knowledge, drafter, searcher), text, Channel.X, "Anna"
        )

        assert drafter.requests[0].text == text
        assert TEXT_TRUNCATED not in reply.flags

    async def test_each_message_of_a_burst_and_each_earlier_message_is_cut_too(
        self, fixture_knowledge: OpenedKnowledge, drafter: RecordingDrafter
    ) -> None:
        searcher = RecordingSearcher(fixture_knowledge.retriever)
        messages = [LONG_POST, "Und wie lange dauert der Versand nach Österreich?"]

        reply = await draft_reply(
            context_with(fixture_knowledge, drafter, searcher),
            "\n".join(messages),
            Channel.TELEGRAM,
            "Anna",
            messages=messages,
            history=[LONG_POST, LONG_POST],
        )

        assert len(searcher.texts) == 1 + len(messages)  # the whole, then each message
        assert max(len(text) for text in searcher.texts) <= MAX_DRAFTED_CHARS
        assert TEXT_TRUNCATED in reply.flags

    async def test_the_event_loop_keeps_serving_while_an_enquiry_is_prepared(
        self, fixture_knowledge: OpenedKnowledge, drafter: RecordingDrafter
    ) -> None:
        # Retrieval that holds its thread for 0.5 s: on the event loop it would stall
        # every other request (the audit saw /healthz wait 18-21 s) for that long.
        searcher = RecordingSearcher(fixture_knowledge.retriever, block=0.5)
        context = context_with(fixture_knowledge, drafter, searcher)
        drafting = asyncio.create_task(draft_reply(context, QUESTION, Channel.X, "Anna"))
        gaps: list[float] = []
        last = time.monotonic()
        while not drafting.done():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

        await drafting
        assert len(gaps) > 10
        assert max(gaps) < 0.25

    def test_the_truncation_flag_has_reviewer_wording(self) -> None:
        assert "beginning" in review_wording().label_text_truncated
        assert TEXT_TRUNCATED == "text_truncated"

"""/metrics counts each durable fact once: enquiries, drafts, decisions, deliveries, the model.

Counters live for the whole test process, so every test compares values before and after
what it does instead of expecting zeros.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext, prepare_request
from bot.errors import PermanentError
from bot.faq.embedders import Embedder
from bot.faq.opening import OpenedKnowledge
from bot.llm.drafter import LlmDrafter
from bot.llm.server import LlmServer
from bot.models import Channel, Draft, InboundMessage
from bot.observability import REGISTRY
from bot.review import current_draft
from bot.services import Desk, Outcome, approve_draft, receive_enquiry, take_in
from bot.storage.queue_depths import QUEUES
from tests.observability.harness import unserved_runtime
from tests.slack import harness
from tests.stand_ins import OpenAIStandIn, ReplyReceiver, SlackStandIn, sign_generic_body

WEBHOOK_SECRET = "metrics-webhook-secret"
QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(exposition: str) -> Samples:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str) -> float:
    return sum(found for (sample, _), found in samples.items() if sample == name)


def registry_value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def desk_draft(desk: Desk, conversation_id: str) -> Draft:
    async with desk.db.unit_of_work() as uow:
        draft = await current_draft(uow, conversation_id)
    assert draft is not None
    return draft


def inbound(external_id: str, author: str) -> InboundMessage:
    return InboundMessage(Channel.WEBHOOK, external_id, QUESTION, author_id=author)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=harness.BOT_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def receiver() -> Iterator[ReplyReceiver]:
    with ReplyReceiver() as stand_in:
        yield stand_in


class TestMetricsEndpoint:
    async def test_one_enquiry_decision_and_delivery_each_count_once(
        self, tmp_path: Path, slack: SlackStandIn, receiver: ReplyReceiver, use_embedder: Embedder
    ) -> None:
        settings = harness.slack_settings(tmp_path, slack, webhook_secret=WEBHOOK_SECRET)
        enquiry = {
            "id": "metrics-1",
            "channel": "shop-form",
            "author": {"id": "customer-1", "name": "Anna Adler"},
            "text": QUESTION,
            "reply_url": f"{receiver.url}/replies/metrics-1",
        }
        body = json.dumps(enquiry).encode()
        async with harness.served_app(settings, slack, use_embedder) as app:

            async def scrape() -> Samples:
                answer = await app.http.get(f"{app.url}/metrics")
                assert answer.status_code == 200
                assert answer.headers["content-type"].startswith("text/plain")
                return parse(answer.text)

            before = await scrape()
            for _ in range(2):  # a platform's retry of the same message is no new enquiry
                headers = sign_generic_body(WEBHOOK_SECRET, body, int(time.time()))
                posted = await app.http.post(
                    f"{app.url}/webhooks/generic", content=body, headers=headers
                )
                assert posted.status_code == 200
            await harness.eventually(lambda: bool(harness.draft_id_on(harness.review_card(slack))))
            card = harness.review_card(slack)
            click = await app.click("draft.approve", harness.draft_id_on(card), card=card)
            assert click.status_code == 200
            await asyncio.to_thread(receiver.wait_for, "/replies/metrics-1")
            deadline = time.monotonic() + 10
            while value(after := await scrape(), "replydesk_deliveries_total", state="sent") == (
                value(before, "replydesk_deliveries_total", state="sent")
            ):
                assert time.monotonic() < deadline, "the sent delivery was not counted"
                await asyncio.sleep(0.05)
            ready = await app.http.get(f"{app.url}/readyz")

        def delta(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert delta("replydesk_enquiries_received_total", channel="webhook") == 1
        assert delta("replydesk_decisions_total", decision="approved") == 1
        assert delta("replydesk_deliveries_total", state="queued") == 1
        assert delta("replydesk_deliveries_total", state="sent") == 1
        assert total(after, "replydesk_drafts_total") - total(before, "replydesk_drafts_total") == 1
        assert delta("replydesk_draft_latency_seconds_count") == 1
        assert delta("replydesk_time_to_decision_seconds_count", decision="approved") == 1
        # The card's last update may still be publishing: the depths' values are the next
        # test's; here every queue is reported.
        assert {
            queue
            for queue in QUEUES
            if ("replydesk_queue_depth", frozenset({("queue", queue)})) in after
        } == set(QUEUES)
        assert ready.json() == {
            "ready": True,
            "checks": {"database": "ok", "knowledge": "ok", "slack": "ok"},
        }

    async def test_queue_depths_count_the_rows_waiting_in_each_queue(
        self, tmp_path: Path, fixture_knowledge: OpenedKnowledge
    ) -> None:
        runtime = unserved_runtime(
            f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}", fixture_knowledge
        )
        desk = runtime.desk
        await desk.db.migrate()
        try:
            sent = await take_in(desk, inbound("approved", "c-1"))  # drafted, approved
            draft = await desk_draft(desk, sent.conversation_id)
            approved = await approve_draft(desk, draft.id, harness.REVIEWER, "Danke, bis bald.")
            assert approved.outcome is Outcome.DONE
            await receive_enquiry(desk, inbound("undrafted", "c-2"))  # waits for a draft
            async with desk.db.unit_of_work() as uow:  # not filed yet
                await uow.inbox.add_all([inbound("unfiled", "c-3")], desk.clock())
                await uow.commit()
            transport = httpx.ASGITransport(app=runtime.asgi())
            async with httpx.AsyncClient(transport=transport, base_url="http://replydesk") as http:
                answer = await http.get("/metrics")
        finally:
            await desk.db.dispose()
        samples = parse(answer.text)

        assert {
            queue: value(samples, "replydesk_queue_depth", queue=queue) for queue in QUEUES
        } == {
            "inbox": 1,
            "drafting": 1,
            "publishing": 1,
            "deliveries": 1,
        }


class TestModelMetrics:
    @pytest.fixture
    def drafter(self, llm_server: OpenAIStandIn) -> LlmDrafter:
        server = LlmServer(
            model="stand-in-model",
            base_url=f"{llm_server.url}/v1",
            api_key=SecretStr("test-key"),
            timeout_seconds=5.0,
            max_retries=0,
            max_concurrency=2,
        )
        return LlmDrafter(server)

    @pytest.fixture
    def context(self, fixture_knowledge: OpenedKnowledge) -> DraftingContext:
        return DraftingContext(
            fixture_knowledge.retriever, fixture_knowledge.knowledge.guidelines, OfflineDrafter()
        )

    async def test_tokens_the_server_reports_are_counted_by_kind(
        self, drafter: LlmDrafter, llm_server: OpenAIStandIn, context: DraftingContext
    ) -> None:
        reply = {
            "reply": "Hallo Anna, du hast 30 Tage Zeit. Viele Grüße!",
            "language": "de",
            "cited_entry_ids": ["returns-window-de"],
            "guideline_clause_ids": [],
            "confidence": 0.9,
            "needs_escalation": False,
            "public_reply": None,
            "private_followup": None,
        }
        llm_server.queue_reply(reply, usage={"prompt_tokens": 120, "completion_tokens": 30})
        prompt = registry_value("replydesk_llm_tokens_total", kind="prompt")
        completion = registry_value("replydesk_llm_tokens_total", kind="completion")

        await drafter.draft(prepare_request(context, QUESTION, Channel.TELEGRAM, "Anna"))

        assert registry_value("replydesk_llm_tokens_total", kind="prompt") - prompt == 120
        assert registry_value("replydesk_llm_tokens_total", kind="completion") - completion == 30

    async def test_refused_and_unreadable_answers_count_as_model_errors(
        self, drafter: LlmDrafter, llm_server: OpenAIStandIn, context: DraftingContext
    ) -> None:
        request = prepare_request(context, QUESTION, Channel.TELEGRAM, "Anna")
        refused = registry_value("replydesk_llm_errors_total", kind="refused")
        malformed = registry_value("replydesk_llm_errors_total", kind="malformed")

        llm_server.fail("chat.completions", status=401)
        with pytest.raises(PermanentError):
            await drafter.draft(request)
        llm_server.queue_reply("this is not JSON")
        llm_server.queue_reply("neither is this")
        await drafter.draft(request)  # one corrective retry, then the offline draft

        assert registry_value("replydesk_llm_errors_total", kind="refused") - refused == 1
        assert registry_value("replydesk_llm_errors_total", kind="malformed") - malformed == 2

"""The composition root: the one place that reads `Settings` to pick and build adapters.

Entry points (`replydesk serve`, the other CLI commands, `eval`) call these builders; the
core below them takes explicit values. In the spirit of Cosmic Python's `bootstrap.py`:

- `build_embedder`: the local model, or embeddings from an OpenAI-compatible server;
- `open_knowledge`: the knowledge folder read, indexed (embedded Chroma or a server), and
  wrapped in a retriever;
- `build_drafter`: offline templates, or the LLM drafter wrapped for outages;
- `build_drafting`: the `DraftingContext` every draft is made with;
- `build_runtime`: all of that plus the database, Slack, the channels and the background jobs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from bot.crisis.policy import CrisisPolicy
from bot.crisis.spikes import SpikeRule
from bot.drafting import Drafter, DraftingContext, OfflineDrafter, OutageAwareDrafter
from bot.drafting.language import detect_language
from bot.faq import (
    E5Embedder,
    Embedder,
    HashingEmbedder,
    IndexLocation,
    OpenedKnowledge,
    ProgressCallback,
    UseEmbedder,
    open_fused_knowledge,
    open_knowledge_folder,
)
from bot.llm.server import LlmServer
from bot.models import EmbeddingModel, RetrievalMode, ServiceRole
from bot.settings import EmbeddingsProvider, LlmProvider, Settings

if TYPE_CHECKING:
    from bot.app import Runtime
    from bot.ports import BackgroundJob


@cache
def embedder_for_model(model: EmbeddingModel) -> Embedder:
    """Load a local embedding model (up to a second), once per process."""
    if model is EmbeddingModel.E5:
        return E5Embedder()
    if model is EmbeddingModel.HASHING:
        return HashingEmbedder()
    return UseEmbedder()


def crisis_policy(settings: Settings) -> CrisisPolicy:
    """The leads, the second sign-off labels and the spike rule the settings ask for."""
    rule = SpikeRule()
    changes: dict[str, object] = {}
    if settings.spike_window_minutes is not None:
        window = dt.timedelta(minutes=settings.spike_window_minutes)
        changes["window"] = window
        changes["baseline_span"] = max(window, rule.baseline_span)
    if settings.spike_sensitivity is not None:
        changes["sensitivity"] = settings.spike_sensitivity
    if settings.spike_min_count is not None:
        changes["min_count"] = settings.spike_min_count
    if settings.spike_cooldown_minutes is not None:
        changes["cooldown"] = dt.timedelta(minutes=settings.spike_cooldown_minutes)
    return CrisisPolicy(
        leads=settings.lead_ids(),
        sign_off_labels=settings.sign_off_labels(),
        rule=dataclasses.replace(rule, **changes),  # type: ignore[arg-type]
        alert_channel=settings.slack_crisis_channel,
    )


def llm_server(settings: Settings) -> LlmServer:
    """The OpenAI-compatible server the settings name, with their limits."""
    return LlmServer(
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        max_concurrency=settings.llm_max_concurrency,
    )


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for: a local model, or an OpenAI-compatible server."""
    if settings.embeddings_provider is EmbeddingsProvider.OPENAI:
        from bot.llm.embeddings import OpenAIEmbedder  # loads openai only when asked for

        server = llm_server(settings)
        return OpenAIEmbedder(
            settings.openai_embedding_model,
            api_key=server.key.get_secret_value(),
            base_url=server.base_url,
            timeout=server.timeout_seconds,
            max_retries=server.max_retries,
        )
    return embedder_for_model(settings.embedding_model)


def index_location(settings: Settings) -> IndexLocation:
    """Where the settings keep indexes: under the data directory, or on a Chroma server."""
    return IndexLocation(settings.data_dir, settings.chroma_host, settings.chroma_port)


def open_knowledge(
    settings: Settings,
    knowledge_dir: Path | None = None,
    *,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
) -> OpenedKnowledge:
    """Read `knowledge_dir` (default: the settings'), index what changed, return a retriever.

    Args:
        settings: data directory, Chroma, embedding model, retrieval mode.
        knowledge_dir: the folder with `faq/` and `guidelines/`.
        embedder: an already loaded embedder to reuse in the single-model modes; built
            from settings when omitted. The fused mode always uses the local e5 and USE.
        progress: called with (entries finished, entries to embed) while embedding.

    Raises:
        KnowledgeError: the folder does not exist.
        PermanentError: the settings combine the fused mode with an embeddings server.
    """
    folder = knowledge_dir or settings.knowledge_dir
    mode = settings.resolved_retrieval_mode()
    if mode is RetrievalMode.FUSED:
        return open_fused_knowledge(
            folder,
            embedder_for_model(EmbeddingModel.E5),
            embedder_for_model(EmbeddingModel.USE),
            index_location(settings),
            progress=progress,
        )
    return open_knowledge_folder(
        folder,
        embedder or build_embedder(settings),
        index_location(settings),
        mode=mode,
        lexical_weight=settings.lexical_weight,
        progress=progress,
    )


def build_drafter(settings: Settings, offline: OfflineDrafter | None = None) -> Drafter:
    """The LLM drafter (wrapped for outages) when LLM_PROVIDER=openai, else the offline one.

    Args:
        settings: provider, server, model, limits, outage mode.
        offline: an offline drafter to reuse, as the LLM drafter's fallback too.
    """
    fallback = offline or OfflineDrafter()
    if settings.llm_provider is LlmProvider.OPENAI:
        from bot.llm.drafter import LlmDrafter  # loads LangChain only when asked for

        llm = LlmDrafter(llm_server(settings), fallback=fallback)
        return OutageAwareDrafter(llm, fallback, settings.llm_outage_mode)
    return fallback


def build_drafting(
    settings: Settings, opened: OpenedKnowledge, drafter: Drafter | None = None
) -> DraftingContext:
    """The drafting context for `opened` knowledge with the configured drafter."""
    return DraftingContext(
        retriever=opened.retriever,
        guidelines=opened.knowledge.guidelines,
        drafter=drafter or build_drafter(settings),
        answer_threshold=settings.answer_threshold,
    )


async def build_runtime(
    settings: Settings, *, embedder: Embedder | None = None, reconcile_seconds: float = 1.0
) -> Runtime:
    """Open the knowledge, the database, Slack and the channels, and wire them together.

    Args:
        settings: What to build.
        embedder: An already loaded embedding model to reuse.
        reconcile_seconds: How often the queue workers look for due work nobody woke them
            for (work queued by another replica, backoffs that ran out).
    """
    # The service's adapters load here, not at import: the other commands start faster.
    from bot.app import Runtime
    from bot.channels import build_channels
    from bot.jobs import (
        DeliveryWorker,
        Pace,
        draft_forever,
        file_forever,
        publish_forever,
        reload_knowledge,
        reminder_job,
        spike_job,
        watch_knowledge,
    )
    from bot.review import KnowledgeCatalog
    from bot.services import Desk
    from bot.slack import build_slack
    from bot.storage import Database

    model = embedder or await asyncio.to_thread(build_embedder, settings)

    def reopen() -> OpenedKnowledge:
        return open_knowledge(settings, embedder=model)

    opened = await asyncio.to_thread(reopen)
    # Load the language models now, not while the first customer waits for a card.
    await asyncio.to_thread(detect_language, "Guten Tag, how are you?")
    slack = build_slack(settings)
    desk = Desk(
        db=Database(settings.resolved_database_url()),
        drafting=build_drafting(settings, opened),
        catalog=KnowledgeCatalog(opened.knowledge),
        board=slack.board,
        conversation_window=dt.timedelta(seconds=settings.conversation_window_seconds),
        crisis=crisis_policy(settings),
        # Clusters of unanswered posts are measured with USE (benchmarks/spikes.py).
        topic_embedder=embedder_for_model(EmbeddingModel.USE),
    )
    desk.reload_knowledge = partial(reload_knowledge, desk, reopen)
    channels = build_channels(settings, desk)
    senders = {**channels.senders, **slack.senders}
    worker = DeliveryWorker(desk, senders, max_attempts=settings.delivery_max_attempts)

    pace = Pace()  # the queue workers give way while requests are queuing

    async def filing(stop: asyncio.Event) -> None:
        await file_forever(desk, stop, reconcile_seconds, pace)

    async def delivering(stop: asyncio.Event) -> None:
        await worker.run_forever(stop, pace=pace)

    async def drafting(stop: asyncio.Event) -> None:
        await draft_forever(desk, stop, reconcile_seconds, pace)

    async def publishing(stop: asyncio.Event) -> None:
        await publish_forever(desk, stop, reconcile_seconds, pace)

    async def watch(stop: asyncio.Event) -> None:
        await watch_knowledge(desk, settings.knowledge_dir, reopen, stop)

    inbound: list[BackgroundJob] = [*slack.background(desk), *channels.background]
    queues: list[BackgroundJob] = [
        *[filing] * settings.filing_workers,
        *[delivering] * settings.delivery_workers,
        *[drafting] * settings.drafting_workers,
        *[publishing] * settings.publishing_workers,
        reminder_job(desk),  # one per replica; the database picks who reminds
        spike_job(desk),  # one per replica; the database lets one open each spike
    ]
    web = settings.role is not ServiceRole.WORKER
    work = settings.role is not ServiceRole.WEB
    return Runtime(
        desk=desk,
        worker=worker,
        routes=[*slack.routes(desk), *channels.routes] if web else [],
        background=[*(inbound if web else []), *([pace.watch, *queues] if work else []), watch],
        shutdown=[*slack.shutdown, *channels.shutdown],
    )

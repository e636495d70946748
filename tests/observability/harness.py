"""A runtime whose ASGI app is called without its lifespan: no workers, nothing connects."""

from __future__ import annotations

import socket

from bot.app import Runtime
from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DraftingContext
from bot.faq.opening import OpenedKnowledge
from bot.jobs.delivery import DeliveryWorker
from bot.review import KnowledgeCatalog
from bot.services import Desk
from bot.storage import Database
from tests.fakes.ports import RecordingBoard


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unserved_runtime(database_url: str, knowledge: OpenedKnowledge) -> Runtime:
    """A runtime on `database_url` with the offline drafter and a recording board."""
    desk = Desk(
        Database(database_url),
        DraftingContext(knowledge.retriever, knowledge.knowledge.guidelines, OfflineDrafter()),
        KnowledgeCatalog(knowledge.knowledge),
        RecordingBoard(),
    )
    return Runtime(desk=desk, worker=DeliveryWorker(desk, {}), routes=[])

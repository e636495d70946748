"""Queue depths read from the database when Prometheus scrapes, and the exposition itself.

The queues live in the database every replica shares, so `replydesk_queue_depth` is global:
each replica reports the same numbers (aggregate with `max`, not `sum`). The counts
(`bot.storage.queue_depths`) are read within `DEPTH_TIMEOUT_SECONDS`: a slow or unreachable
database drops the depths from that scrape (and counts the failure) instead of holding the
scrape up; the process's own counters are exposed either way.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.observability.metrics import REGISTRY
from bot.storage.queue_depths import queue_depths

log = logging.getLogger(__name__)

# The Content-Type of `render_metrics`' body.
METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
# A scrape waits this long for the depths; Prometheus' own scrape timeout is 10 s by default.
DEPTH_TIMEOUT_SECONDS = 2.0

QUEUE_DEPTH = Gauge(
    "replydesk_queue_depth",
    "Rows waiting in each database queue (inbox, drafting, publishing, deliveries); "
    "global: read from the shared database at scrape time.",
    ["queue"],
    registry=REGISTRY,
)
DEPTH_FAILURES = Counter(
    "replydesk_queue_depth_failures",
    "Scrapes whose queue-depth queries failed or took too long (the depths were left out).",
    registry=REGISTRY,
)


async def refresh_queue_depths(engine: AsyncEngine) -> bool:
    """Set `replydesk_queue_depth` from the database; on failure, leave the depths out.

    Returns:
        Whether the depths could be read within `DEPTH_TIMEOUT_SECONDS`.
    """
    try:
        async with asyncio.timeout(DEPTH_TIMEOUT_SECONDS):
            depths = await queue_depths(engine)
    except Exception as exc:  # the edge of a scrape: report less, never fail it
        QUEUE_DEPTH.clear()
        DEPTH_FAILURES.inc()
        log.warning("queue depths not read: %s", type(exc).__name__)
        return False
    for name, depth in depths.items():
        QUEUE_DEPTH.labels(queue=name).set(depth)
    return True


async def render_metrics(engine: AsyncEngine) -> bytes:
    """The Prometheus text exposition of `REGISTRY`, with fresh queue depths."""
    await refresh_queue_depths(engine)
    return generate_latest(REGISTRY)

"""Health and metrics of the running service: /healthz, /readyz and /metrics.

- `health`: readiness checks (database, knowledge index, Slack), each bounded by a timeout;
- `metrics`: the Prometheus counters and histograms, counted where facts become durable;
- `queues`: queue depths read from the database at scrape time, and the exposition.
"""

from bot.observability.health import (
    CachedCheck,
    CheckFailed,
    Readiness,
    ReadinessReport,
    database_check,
    knowledge_check,
    slack_check,
)
from bot.observability.metrics import REGISTRY, DeliveryEvent, LlmErrorKind
from bot.observability.queues import render_metrics

__all__ = [
    "REGISTRY",
    "CachedCheck",
    "CheckFailed",
    "DeliveryEvent",
    "LlmErrorKind",
    "Readiness",
    "ReadinessReport",
    "database_check",
    "knowledge_check",
    "render_metrics",
    "slack_check",
]

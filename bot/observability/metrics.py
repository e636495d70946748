"""Prometheus metrics of the review loop, each counted once, where its fact became durable.

Counters and histograms are per process: every replica counts what it did itself, and
Prometheus sums the scraped instances, e.g.
`sum by (channel) (rate(replydesk_enquiries_received_total[5m]))`. The queue depths in
`bot.observability.queues` are read from the shared database instead, so every replica
reports the same global numbers (aggregate them with `max`, not `sum`).

Everything lives in `REGISTRY`, ReplyDesk's own registry (with the process, platform and
garbage-collector collectors), not prometheus_client's global one. Tests read values with
`REGISTRY.get_sample_value("replydesk_decisions_total", {"decision": "approved"})` and
compare before and after, so they do not depend on what ran earlier in the process.

Usage::

    await uow.commit()
    count_decision(decision.kind, draft.created_at, decision.decided_at)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from bot.errors import BotError, RateLimitedError, TransientError
from bot.models import Channel, DecisionKind, DeliveryState, Draft, DraftAction

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# A reviewer's "regenerate" click: no decision row, but a reviewer's answer to the draft.
REGENERATED = "regenerated"


class DeliveryEvent(StrEnum):
    """What happened to an outbox row: the `state` label of `replydesk_deliveries_total`."""

    QUEUED = "queued"  # approved, or queued again by a person after FAILED
    RETRY = "retry"  # back in the queue after a transient failure or a rate limit
    SENT = "sent"  # the platform confirmed it
    FAILED = "failed"  # refused, or retries used up; a person may retry
    OUTCOME_UNKNOWN = "outcome_unknown"  # a timeout or a crash mid-send: a person checks


class LlmErrorKind(StrEnum):
    """Why a language-model call gave no usable answer: `replydesk_llm_errors_total{kind}`."""

    RATE_LIMITED = "rate_limited"  # 429 with Retry-After, after the client's own retries
    UNAVAILABLE = "unavailable"  # timeout, connection error, 5xx, 408, 409, 429 without wait
    REFUSED = "refused"  # 4xx: key, model or request wrong
    MALFORMED = "malformed"  # an answer that is not the JSON asked for, or an empty reply


ENQUIRIES = Counter(
    "replydesk_enquiries_received",
    "Inbound messages stored by the intake, per channel; repeated deliveries not counted.",
    ["channel"],
    registry=REGISTRY,
)
DRAFTS = Counter(
    "replydesk_drafts",
    "Drafts saved, per suggested action (review, escalate, ignore).",
    ["action"],
    registry=REGISTRY,
)
DECISIONS = Counter(
    "replydesk_decisions",
    "Reviewers' decisions stored: approved, edited, rejected, escalated, regenerated.",
    ["decision"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "replydesk_deliveries",
    "Outbox state changes stored: queued, retry, sent, failed, outcome_unknown.",
    ["state"],
    registry=REGISTRY,
)
LLM_ERRORS = Counter(
    "replydesk_llm_errors",
    "Language-model calls without a usable answer, per kind.",
    ["kind"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "replydesk_llm_tokens",
    "Tokens the language-model server reported using, per kind (prompt, completion).",
    ["kind"],
    registry=REGISTRY,
)
DRAFT_LATENCY = Histogram(
    "replydesk_draft_latency_seconds",
    "Seconds from a message being stored to the first draft that answers it being saved.",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
TIME_TO_DECISION = Histogram(
    "replydesk_time_to_decision_seconds",
    "Seconds from a draft being saved to a reviewer's decision on it, per decision.",
    ["decision"],
    buckets=(30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 259200),
    registry=REGISTRY,
)

# Every label value exists from the start, so rate() sees the first increment.
for _channel in Channel:
    ENQUIRIES.labels(channel=_channel.value)
for _action in DraftAction:
    DRAFTS.labels(action=_action.value)
for _decision in [*(kind.value for kind in DecisionKind), REGENERATED]:
    DECISIONS.labels(decision=_decision)
for _event in DeliveryEvent:
    DELIVERIES.labels(state=_event.value)
for _kind in LlmErrorKind:
    LLM_ERRORS.labels(kind=_kind.value)
for _tokens in ("prompt", "completion"):
    LLM_TOKENS.labels(kind=_tokens)


def count_enquiries(channels: Iterable[Channel]) -> None:
    """Count newly stored inbound messages, one channel per message; call after commit."""
    for channel in channels:
        ENQUIRIES.labels(channel=channel.value).inc()


def count_draft(draft: Draft, received_at: dt.datetime) -> None:
    """Count a saved draft; the first draft of a message also times the wait for it.

    Args:
        draft: The draft, after its unit of work committed.
        received_at: When the message the draft answers (its `enquiry_id`) was stored.
    """
    DRAFTS.labels(action=draft.action.value).inc()
    if draft.revision == 1:  # later revisions wait for a reviewer's click, not for us
        DRAFT_LATENCY.observe(_seconds(received_at, draft.created_at))


def count_decision(
    decision: DecisionKind | str, draft_created_at: dt.datetime, decided_at: dt.datetime
) -> None:
    """Count a reviewer's stored decision (or REGENERATED) and how long the draft waited."""
    label = str(decision)
    DECISIONS.labels(decision=label).inc()
    TIME_TO_DECISION.labels(decision=label).observe(_seconds(draft_created_at, decided_at))


def count_delivery(event: DeliveryEvent) -> None:
    """Count one stored outbox state change; call after commit."""
    DELIVERIES.labels(state=event.value).inc()


def count_recorded_delivery(state: DeliveryState) -> None:
    """Count the state a delivery worker recorded after a send (QUEUED means a retry)."""
    count_delivery(
        DeliveryEvent.RETRY if state is DeliveryState.QUEUED else DeliveryEvent(state.value)
    )


def count_llm_error(kind: LlmErrorKind) -> None:
    """Count a language-model call that gave no usable answer."""
    LLM_ERRORS.labels(kind=kind.value).inc()


def llm_failed(error: BotError) -> BotError:
    """Count a failed language-model call by its mapped error, and return the error to raise."""
    if isinstance(error, RateLimitedError):
        count_llm_error(LlmErrorKind.RATE_LIMITED)
    elif isinstance(error, TransientError):
        count_llm_error(LlmErrorKind.UNAVAILABLE)
    else:
        count_llm_error(LlmErrorKind.REFUSED)
    return error


def count_llm_tokens(prompt: int, completion: int) -> None:
    """Count the tokens one language-model call used, as the server reported them."""
    LLM_TOKENS.labels(kind="prompt").inc(max(prompt, 0))
    LLM_TOKENS.labels(kind="completion").inc(max(completion, 0))


def _seconds(start: dt.datetime, end: dt.datetime) -> float:
    # Clocks of replicas (and tests' moved clocks) may disagree a little: never negative.
    return max((end - start).total_seconds(), 0.0)

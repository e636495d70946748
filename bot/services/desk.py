"""What the use cases share: the `Desk` of ports, inbound messages, and action outcomes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.crisis.policy import CrisisPolicy
from bot.drafting.pipeline import DraftingContext
from bot.errors import NotFoundError
from bot.faq.embedders import Embedder
from bot.models import (
    Channel,
    Decision,
    Enquiry,
    utc_now,
)
from bot.ports import PostModerator, ReviewBoard
from bot.review import KnowledgeCatalog
from bot.storage import Database, UnitOfWork


@dataclass
class Desk:
    """The ports and settings the use cases run on; built once at start-up."""

    db: Database
    drafting: DraftingContext
    catalog: KnowledgeCatalog
    board: ReviewBoard
    clock: Callable[[], dt.datetime] = utc_now
    # A follow-up this soon after the previous message joins its conversation and card even
    # after a reply went out (CONVERSATION_WINDOW_SECONDS).
    conversation_window: dt.timedelta = dt.timedelta(seconds=30)
    # Wake-up calls for this process's workers when work was queued here; only a shortcut:
    # every worker also polls the database, which is where work is queued and claimed.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    filing_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    drafting_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    publishing_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Re-indexes the knowledge folder and points drafting and the catalog at it; set by
    # the wiring, awaited after an edit made inside the service (the Slack modal).
    reload_knowledge: Callable[[], Awaitable[None]] | None = None
    # Platforms that can hide a public post (Meta comments, X replies), by channel.
    moderators: Mapping[Channel, PostModerator] = field(default_factory=dict)
    # The leads, the labels that need their second sign-off, and the spike rule.
    crisis: CrisisPolicy = field(default_factory=CrisisPolicy)
    # Embeds unanswered posts to cluster them for spike detection; None: no clusters.
    topic_embedder: Embedder | None = None


@dataclass(frozen=True)
class Receipt:
    """What happened to an inbound message."""

    enquiry: Enquiry
    is_new: bool
    conversation_id: str


class Outcome(StrEnum):
    """How a reviewer's action ended; the board tells the reviewer the non-DONE ones."""

    DONE = "done"
    ALREADY_DECIDED = "already_decided"
    OUTDATED = "outdated"  # a newer draft replaced this one
    STALE = "stale"  # cited knowledge changed: confirm with "send anyway" or regenerate
    INVALID = "invalid"  # e.g. empty or over-length edited text
    AWAITING_SIGN_OFF = "awaiting_sign_off"  # signed; a lead or a second person must sign too


@dataclass(frozen=True)
class ActionResult:
    """The outcome of a reviewer's action, with what the board should say."""

    outcome: Outcome
    decision: Decision | None = None
    problems: tuple[str, ...] = ()
    conversation_id: str | None = None


async def load_enquiry(uow: UnitOfWork, enquiry_id: str) -> Enquiry:
    """Return the enquiry or raise NotFoundError."""
    enquiry = await uow.enquiries.get(enquiry_id)
    if enquiry is None:
        raise NotFoundError(f"enquiry {enquiry_id} not found")
    return enquiry


def conversation_of(enquiry: Enquiry) -> str:
    """Return the enquiry's conversation id; every stored enquiry has one."""
    if enquiry.conversation_id is None:
        raise NotFoundError(f"enquiry {enquiry.id} has no conversation")
    return enquiry.conversation_id

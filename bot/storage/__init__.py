"""Persistence for ReplyDesk: SQLAlchemy tables, repositories and the unit of work.

Repositories take and return the dataclasses in `bot.models`, never ORM rows, so nothing
outside this package depends on SQLAlchemy. Works on SQLite (aiosqlite) and PostgreSQL
(psycopg 3); the schema is owned by the Alembic migrations in `bot/migrations`.
"""

from __future__ import annotations

from bot.storage.card_states import CardState, CardStateRepository, DraftingState
from bot.storage.cards import CardRepository, SlackCard
from bot.storage.database import Database, alembic_config
from bot.storage.deliveries import DeliveryRepository
from bot.storage.drafts import DecisionRepository, DraftRepository
from bot.storage.enquiries import ConversationRepository, EnquiryRepository
from bot.storage.events import EventRepository
from bot.storage.inbox import InboxEntry, InboxRepository
from bot.storage.knowledge_edits import EditAction, KnowledgeEdit, KnowledgeEditRepository
from bot.storage.knowledge_versions import KnowledgeVersionRepository
from bot.storage.proposals import (
    PROPOSAL_LIFETIME,
    Proposal,
    ProposalKind,
    ProposalRepository,
    ProposalStatus,
)
from bot.storage.tables import metadata
from bot.storage.unit_of_work import UnitOfWork
from bot.storage.work_queues import DraftingQueue, PublishingQueue, WorkClaim

__all__ = [
    "CardRepository",
    "CardState",
    "CardStateRepository",
    "DraftingQueue",
    "DraftingState",
    "ConversationRepository",
    "Database",
    "DecisionRepository",
    "DeliveryRepository",
    "DraftRepository",
    "EnquiryRepository",
    "EditAction",
    "EventRepository",
    "InboxEntry",
    "InboxRepository",
    "KnowledgeEdit",
    "KnowledgeEditRepository",
    "KnowledgeVersionRepository",
    "PROPOSAL_LIFETIME",
    "Proposal",
    "ProposalKind",
    "ProposalRepository",
    "ProposalStatus",
    "PublishingQueue",
    "SlackCard",
    "UnitOfWork",
    "WorkClaim",
    "alembic_config",
    "metadata",
]

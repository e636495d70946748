"""The unit of work: one connection, one transaction, every repository bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.card_states import CardStateRepository
from bot.storage.cards import CardRepository
from bot.storage.deliveries import DeliveryRepository
from bot.storage.drafts import DecisionRepository, DraftRepository
from bot.storage.enquiries import ConversationRepository, EnquiryRepository
from bot.storage.escalations import EscalationRepository
from bot.storage.events import EventRepository
from bot.storage.inbox import InboxRepository
from bot.storage.knowledge_edits import KnowledgeEditRepository
from bot.storage.knowledge_versions import KnowledgeVersionRepository
from bot.storage.moderation import ModerationRepository
from bot.storage.priorities import PriorityRepository
from bot.storage.proposals import ProposalRepository
from bot.storage.sign_offs import SignOffRepository
from bot.storage.spikes import SpikeRepository, TopicRepository
from bot.storage.work_queues import DraftingQueue, PublishingQueue


class UnitOfWork:
    """Groups repository calls into one transaction that only persists on `commit()`.

    Leaving the block without committing rolls back, so an exception halfway through a use
    case stores nothing (Cosmic Python ch. 6). After `commit()` the same unit of work may go
    on; the next statement starts a new transaction.

    On SQLite the transaction takes the write lock when it starts (BEGIN IMMEDIATE), so keep
    units of work short and never await the network inside one.

    Usage::

        async with db.unit_of_work() as uow:
            enquiry, is_new = await uow.enquiries.add(enquiry)
            await uow.commit()
    """

    inbox: InboxRepository
    enquiries: EnquiryRepository
    conversations: ConversationRepository
    drafts: DraftRepository
    decisions: DecisionRepository
    deliveries: DeliveryRepository
    cards: CardRepository
    card_states: CardStateRepository
    drafting: DraftingQueue
    publishing: PublishingQueue
    events: EventRepository
    knowledge: KnowledgeVersionRepository
    knowledge_edits: KnowledgeEditRepository
    escalations: EscalationRepository
    proposals: ProposalRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        """Check out a connection and begin the transaction.

        Raises:
            RuntimeError: The unit of work is already open; create one per use.
        """
        if self._conn is not None:
            raise RuntimeError("this unit of work is already open")
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._bind(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and return the connection to the pool."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> None:
        """Persist everything done in this unit of work so far."""
        await self._open_connection().commit()

    async def rollback(self) -> None:
        """Discard everything done since the last commit."""
        await self._open_connection().rollback()

    def _open_connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._conn

    def _bind(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.inbox = InboxRepository(conn)
        self.enquiries = EnquiryRepository(conn)
        self.conversations = ConversationRepository(conn)
        self.drafts = DraftRepository(conn)
        self.decisions = DecisionRepository(conn)
        self.deliveries = DeliveryRepository(conn)
        self.cards = CardRepository(conn)
        self.card_states = CardStateRepository(conn)
        self.drafting = DraftingQueue(conn)
        self.publishing = PublishingQueue(conn)
        self.events = EventRepository(conn)
        self.knowledge = KnowledgeVersionRepository(conn)
        self.knowledge_edits = KnowledgeEditRepository(conn)
        self.escalations = EscalationRepository(conn)
        self.proposals = ProposalRepository(conn)
        self.priorities = PriorityRepository(conn)
        self.topics = TopicRepository(conn)
        self.spikes = SpikeRepository(conn)
        self.sign_offs = SignOffRepository(conn)
        self.moderation = ModerationRepository(conn)

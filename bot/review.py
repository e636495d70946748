"""What a review card shows, built from the database: the pure view the Slack blocks render.

One card per conversation. It shows every customer message, the current draft with its
citations, where the draft stands (awaiting review, sending, sent, failed, …) and, while
nobody has decided yet, how long the customer has waited against the channel's target.
The card is a pure function of the database and the moment it is built (`now`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.faq.files import KnowledgeBase
from bot.faq.replies import by_citation
from bot.faq.response_targets import ResponseTargets, TargetState
from bot.models import Channel, Decision, DecisionKind, Delivery, DeliveryState, Draft, FaqEntry
from bot.storage import DraftingState, UnitOfWork
from bot.wording import review_wording


class CardStatus(StrEnum):
    """Where a conversation stands, as the card tells reviewers."""

    DRAFTING = "drafting"  # no draft yet
    DRAFTING_DELAYED = "drafting_delayed"  # the drafter is unreachable; retried
    AWAITING_REVIEW = "awaiting_review"
    SENDING = "sending"  # approved; queued or being sent
    SENT = "sent"
    DELIVERY_FAILED = "delivery_failed"  # retries exhausted; a person may retry
    OUTCOME_UNKNOWN = "outcome_unknown"  # a person must check the channel
    REJECTED = "rejected"


# Nobody has decided yet: the customer is still waiting, so the card shows the wait.
WAITING = frozenset({CardStatus.DRAFTING, CardStatus.DRAFTING_DELAYED, CardStatus.AWAITING_REVIEW})


@dataclass(frozen=True)
class CardWait:
    """How long the customer has waited, in business seconds, against the channel's target."""

    age_seconds: float
    target_seconds: float
    state: TargetState


@dataclass(frozen=True)
class CardUrgency:
    """Why a card comes first: the reading of its most urgent message (bot/priority)."""

    score: float
    sentiment: str  # negative, neutral, positive
    reasons: tuple[tuple[str, str], ...] = ()  # (urgency reason, the words behind it)


@dataclass(frozen=True)
class CardSignOff:
    """A labelled draft's signatures: who signed and who still has to."""

    labels: tuple[str, ...]  # press, legal_threat, safety, crisis
    signed: tuple[tuple[str, str], ...] = ()  # (user id, reviewer or lead)
    waiting_for: str = "lead"  # lead, or second (a lead signed, a second person must)
    statement_lead: str | None = None  # signed the holding statement this draft offers


@dataclass(frozen=True)
class CardModeration:
    """Whether the post may be hidden (spam, insults, personal data) and whether it is."""

    enquiry_id: str  # the message whose post is meant
    clause: str  # the guideline clauses that allow hiding it, e.g. "§11"
    hidden: bool = False
    hidden_by: str | None = None


@dataclass(frozen=True)
class CardMessage:
    """One customer message in the conversation."""

    enquiry_id: str
    text: str
    kind: str
    received_at: dt.datetime


@dataclass(frozen=True)
class ReviewCard:
    """Everything the board needs to render one conversation's card."""

    conversation_id: str
    root_enquiry_id: str
    channel: Channel
    author_name: str | None
    messages: tuple[CardMessage, ...]
    status: CardStatus
    draft: Draft | None = None
    cited: tuple[tuple[str, str], ...] = ()  # (entry id, question)
    clauses: tuple[tuple[str, str], ...] = ()  # (clause id, title)
    decision: Decision | None = None
    delivery: Delivery | None = None
    owner: str | None = None
    max_length: int = 1000
    wait: CardWait | None = None  # None once decided, or when the channel has no target
    urgency: CardUrgency | None = None  # None: nothing urgent, read neutral or positive
    sign_off: CardSignOff | None = None  # None: one reviewer's approval sends
    crisis: str | None = None  # the open spike the post belongs to, by its label
    moderation: CardModeration | None = None  # None: nothing to hide


# Up to this long a wait reads in minutes ("90 min"); longer in hours ("4 h 10 min").
_MINUTES_UP_TO = 120


def duration_text(seconds: float) -> str:
    """A wait or target as reviewers read it: "42 min", "60 min", "4 h", "2 h 5 min".

    Partial minutes are dropped, so a card never looks older than it is.
    """
    words = review_wording()
    minutes = int(max(seconds, 0.0) // 60)
    if minutes < _MINUTES_UP_TO:
        return words.duration_minutes.format(minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return words.duration_hours.format(hours=hours)
    return words.duration_hours_minutes.format(hours=hours, minutes=rest)


class KnowledgeCatalog:
    """Titles and current versions of the knowledge, for cards and the stale-draft guard."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge  # the standard replies and guidelines, for statements
        self.replies = by_citation(knowledge.replies)  # "reply:<id>" -> the standard reply
        self.entries: dict[str, FaqEntry] = knowledge.by_id()
        self.clause_titles = {clause.id: clause.title for clause in knowledge.guidelines.clauses}
        self.channels = knowledge.guidelines.channels
        self.response_targets = knowledge.guidelines.response_targets

    def max_length(self, channel: Channel) -> int:
        """The guidelines' length limit for replies on `channel`."""
        policy = self.channels.get(channel.value)
        return policy.max_length if policy else 1000

    def stale_citations(self, draft: Draft, today: dt.date) -> list[str]:
        """Say which cited entries changed or expired since the draft was made."""
        words = review_wording()
        problems = []
        for entry_id, drafted_hash in draft.cited_hashes.items():
            reply = self.replies.get(entry_id)
            if reply is not None:  # a standard reply: changed or not, nothing expires
                if reply.content_hash != drafted_hash:
                    problems.append(words.problem_entry_changed.format(entry=entry_id))
                continue
            entry = self.entries.get(entry_id)
            if entry is None:
                problems.append(words.problem_entry_deleted.format(entry=entry_id))
            elif entry.content_hash != drafted_hash:
                problems.append(words.problem_entry_changed.format(entry=entry_id))
            elif not entry.is_valid_on(today):
                problems.append(
                    words.problem_entry_expired.format(entry=entry_id, day=entry.valid_until)
                )
        return problems


async def current_draft(uow: UnitOfWork, conversation_id: str) -> Draft | None:
    """The newest draft of a conversation that nothing has replaced."""
    return await uow.drafts.current_in_conversation(conversation_id)


async def load_card(
    uow: UnitOfWork,
    conversation_id: str,
    catalog: KnowledgeCatalog,
    now: dt.datetime | None = None,
) -> ReviewCard:
    """Build the card of a conversation from what the database holds now.

    Args:
        uow: An open unit of work.
        conversation_id: The conversation.
        catalog: The knowledge the card cites and the response-time targets.
        now: The moment the card shows; without it the card shows no wait.
    """
    enquiries = await uow.enquiries.in_conversation(conversation_id)
    state = await uow.card_states.get(conversation_id)
    # The card belongs to the conversation's first enquiry, as recorded when it arrived.
    root = next((e for e in enquiries if state and e.id == state.root_enquiry_id), enquiries[0])
    draft = await current_draft(uow, conversation_id)
    decision = await uow.decisions.for_draft(draft.id) if draft else None
    delivery = await uow.deliveries.for_draft(draft.id) if draft else None
    status = _status(draft, decision, delivery, state.drafting if state else None)
    return ReviewCard(
        conversation_id=conversation_id,
        root_enquiry_id=root.id,
        channel=root.channel,
        author_name=root.author_name,
        messages=tuple(CardMessage(e.id, e.text, e.kind.value, e.received_at) for e in enquiries),
        status=status,
        draft=draft,
        cited=tuple(
            (
                entry_id,
                catalog.entries[entry_id].question
                if entry_id in catalog.entries
                else catalog.replies[entry_id].label
                if entry_id in catalog.replies
                else entry_id,
            )
            for entry_id in (draft.citations if draft else ())
        ),
        clauses=tuple(
            (clause_id, catalog.clause_titles.get(clause_id, ""))
            for clause_id in (draft.guideline_clauses if draft else ())
        ),
        decision=decision,
        delivery=delivery,
        owner=state.owner if state else None,
        max_length=catalog.max_length(root.channel),
        wait=card_wait(catalog.response_targets, root.channel, root.received_at, status, now),
    )


def card_wait(
    targets: ResponseTargets,
    channel: Channel,
    received_at: dt.datetime,
    status: CardStatus,
    now: dt.datetime | None,
) -> CardWait | None:
    """How long a card's customer has waited since the first message, if the card says so.

    Returns:
        None when the card is decided, the channel has no target, or `now` is not given.
    """
    target = targets.target_for(channel.value)
    if now is None or target is None or status not in WAITING:
        return None
    return CardWait(
        age_seconds=targets.age(received_at, now),
        target_seconds=target,
        state=targets.state(channel.value, received_at, now),
    )


def _status(
    draft: Draft | None,
    decision: Decision | None,
    delivery: Delivery | None,
    drafting: DraftingState | None,
) -> CardStatus:
    if draft is None:
        return (
            CardStatus.DRAFTING_DELAYED
            if drafting is DraftingState.DELAYED
            else CardStatus.DRAFTING
        )
    if decision is not None and decision.kind is DecisionKind.REJECTED:
        return CardStatus.REJECTED
    if delivery is not None:
        return {
            DeliveryState.QUEUED: CardStatus.SENDING,
            DeliveryState.SENDING: CardStatus.SENDING,
            DeliveryState.SENT: CardStatus.SENT,
            DeliveryState.FAILED: CardStatus.DELIVERY_FAILED,
            DeliveryState.OUTCOME_UNKNOWN: CardStatus.OUTCOME_UNKNOWN,
        }[delivery.state]
    return CardStatus.AWAITING_REVIEW

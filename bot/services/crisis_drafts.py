"""Drafting in a crisis: the topics each enquiry is counted under, and statement drafts.

Each drafted enquiry is filed under its topics (its first cited FAQ entry, its urgency
reasons, `negative`, or `unmatched` when no entry fits), which the spike watch counts. While
a spike's holding statement is approved, a card of its topic offers the statement with the
customer's own greeting instead of a normal draft.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from bot.crisis.policy import CRISIS_LABEL
from bot.crisis.statement import Statement, personal_reply
from bot.drafting.port import DraftReply
from bot.models import DraftAction, Enquiry, Register
from bot.services.desk import Desk, conversation_of
from bot.services.sign_off import HOLDING_STATEMENT
from bot.storage import UnitOfWork
from bot.storage.spikes import Spike

# An urgency reason or a negative reading files the enquiry under it from this confidence.
TOPIC_CONFIDENCE = 0.5
NEGATIVE = "negative"
UNMATCHED = "unmatched"
# Reasons that describe the customer, not the subject: never a topic of their own.
_NOT_TOPICS = frozenset({"repeated_contact"})


def topics_for(reading: Mapping[str, object] | None, citations: Iterable[str]) -> set[str]:
    """The topics an enquiry is counted under, from its priority reading and its draft."""
    topics: set[str] = set()
    entries = [c for c in citations if not c.startswith("reply:")]
    topics.add(f"faq:{entries[0]}" if entries else UNMATCHED)
    if reading is None:
        return topics
    if reading.get("sentiment") == NEGATIVE and _confidence(reading, "sentiment_confidence"):
        topics.add(NEGATIVE)
    reasons = reading.get("reasons")
    for reason in reasons if isinstance(reasons, list) else []:
        if not isinstance(reason, dict) or reason.get("reason") in _NOT_TOPICS:
            continue
        if _confidence(reason, "confidence"):
            topics.add(f"urgency:{reason.get('reason')}")
    return topics


def _confidence(values: Mapping[str, object], key: str) -> bool:
    value = values.get(key)
    return isinstance(value, int | float) and value >= TOPIC_CONFIDENCE


async def file_topics(
    uow: UnitOfWork, enquiries: Iterable[Enquiry], citations: Iterable[str]
) -> set[str]:
    """File each enquiry under its topics; return the topics of them all."""
    cited = list(citations)
    batch = list(enquiries)
    readings = await uow.priorities.readings(e.id for e in batch)
    spikes = await uow.spikes.open_spikes()
    every: set[str] = set()
    for enquiry in batch:
        topics = topics_for(readings.get(enquiry.id), cited)
        topics.update(await uow.topics.topics_of(enquiry.id))  # cluster topics from the watch
        # A post of a topic found to be an open spike's burst is one of the spike's posts.
        topics.update(s.topic for s in spikes if topics.intersection(s.related))
        await uow.topics.tag(enquiry.id, topics, enquiry.received_at)
        every |= topics
    return every


def statement_reply(desk: Desk, spike: Spike, enquiry: Enquiry, reply: DraftReply) -> DraftReply:
    """The spike's approved statement as this customer's draft (their greeting, language)."""
    if spike.statement is None:
        return reply
    statement = Statement.from_json(spike.statement)
    policy = desk.catalog.channels.get(enquiry.channel.value)
    register = policy.register if policy is not None else Register.DU
    text = statement.text_for(reply.language, register)
    if text is None:
        return reply
    guidelines = desk.drafting.guidelines
    personal = personal_reply(
        text,
        name=enquiry.author_name,
        language=reply.language,
        register=register,
        channel=enquiry.channel,
        guidelines=guidelines,
    )
    clauses = tuple(c for c in statement.citations if c.startswith("§"))
    return dataclasses.replace(
        reply,
        text=personal,
        action=DraftAction.REVIEW,
        confidence=1.0,
        citations=tuple(c for c in statement.citations if not c.startswith("§")),
        guideline_clauses=clauses,
        flags=tuple(dict.fromkeys((*reply.flags, HOLDING_STATEMENT, CRISIS_LABEL))),
        private_followup=None,
    )


async def with_statement(desk: Desk, enquiries: list[Enquiry], reply: DraftReply) -> DraftReply:
    """The approved statement of an open spike the enquiries belong to, else `reply`."""
    async with desk.db.unit_of_work() as uow:
        readings = await uow.priorities.readings(e.id for e in enquiries)
        topics: set[str] = set()
        for enquiry in enquiries:
            topics |= topics_for(readings.get(enquiry.id), reply.citations)
            topics.update(await uow.topics.topics_of(enquiry.id))
        spikes = await uow.spikes.open_spikes()
        topics.update(s.topic for s in spikes if topics.intersection(s.related))
        spike = await uow.spikes.active_statement_for(topics)
    return reply if spike is None else statement_reply(desk, spike, enquiries[0], reply)


async def open_conversations(uow: UnitOfWork, spike: Spike) -> list[str]:
    """Conversations of the spike's topic (since it started) whose current draft is undecided."""
    since = spike.started_at
    found: dict[str, None] = {}
    for enquiry_id in await uow.topics.enquiries_of(spike.topic, since):
        enquiry = await uow.enquiries.get(enquiry_id)
        if enquiry is None:
            continue
        conversation_id = conversation_of(enquiry)
        if conversation_id in found:
            continue
        draft = await uow.drafts.current_in_conversation(conversation_id)
        if draft is None or await uow.decisions.for_draft(draft.id) is None:
            found[conversation_id] = None
    return list(found)

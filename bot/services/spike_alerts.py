"""The leads' alert about a spike: its label and what it shows, read from the database."""

from __future__ import annotations

from collections.abc import Mapping

from bot.crisis.alert import AlertExample, SpikeAlert
from bot.crisis.statement import Statement
from bot.crisis.wording import crisis_wording
from bot.models import FaqEntry, Language, Register
from bot.services.crisis_drafts import open_conversations
from bot.services.desk import Desk
from bot.services.sign_off import HOLDING_STATEMENT
from bot.storage import UnitOfWork
from bot.storage.spikes import Spike

# How much of a post the alert quotes.
_EXAMPLE_CHARS = 200
_CLUSTER_LABEL_CHARS = 60
# The statement's variants in the order the alert and the modal show them.
VARIANTS: tuple[tuple[str, Language, Register | None], ...] = (
    ("de_du", Language.DE, Register.DU),
    ("de_sie", Language.DE, Register.SIE),
    ("en", Language.EN, None),
)


def label_of(topic: str, entries: Mapping[str, FaqEntry], example: str = "") -> str:
    """A lead's name for a topic: the FAQ question, "posts about: outage", ..."""
    words = crisis_wording()
    kind, _, name = topic.partition(":")
    if kind == "faq" and name in entries:
        return words.topic_faq.format(question=entries[name].question)
    if kind == "urgency":
        return words.topic_urgency.format(reason=words.reason(name))
    if kind == "cluster":
        return words.topic_cluster.format(example=_cut(example, _CLUSTER_LABEL_CHARS))
    if topic == "negative":
        return words.topic_negative
    return topic


async def alert_of(uow: UnitOfWork, desk: Desk, spike: Spike) -> SpikeAlert:
    """What the alert shows now: the counts, three example posts with card links, the statement."""
    examples = []
    for enquiry_id in spike.examples:
        enquiry = await uow.enquiries.get(enquiry_id)
        if enquiry is None:
            continue
        card = await uow.cards.get(enquiry_id)
        examples.append(
            AlertExample(
                _cut(enquiry.text, _EXAMPLE_CHARS),
                card.channel if card else None,
                card.ts if card else None,
            )
        )
    open_cards = offering = 0
    if spike.ended_at is None:
        for conversation_id in await open_conversations(uow, spike):
            open_cards += 1
            draft = await uow.drafts.current_in_conversation(conversation_id)
            offering += draft is not None and HOLDING_STATEMENT in draft.flags
    return SpikeAlert(
        spike_id=spike.id,
        label=spike.label,
        started_at=spike.started_at,
        # Live: posts found to be the same burst under other topics count too.
        count=max(spike.count, len(await uow.topics.enquiries_of(spike.topic, spike.started_at))),
        expected=spike.expected,
        examples=tuple(examples),
        statement=_statement_parts(spike),
        statement_approved_by=spike.statement_approved_by,
        open_cards=open_cards,
        offering=offering,
        ended=spike.ended_at is not None,
    )


def _statement_parts(spike: Spike) -> tuple[tuple[str, str], ...]:
    if spike.statement is None:
        return ()
    statement = Statement.from_json(spike.statement)
    parts = []
    for key, language, register in VARIANTS:
        text = statement.text_for(language, register or Register.DU)
        if text is not None:
            parts.append((key, text))
    return tuple(parts)


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"

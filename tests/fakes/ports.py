"""In-memory fakes of the review board and reply senders, for use-case tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.crisis.alert import SpikeAlert
from bot.errors import BotError
from bot.models import Channel, Delivery
from bot.ports import CardRef
from bot.review import ReviewCard


@dataclass
class RecordingBoard:
    """Keeps every card version and thread message; can be told to fail."""

    cards: dict[str, list[ReviewCard]] = field(default_factory=dict)
    thread: dict[str, list[str]] = field(default_factory=dict)
    told: list[tuple[str, str]] = field(default_factory=list)
    alerts: dict[str, list[SpikeAlert]] = field(default_factory=dict)
    failures: list[BotError] = field(default_factory=list)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def publish(self, card: ReviewCard, existing: CardRef | None) -> CardRef:
        if self.failures:
            raise self.failures.pop(0)
        ref = existing or CardRef("C_REVIEW", f"{next(self._ts)}.000")
        self.cards.setdefault(ref.ts, []).append(card)
        return ref

    async def find_card(self, conversation_id: str) -> CardRef | None:
        for ts, versions in self.cards.items():
            if versions[0].conversation_id == conversation_id:
                return CardRef("C_REVIEW", ts)
        return None

    async def post_in_thread(self, ref: CardRef, text: str) -> None:
        self.thread.setdefault(ref.ts, []).append(text)

    async def tell(self, ref: CardRef | None, user_id: str, text: str) -> None:
        self.told.append((user_id, text))

    async def post_alert(self, alert: SpikeAlert, existing: CardRef | None) -> CardRef:
        if self.failures:
            raise self.failures.pop(0)
        ref = existing or CardRef("C_LEADS", f"{next(self._ts)}.000")
        self.alerts.setdefault(ref.ts, []).append(alert)
        return ref

    def latest(self) -> ReviewCard:
        """The newest version of the most recently touched card."""
        return [versions[-1] for versions in self.cards.values()][-1]


@dataclass
class RecordingSender:
    """Records sent replies; scripted errors are raised first, one per call."""

    channel: Channel
    sent: list[Delivery] = field(default_factory=list)
    failures: list[BotError] = field(default_factory=list)

    async def send(self, delivery: Delivery) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(delivery)
        return f"msg-{len(self.sent)}"

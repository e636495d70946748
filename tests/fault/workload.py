"""The mixed workload: enquiries (generic webhook and Telegram) and Approve clicks, with crashes.

Every enquiry carries a marker such as ``[k3f9-0042]`` in its text, so it can be found again in
the service's tables, on the cards the Slack stand-in received and in the replies, however
the service names things internally. Each customer writes once (own author id, own chat), so
every enquiry is its own conversation and its draft is never replaced.

Enquiries go out open-loop at a fixed pace, each retried like a platform retries until the
service answers 200. Telegram updates wait at the stand-in until the service's polling
confirms them. The approver watches the review channel and clicks Approve on the cards of
every second enquiry, once each until the click is acknowledged (every tenth twice at once,
as a double click, to different replicas where there are several); a click is never
repeated after its 200.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from tests.fault.service import REVIEW_CHANNEL
from tests.fault.traffic import (
    GENERIC_PATH,
    SLACK_PATH,
    Delivered,
    approve_button,
    approve_click,
    deliver,
    generic_enquiry,
)
from tests.fault.tripwires import Tripwire
from tests.stand_ins import SlackMessage, SlackStandIn, TelegramStandIn, make_text_update

# Questions the fixture knowledge answers, so drafts carry text and an Approve button.
QUESTIONS = (
    "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?",
    "How long do I have to return an item?",
    "Kann ich an eine Packstation liefern lassen?",
    "I can't log in to the app. What should I do?",
    "Do you ship to Switzerland?",
    "Wie lange gilt das Rückgaberecht?",
)
TELEGRAM_CHAT_BASE = 5_000_000


def new_run_id() -> str:
    """A short id that keeps markers of different runs apart on shared stand-ins."""
    return uuid.uuid4().hex[:4]


@dataclass
class Enquiry:
    """One customer message of the workload and what became of it on our side."""

    number: int
    marker: str
    channel: str  # "webhook" or "telegram"
    external_id: str  # the webhook id, or the Telegram update_id
    author_id: str
    text: str
    approve: bool
    chat_id: int | None = None
    answer: Delivered | None = None  # webhook: the final answer to our retried POST

    @property
    def acknowledged(self) -> bool:
        """The webhook was answered 200 (Telegram updates: see the stand-in)."""
        return self.answer is not None and self.answer.status == 200


@dataclass
class Approval:
    """The Approve click on one enquiry's card."""

    draft_id: str
    clicks: list[Delivered] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """At least one click was answered 200."""
        return any(click.status == 200 for click in self.clicks)


class Workload:
    """Enquiries numbered 0..count-1 with their markers, sending and approving them.

    Args:
        count: How many enquiries.
        reply_url: Where webhook replies go (the receiver stand-in).
        approve_every: Enquiries whose number is a multiple of this are approved.
        telegram_every: Enquiries whose number is a multiple of this come by Telegram
            (0: none); the rest by the generic webhook.
        double_click_every: Every n-th approval is clicked twice at the same moment.
        run: The marker prefix; random when None.
    """

    def __init__(
        self,
        count: int,
        reply_url: str,
        *,
        approve_every: int = 2,
        telegram_every: int = 0,
        double_click_every: int = 10,
        run: str | None = None,
    ) -> None:
        self.run = run or new_run_id()
        self.double_click_every = double_click_every
        self.reply_url = reply_url
        self.enquiries = [self._enquiry(n, approve_every, telegram_every) for n in range(count)]
        self.approvals: dict[int, Approval] = {}
        self.not_approvable: set[int] = set()
        self.pattern = re.compile(rf"\[{self.run}-(\d{{4}})\]")
        # Fire right after the service answered 200 to an enquiry or to a click.
        self.acknowledged_enquiry = Tripwire()
        self.acknowledged_click = Tripwire()
        self._numbers: dict[tuple[str, int], set[int]] = {}

    def _enquiry(self, n: int, approve_every: int, telegram_every: int) -> Enquiry:
        marker = f"[{self.run}-{n:04d}]"
        telegram = telegram_every > 0 and n % telegram_every == 0
        return Enquiry(
            number=n,
            marker=marker,
            channel="telegram" if telegram else "webhook",
            external_id=str(n + 1) if telegram else f"fault-{self.run}-{n}",
            author_id=f"customer-{self.run}-{n}",
            text=f"{QUESTIONS[n % len(QUESTIONS)]} {marker}",
            approve=n % approve_every == 0,
            chat_id=TELEGRAM_CHAT_BASE + n if telegram else None,
        )

    # -- sending -------------------------------------------------------------

    async def send(
        self,
        client: httpx.AsyncClient,
        urls: Sequence[str],
        telegram: TelegramStandIn | None,
        pace: float,
    ) -> None:
        """Offer every enquiry, one each `pace` seconds, open-loop; return once all are 200."""
        tasks: list[asyncio.Task[None]] = []
        started = time.monotonic()
        for enquiry in self.enquiries:
            delay = started + enquiry.number * pace - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if enquiry.channel == "telegram":
                if telegram is None:
                    raise RuntimeError("a Telegram enquiry without the Telegram stand-in")
                telegram.push_update(self._update(enquiry))
                continue
            tasks.append(asyncio.create_task(self._post(client, urls, enquiry)))
        await asyncio.gather(*tasks)

    async def _post(self, client: httpx.AsyncClient, urls: Sequence[str], enquiry: Enquiry) -> None:
        body = generic_enquiry(
            enquiry.external_id, enquiry.text, self.reply_url, enquiry.author_id, "Anna"
        )
        enquiry.answer = await deliver(client, urls, GENERIC_PATH, body, first=enquiry.number)
        if enquiry.acknowledged:
            self.acknowledged_enquiry.check(enquiry)

    def _update(self, enquiry: Enquiry) -> dict[str, object]:
        assert enquiry.chat_id is not None
        return make_text_update(
            int(enquiry.external_id),
            enquiry.text,
            chat_id=enquiry.chat_id,
            user_id=enquiry.chat_id,
            message_id=10,
        )

    # -- reading the review channel -----------------------------------------------

    def numbers_in(self, text: str) -> set[int]:
        """Workload enquiry numbers whose markers occur in `text`."""
        return {int(found) for found in self.pattern.findall(text)}

    def current_cards(self, slack: SlackStandIn) -> list[tuple[set[int], SlackMessage]]:
        """Top-level messages in the review channel, latest state, with their numbers."""
        found = []
        for message in slack.messages(REVIEW_CHANNEL):
            if message.thread_ts is not None:
                continue
            key = (message.ts, message.edits)
            if key not in self._numbers:
                self._numbers[key] = self.numbers_in(json.dumps(message.blocks) + message.text)
            if self._numbers[key]:
                found.append((self._numbers[key], message))
        return found

    def card_posts(self, slack: SlackStandIn) -> list[set[int]]:
        """The enquiries each top-level chat.postMessage to the review channel showed."""
        posts = []
        for call in slack.calls("chat.postMessage"):
            params = call.params
            if params.get("channel") != REVIEW_CHANNEL or params.get("thread_ts"):
                continue
            numbers = self.numbers_in(json.dumps(params, default=str))
            if numbers:
                posts.append(numbers)
        return posts

    def cards_posted(self, slack: SlackStandIn) -> dict[int, int]:
        """How many top-level chat.postMessage calls showed each enquiry (0 left out)."""
        posted: dict[int, int] = {}
        for numbers in self.card_posts(slack):
            for number in numbers:
                posted[number] = posted.get(number, 0) + 1
        return posted

    # -- approving --------------------------------------------------------------

    async def approve(
        self,
        client: httpx.AsyncClient,
        urls: Sequence[str],
        slack: SlackStandIn,
        done: asyncio.Event,
        deadline: float,
        stall: float = 25.0,
    ) -> None:
        """Click Approve on each chosen enquiry's card as it appears, until all are clicked.

        Args:
            client: The HTTP client.
            urls: The services' base URLs.
            slack: The Slack stand-in the services post cards to.
            done: Set once every enquiry was sent.
            deadline: time.monotonic() after which the approver stops.
            stall: Once `done`, stop when no new card was approvable for this long.
        """
        clicks: list[asyncio.Task[None]] = []
        wanted = {e.number for e in self.enquiries if e.approve}
        progress, approved = time.monotonic(), 0
        while time.monotonic() < deadline:
            if len(self.approvals) > approved:
                progress, approved = time.monotonic(), len(self.approvals)
            for numbers, card in self.current_cards(slack):
                number = min(numbers)
                if len(numbers) != 1 or number not in wanted or number in self.approvals:
                    continue
                draft_id = approve_button(card)
                if draft_id is None:
                    self.not_approvable.add(number)
                    continue
                self.not_approvable.discard(number)
                approval = self.approvals[number] = Approval(draft_id)
                times = 2 if len(self.approvals) % self.double_click_every == 0 else 1
                for turn in range(times):
                    click = self._click(client, urls, card, approval, number + turn)
                    clicks.append(asyncio.create_task(click))
            if done.is_set() and wanted <= set(self.approvals):
                break
            if done.is_set() and time.monotonic() - progress > stall:
                break  # the missing cards are reported by the check, not waited for
            await asyncio.sleep(0.1)
        await asyncio.gather(*clicks)

    async def _click(
        self,
        client: httpx.AsyncClient,
        urls: Sequence[str],
        card: SlackMessage,
        approval: Approval,
        first: int,
    ) -> None:
        body = approve_click(approval.draft_id, card)
        click = await deliver(client, urls, SLACK_PATH, body, first=first)
        approval.clicks.append(click)
        if click.status == 200:
            self.acknowledged_click.check(approval)

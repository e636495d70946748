"""What must hold after a workload, counted from the tables, the cards and the replies.

- lost: an acknowledged enquiry (webhook 200, or a Telegram update the service confirmed)
  that is not in `enquiries`, or that never appeared on a card;
- duplicate cards: an enquiry shown by more than one top-level chat.postMessage;
- sent twice: more than one reply for one enquiry (receiver POSTs by `in_reply_to`,
  Telegram sendMessage calls by chat);
- sent unapproved: a reply whose draft (webhook: by `delivery_id`; Telegram: any draft of the
  chat's conversation) has no approved or edited decision;
- approvals lost: a click answered 200 whose draft has no approved decision;
- approved replies not delivered: an approved draft whose delivery did not end `sent`, or
  `outcome_unknown` (a crash hit the send: a person checks, nothing is resent);
- marked sent, never received: a delivery `sent` whose reply never arrived.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.fault.databases import Tables
from tests.fault.workload import Approval, Workload
from tests.stand_ins import ReplyReceiver, SlackStandIn, TelegramStandIn

APPROVED = ("approved", "edited")
FINISHED = ("sent", "outcome_unknown", "failed")


@dataclass
class Verdict:
    """Violations per guarantee (each a list of short descriptions), and figures for the report."""

    violations: dict[str, list[str]] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)

    def add(self, guarantee: str, items: Iterable[str]) -> None:
        """Record violations of `guarantee` (the key is kept even when there are none)."""
        self.violations.setdefault(guarantee, []).extend(items)

    @property
    def clean(self) -> bool:
        """No guarantee was violated."""
        return not any(self.violations.values())

    def report(self) -> str:
        """Counts per guarantee with the first examples, then the figures."""
        lines = []
        for guarantee, items in self.violations.items():
            examples = "; ".join(items[:8]) + (" …" if len(items) > 8 else "")
            lines.append(f"{guarantee}: {len(items)}" + (f" ({examples})" if items else ""))
        lines += [f"{name}: {value}" for name, value in self.figures.items()]
        return "\n".join(lines)


@dataclass
class Observed:
    """Everything the check reads, taken once."""

    stored: dict[int, dict[str, object]]  # number -> enquiry row
    conversations: dict[int, set[str]]  # number -> conversation ids of rows with its marker
    decisions: dict[str, str]  # draft id -> kind
    deliveries: dict[str, dict[str, object]]  # delivery id -> row
    delivery_of_draft: dict[str, dict[str, object]]  # draft id -> delivery row
    drafts_of_conversation: dict[str, set[str]]
    cards: dict[int, int]  # number -> top-level card posts
    webhook_replies: list[dict[str, object]]
    telegram_replies: list[dict[str, object]]
    telegram_pending: set[int]  # update ids the service has not confirmed


def observe(
    workload: Workload,
    tables: Tables,
    slack: SlackStandIn,
    receiver: ReplyReceiver,
    telegram: TelegramStandIn | None,
) -> Observed:
    """Read the tables and the stand-ins' call logs."""
    stored: dict[int, dict[str, object]] = {}
    conversations: dict[int, set[str]] = {}
    like = f"%[{workload.run}-%"
    for row in tables.rows(
        "SELECT id, channel, external_id, conversation_id, text FROM enquiries "
        "WHERE text LIKE :like",
        like=like,
    ):
        for number in workload.numbers_in(str(row["text"])):
            stored.setdefault(number, row)
            conversations.setdefault(number, set()).add(str(row["conversation_id"]))
    decisions = {
        str(r["draft_id"]): str(r["kind"])
        for r in tables.rows("SELECT draft_id, kind FROM decisions")
    }
    delivery_rows = tables.rows("SELECT id, draft_id, state, channel FROM deliveries")
    drafts: dict[str, set[str]] = {}
    for row in tables.rows(
        "SELECT d.id AS draft_id, e.conversation_id AS conversation_id "
        "FROM drafts d JOIN enquiries e ON e.id = d.enquiry_id"
    ):
        drafts.setdefault(str(row["conversation_id"]), set()).add(str(row["draft_id"]))
    webhook_replies = []
    for call in receiver.calls():
        if call.method == "POST":
            try:
                webhook_replies.append(json.loads(call.body))
            except ValueError:
                webhook_replies.append({"unreadable": call.body[:80]})
    telegram_replies = [dict(c.params) for c in telegram.calls("sendMessage")] if telegram else []
    pending = (
        {int(str(u.get("update_id"))) for u in telegram.pending_updates()} if telegram else set()
    )
    return Observed(
        stored=stored,
        conversations=conversations,
        decisions=decisions,
        deliveries={str(r["id"]): r for r in delivery_rows},
        delivery_of_draft={str(r["draft_id"]): r for r in delivery_rows},
        drafts_of_conversation=drafts,
        cards=workload.cards_posted(slack),
        webhook_replies=webhook_replies,
        telegram_replies=telegram_replies,
        telegram_pending=pending,
    )


def acknowledged(workload: Workload, seen: Observed) -> list[int]:
    """Numbers of enquiries the service took responsibility for."""
    numbers = []
    for enquiry in workload.enquiries:
        if enquiry.channel == "telegram":
            if int(enquiry.external_id) not in seen.telegram_pending:
                numbers.append(enquiry.number)
        elif enquiry.acknowledged:
            numbers.append(enquiry.number)
    return numbers


def settled(workload: Workload, seen: Observed) -> bool:
    """Every enquiry acknowledged and on a card; every acknowledged approval's delivery ended."""
    if any(e.channel == "webhook" and e.answer is None for e in workload.enquiries):
        return False
    if seen.telegram_pending:
        return False
    for number in acknowledged(workload, seen):
        if number not in seen.stored or seen.cards.get(number, 0) == 0:
            return False
    for approval in workload.approvals.values():
        if not approval.acknowledged:
            continue
        delivery = seen.delivery_of_draft.get(approval.draft_id)
        if delivery is None or delivery["state"] not in FINISHED:
            return False
    return True


async def settle(
    workload: Workload,
    tables: Tables,
    slack: SlackStandIn,
    receiver: ReplyReceiver,
    telegram: TelegramStandIn | None,
    within: float,
    quiet: float = 1.0,
) -> tuple[Observed, float]:
    """Wait until `settled` (or `within` seconds), then `quiet` seconds for late duplicates; observe.

    Returns:
        What was observed at the end, and the seconds it took to settle (inf: it did not).
    """
    started = time.monotonic()
    took = float("inf")
    while time.monotonic() - started < within:
        seen = await asyncio.to_thread(observe, workload, tables, slack, receiver, telegram)
        if settled(workload, seen):
            took = time.monotonic() - started
            break
        await asyncio.sleep(0.3)
    await asyncio.sleep(quiet)
    return await asyncio.to_thread(observe, workload, tables, slack, receiver, telegram), took


def judge(workload: Workload, seen: Observed) -> Verdict:
    """Check every guarantee; see the module docstring."""
    verdict = Verdict()
    acked = acknowledged(workload, seen)
    marker = {e.number: e.marker for e in workload.enquiries}
    refused = [
        f"{e.marker} answered {e.answer.status}"
        for e in workload.enquiries
        if e.answer is not None and e.answer.status != 200
    ]
    verdict.add("enquiries refused or given up", refused)
    verdict.add(
        "lost (acknowledged, not stored)", [marker[n] for n in acked if n not in seen.stored]
    )
    verdict.add(
        "lost (stored, never on a card)",
        [marker[n] for n in acked if n in seen.stored and seen.cards.get(n, 0) == 0],
    )
    verdict.add(
        "duplicate cards",
        [f"{marker[n]} on {c} cards" for n, c in sorted(seen.cards.items()) if c > 1],
    )
    _judge_replies(workload, seen, verdict)
    _judge_approvals(workload, seen, verdict)
    states = Counter(
        str(seen.delivery_of_draft[a.draft_id]["state"]) for a in _clicked(workload, seen)
    )
    verdict.figures |= {
        "enquiries acknowledged": f"{len(acked)}/{len(workload.enquiries)}",
        "approvals acknowledged": sum(a.acknowledged for a in workload.approvals.values()),
        "cards never approvable": len(workload.not_approvable),
        "delivery states of approvals": dict(states),
        "replies received": len(seen.webhook_replies) + len(seen.telegram_replies),
        "retried enquiry posts": sum(
            e.answer.attempts - 1 for e in workload.enquiries if e.answer is not None
        ),
    }
    return verdict


def _clicked(workload: Workload, seen: Observed) -> list[Approval]:
    return [
        a
        for a in workload.approvals.values()
        if a.acknowledged and a.draft_id in seen.delivery_of_draft
    ]


def _judge_replies(workload: Workload, seen: Observed, verdict: Verdict) -> None:
    by_external = {e.external_id: e for e in workload.enquiries if e.channel == "webhook"}
    by_chat = {e.chat_id: e for e in workload.enquiries if e.chat_id is not None}
    per_enquiry: Counter[str] = Counter()
    unapproved: list[str] = []
    for reply in seen.webhook_replies:
        enquiry = by_external.get(str(reply.get("in_reply_to")))
        if enquiry is None:
            continue  # another run's reply on a shared receiver
        per_enquiry[enquiry.marker] += 1
        delivery = seen.deliveries.get(str(reply.get("delivery_id")))
        draft_id = str(delivery["draft_id"]) if delivery else ""
        if seen.decisions.get(draft_id) not in APPROVED:
            unapproved.append(f"{enquiry.marker} (delivery {reply.get('delivery_id')})")
    for params in seen.telegram_replies:
        chat = params.get("chat_id")
        enquiry = by_chat.get(int(str(chat))) if str(chat).lstrip("-").isdigit() else None
        if enquiry is None:
            continue
        per_enquiry[enquiry.marker] += 1
        conversations = seen.conversations.get(enquiry.number, set())
        drafts = set().union(*(seen.drafts_of_conversation.get(c, set()) for c in conversations))
        if not any(seen.decisions.get(d) in APPROVED for d in drafts):
            unapproved.append(f"{enquiry.marker} (telegram chat {chat})")
    verdict.add("sent twice", [f"{m} {n} times" for m, n in sorted(per_enquiry.items()) if n > 1])
    verdict.add("sent unapproved", unapproved)


def _judge_approvals(workload: Workload, seen: Observed, verdict: Verdict) -> None:
    received: Counter[str] = Counter(str(r.get("delivery_id")) for r in seen.webhook_replies)
    by_number = {e.number: e for e in workload.enquiries}
    chats: Counter[int] = Counter(
        int(str(p.get("chat_id"))) for p in seen.telegram_replies if str(p.get("chat_id")).isdigit()
    )
    lost: list[str] = []
    unfinished: list[str] = []
    phantom: list[str] = []
    for number, approval in sorted(workload.approvals.items()):
        if not approval.acknowledged:
            continue
        enquiry = by_number[number]
        if seen.decisions.get(approval.draft_id) not in APPROVED:
            lost.append(f"{enquiry.marker} (no approval stored)")
            continue
        delivery = seen.delivery_of_draft.get(approval.draft_id)
        if delivery is None or delivery["state"] not in ("sent", "outcome_unknown"):
            state = delivery["state"] if delivery else "no delivery"
            unfinished.append(f"{enquiry.marker} ({state})")
            continue
        arrived = (
            chats[enquiry.chat_id] if enquiry.chat_id is not None else received[str(delivery["id"])]
        )
        if delivery["state"] == "sent" and arrived == 0:
            phantom.append(enquiry.marker)
    verdict.add("approvals lost (acknowledged click, no decision)", lost)
    verdict.add("approved replies not delivered", unfinished)
    verdict.add("marked sent, never received", phantom)

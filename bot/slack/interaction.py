"""What every Slack listener shares: who acted, the work after the ack, and the answers.

Listeners acknowledge Slack at once and hand the slow part (database, drafting, Slack
calls) to `BackgroundWork`, which keeps every task until it ends so shutdown can wait for
it. Its guard is one of the two edges where any exception is caught (the other is the Bolt
error handler): the failure is logged with a reference and ids, and the person who clicked
gets a generic message with that reference, never the exception text.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot.models import DecisionKind
from bot.ports import CardRef
from bot.review import ReviewCard
from bot.services import ActionResult, Desk, Outcome, publish_card
from bot.slack.blocks import Block
from bot.slack.board import SlackReviewBoard, map_slack_error
from bot.slack.card_lines import signed_notice
from bot.slack.modals import stale_prompt
from bot.slack.reviewers import Permission, ReviewerDirectory, explain_refusal
from bot.wording import ReviewWording, review_wording

log = logging.getLogger(__name__)

# A Slack payload as Bolt hands it to listeners (parsed JSON); read it with `text_at`.
Body = Mapping[str, object]

# How long shutdown waits for decisions in flight (drafting with a model can take a while).
DRAIN_SECONDS = 30.0


@dataclass(frozen=True)
class Actor:
    """The person behind an interaction and where to answer them."""

    user_id: str
    ref: CardRef | None = None  # the clicked message; None for modals (the review channel)
    trigger_id: str | None = None


def at(data: object, *path: str | int) -> object:
    """The value at `path` inside parsed JSON, or None where any step is missing."""
    for key in path:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and -len(data) <= key < len(data) else None
        else:
            data = data.get(key) if isinstance(data, Mapping) else None
    return data


def text_at(data: object, *path: str | int) -> str:
    """The string at `path` inside parsed JSON, or "" when it is missing or not a string."""
    value = at(data, *path)
    return value if isinstance(value, str) else ""


def actor_of(body: Body) -> Actor:
    """Read who acted, on which message, from an interaction payload."""
    channel = text_at(body, "container", "channel_id") or text_at(body, "channel", "id")
    ts = text_at(body, "container", "message_ts") or text_at(body, "message_ts")
    ref = CardRef(channel, ts) if channel and ts else None
    return Actor(text_at(body, "user", "id"), ref, text_at(body, "trigger_id") or None)


def action_value(body: Body) -> str:
    """The value of the clicked button: always a bare id."""
    return text_at(body, "actions", 0, "value")


def error_reference() -> str:
    """A short random reference that ties a log line to what a person was told."""
    return secrets.token_hex(4)


def blocked(card: ReviewCard, draft_id: str) -> ActionResult | None:
    """Why `draft_id` can no longer be edited, rejected or regenerated, if it cannot."""
    if card.draft is None or card.draft.id != draft_id:
        return ActionResult(Outcome.OUTDATED, conversation_id=card.conversation_id)
    if card.decision is not None:
        return ActionResult(
            Outcome.ALREADY_DECIDED, card.decision, conversation_id=card.conversation_id
        )
    return None


class BackgroundWork:
    """Runs the part of an interaction that comes after the ack, and remembers the tasks."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[object, object, None]) -> None:
        """Run `work` as a task; it must handle its own errors (see `SlackDesk.after_ack`)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait (up to `DRAIN_SECONDS`) for the work in flight, e.g. at shutdown."""
        while self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)
            if pending:
                log.warning("%d Slack task(s) still running at shutdown", len(pending))
                return


@dataclass
class SlackDesk:
    """The desk plus the Slack pieces every listener needs."""

    desk: Desk
    board: SlackReviewBoard
    reviewers: ReviewerDirectory
    work: BackgroundWork = field(default_factory=BackgroundWork)
    leads: frozenset[str] = frozenset()  # comms leads: team report on the App Home
    editors: frozenset[str] = frozenset()  # knowledge editors: entries to look after
    knowledge_dir: Path | None = None  # the folder the "Edit the FAQ" modal writes to

    def after_ack(
        self, label: str, actor: Actor | None, work: Coroutine[object, object, None]
    ) -> None:
        """Run `work` after the ack; `label` names it in logs."""
        self.work.start(self._guarded(label, actor, work))

    async def may_decide(self, actor: Actor) -> bool:
        """Tell whether the actor is a reviewer or a lead; if not, say so to them only."""
        if actor.user_id in self.leads:
            return True  # leads sign off press, legal, safety and crisis posts
        permission = await self.reviewers.permission(actor.user_id)
        if permission is Permission.REVIEWER:
            return True
        log.info("user %s may not decide: %s", actor.user_id, permission.value)
        await self.board.tell(actor.ref, actor.user_id, explain_refusal(permission))
        return False

    async def decide(
        self,
        actor: Actor,
        draft_id: str,
        store: Callable[[], Awaitable[ActionResult]],
        then: Callable[[ActionResult], Awaitable[None]] | None = None,
    ) -> Coroutine[object, object, None]:
        """Store a reviewer's decision now, before the ack; return the work after the ack.

        A decision Slack was told "ok" about is in the database: if the service dies
        first, Slack shows the reviewer an error instead of the click vanishing. After the
        ack comes `then` (by default: bring the card up to date) and a word to the reviewer.
        """
        if not await self.may_decide(actor):
            return _nothing()
        result = await store()

        async def after() -> None:
            if then is not None:
                await then(result)
            elif result.conversation_id is not None:
                await publish_card(self.desk, result.conversation_id)
            await self.answer(actor, result, draft_id)

        return after()

    async def answer(self, actor: Actor, result: ActionResult, draft_id: str) -> None:
        """Tell the actor why their action did not go through; DONE needs no words."""
        outcome = result.outcome
        if outcome is Outcome.DONE:
            return
        words = review_wording()
        blocks: list[Block] | None = None
        if outcome is Outcome.ALREADY_DECIDED and result.decision is not None:
            decision = result.decision
            text = words.already_decided.format(
                decision=_decided(words, decision.kind), by=f"<@{decision.decided_by}>"
            )
        elif outcome is Outcome.OUTDATED:
            text = words.outdated_draft
        elif outcome is Outcome.STALE:
            blocks = stale_prompt(draft_id, result.problems)
            text = words.stale_draft_notice
        elif outcome is Outcome.AWAITING_SIGN_OFF:
            text = signed_notice(result.problems, actor.user_id in self.leads)
        else:
            problems = "; ".join(result.problems or (words.not_sent_unknown,))
            text = words.not_sent.format(problems=problems)
        await self.board.tell(actor.ref, actor.user_id, text, blocks)

    async def open_view(self, actor: Actor, view: Block) -> None:
        """Open a modal for the actor (the trigger id is valid for 3 seconds)."""
        try:
            await self.board.client.views_open(trigger_id=actor.trigger_id or "", view=view)
        except (SlackApiError, ClientError, TimeoutError, OSError) as exc:
            raise map_slack_error(exc, "views.open") from exc

    async def _guarded(
        self, label: str, actor: Actor | None, work: Coroutine[object, object, None]
    ) -> None:
        try:
            await work
        except Exception:  # edge: the last stop for anything a listener's work raises
            reference = error_reference()
            user = actor.user_id if actor else "-"
            log.exception("slack %s for user %s failed [%s]", label, user, reference)
            if actor is not None and actor.user_id:
                await self._tell_failure(actor, reference)

    async def _tell_failure(self, actor: Actor, reference: str) -> None:
        try:
            text = review_wording().failed_with_reference.format(reference=reference)
            await self.board.tell(actor.ref, actor.user_id, text)
        except Exception:  # edge: telling about a failure must not raise a second one
            log.warning("could not tell user %s about failure [%s]", actor.user_id, reference)


async def _nothing() -> None:
    return None


def _decided(words: ReviewWording, kind: DecisionKind) -> str:
    """How a decision is named in "Already … by …"."""
    return {
        DecisionKind.APPROVED: words.decided_approved,
        DecisionKind.EDITED: words.decided_edited,
        DecisionKind.REJECTED: words.decided_rejected,
        DecisionKind.ESCALATED: words.decided_escalated,
    }[kind]

"""Hiding a customer's public post, on a person's click: spam, insults, personal data only.

The guidelines allow hiding spam (§12), insults (§11) and personal data posted publicly
(§9); criticism is never hidden or deleted (§2), so a post triage reads as a complaint or
as sarcasm is refused even when it also insults. Every hide and unhide is recorded with who
asked, when, and the clause that allowed it.

One click, one platform call: the action is recorded (queued) and committed first, keyed
by enquiry and sequence number, so a double click or a second replica finds it and does
nothing. The platform is called outside the transaction; the action then ends done or
failed, and a failed one may simply be clicked again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.drafting.triage import Label, triage
from bot.errors import BotError
from bot.faq.files import Guidelines
from bot.models import Enquiry
from bot.ports import PostModerator
from bot.services.desk import Desk, conversation_of, load_enquiry
from bot.storage import UnitOfWork
from bot.storage.moderation import ModerationAction, ModerationKind, ModerationState
from bot.wording import review_wording

log = logging.getLogger(__name__)

# The labels that allow hiding, each with the guideline role naming its clause (in the
# shipped guidelines spam §12, abuse §11, private_message §9). Guidelines that name no
# clause for a role get the label recorded instead, so the record never cites a wrong one.
_HIDEABLE = (
    (Label.SPAM, "spam"),
    (Label.ABUSIVE, "abuse"),
    (Label.PERSONAL_DATA, "private_message"),
)
# Criticism stays visible, however it is worded (§2).
_CRITICISM = frozenset({Label.COMPLAINT, Label.SARCASM})
# The reply_target kinds that name a public post, as bot.channels.meta ("comment") and
# bot.channels.x ("tweet") set them; messages and DMs are private and cannot be hidden.
_PUBLIC_POSTS = frozenset({"comment", "tweet"})
# An action still queued this long after its click was left by a process that stopped
# while asking the platform (which answers within 15 s); the next click may act again.
ACTION_LEASE = dt.timedelta(minutes=2)
_ABANDONED = "no answer was recorded; the action was started again"


class ModerationOutcome(StrEnum):
    """How a Hide or Unhide click ended; each has a `moderation_*` message."""

    DONE = "done"  # the platform hid (or showed) the post; recorded as done
    ALREADY = "already"  # hidden / visible already, or another click is at it right now
    CRITICISM = "criticism"  # refused: a complaint or sarcasm is never hidden (§2)
    NOT_ALLOWED = "not_allowed"  # refused: no spam, insult or personal data in the post
    UNSUPPORTED = "unsupported"  # refused: the channel or the message cannot be hidden
    FAILED = "failed"  # the platform refused or was unreachable; recorded as failed


@dataclass(frozen=True)
class ModerationResult:
    """The outcome of a click, the wording key of what to tell the person, and the record.

    `action` is the recorded action for DONE and FAILED (its `last_error` says what the
    platform answered, for staff), None when nothing was recorded.
    """

    outcome: ModerationOutcome
    message_key: str
    action: ModerationAction | None = None
    conversation_id: str | None = None

    @property
    def message(self) -> str:
        """The one-line text for the person who clicked (from `prompts/review/en.yaml`)."""
        text: str = review_wording().model_dump()[self.message_key]
        return text


@dataclass(frozen=True)
class PostVisibility:
    """Whether an enquiry's post is hidden, and the action that made it so (for the card)."""

    hidden: bool
    # The newest action the platform confirmed (who, when, clause), None if none.
    last_done: ModerationAction | None
    # The newest action of any state: queued (someone is at it) or failed (try again).
    latest: ModerationAction | None

    @property
    def in_progress(self) -> bool:
        """A click is being carried out right now."""
        return self.latest is not None and self.latest.state is ModerationState.QUEUED


async def hide_post(desk: Desk, enquiry_id: str, by: str, hidden: bool = True) -> ModerationResult:
    """Hide (or, with `hidden=False`, show again) the customer's public post, once.

    Args:
        desk: The ports; `desk.moderators` names the platforms that can hide.
        enquiry_id: The enquiry whose post is meant.
        by: Who clicked (a Slack user id), recorded with the action.
        hidden: True to hide, False to unhide.

    Returns:
        DONE or FAILED with the recorded action, or a refusal (nothing called, nothing
        recorded): ALREADY, CRITICISM, NOT_ALLOWED, UNSUPPORTED.

    Raises:
        NotFoundError: No enquiry has that id.
    """
    now = desk.clock()
    async with desk.db.unit_of_work() as uow:
        enquiry = await load_enquiry(uow, enquiry_id)
        conversation = enquiry.conversation_id
        moderator = _moderator(desk, enquiry)
        if moderator is None:
            return _result(ModerationOutcome.UNSUPPORTED, "moderation_unsupported", conversation)
        clause = ""
        if hidden:
            refusal, clause = _grounds(desk.drafting.guidelines, enquiry.text)
            if refusal is not None:
                return _result(refusal, _REFUSALS[refusal], conversation)
        visibility = await _settle_abandoned(uow, enquiry_id, now)
        if visibility.in_progress and visibility.latest is not None:
            return _already(visibility.latest.kind is ModerationKind.HIDE, conversation)
        if visibility.hidden == hidden:
            return _already(hidden, conversation)
        if not hidden and visibility.last_done is not None:
            clause = visibility.last_done.clause  # the unhide undoes that hide
        kind = ModerationKind.HIDE if hidden else ModerationKind.UNHIDE
        # Numbered after the action the checks above read: one recorded since (by another
        # replica, committed a moment ago) takes that number, and this click stands down.
        after = visibility.latest.seq if visibility.latest is not None else 0
        seq = await uow.moderation.record(enquiry_id, kind, by, clause, now, after=after)
        if seq is None:  # another click or replica recorded this step first
            return _already(hidden, conversation)
        await uow.commit()
    return await _carry_out(desk, moderator, enquiry, seq, hidden)


async def post_visibility(uow: UnitOfWork, enquiry_id: str) -> PostVisibility:
    """Whether the enquiry's post is hidden, read inside the caller's unit of work."""
    last_done = await uow.moderation.latest_done(enquiry_id)
    return PostVisibility(
        hidden=last_done is not None and last_done.kind is ModerationKind.HIDE,
        last_done=last_done,
        latest=await uow.moderation.latest(enquiry_id),
    )


def offers_hide(desk: Desk, enquiry: Enquiry) -> bool:
    """Whether the card should offer "Hide" for this enquiry (before anyone clicked).

    True for a public post on a channel that can hide it, labelled spam, abusive or
    personal data, and not criticism. Unhide is offered wherever `post_visibility` says
    the post is hidden.
    """
    if _moderator(desk, enquiry) is None:
        return False
    refusal, _ = _grounds(desk.drafting.guidelines, enquiry.text)
    return refusal is None


def hide_clauses(guidelines: Guidelines, text: str) -> str | None:
    """The clauses that allow hiding `text` ("§11, §12"), or None when it may not be hidden."""
    refusal, clause = _grounds(guidelines, text)
    return clause if refusal is None else None


_REFUSALS = {
    ModerationOutcome.CRITICISM: "moderation_refused_criticism",
    ModerationOutcome.NOT_ALLOWED: "moderation_refused_not_allowed",
}


def _moderator(desk: Desk, enquiry: Enquiry) -> PostModerator | None:
    moderator = desk.moderators.get(enquiry.channel)
    if moderator is None or enquiry.reply_target.get("kind") not in _PUBLIC_POSTS:
        return None
    return moderator


def _grounds(guidelines: Guidelines, text: str) -> tuple[ModerationOutcome | None, str]:
    """A refusal, or None and the clauses that allow hiding the post."""
    labels = triage(text).labels
    if labels & _CRITICISM:
        return ModerationOutcome.CRITICISM, ""
    clauses = [
        guidelines.clause_for(role) or label.value for label, role in _HIDEABLE if label in labels
    ]
    if not clauses:
        return ModerationOutcome.NOT_ALLOWED, ""
    return None, ", ".join(clauses)


async def _settle_abandoned(uow: UnitOfWork, enquiry_id: str, now: dt.datetime) -> PostVisibility:
    """The post's visibility, after closing an action whose process stopped mid-call."""
    visibility = await post_visibility(uow, enquiry_id)
    latest = visibility.latest
    if visibility.in_progress and latest is not None and latest.requested_at <= now - ACTION_LEASE:
        # Hiding and unhiding are idempotent on both platforms: acting again is safe.
        await uow.moderation.finish(enquiry_id, latest.seq, ModerationState.FAILED, _ABANDONED, now)
        await uow.commit()
        visibility = await post_visibility(uow, enquiry_id)
    return visibility


async def _carry_out(
    desk: Desk, moderator: PostModerator, enquiry: Enquiry, seq: int, hidden: bool
) -> ModerationResult:
    """Ask the platform (no transaction open), then record how it went."""
    error: str | None = None
    try:
        await moderator.set_hidden(enquiry.reply_target, hidden)
    except BotError as exc:
        error = str(exc) or type(exc).__name__
        log.warning(
            "moderation %s of enquiry %s failed (%s)",
            "hide" if hidden else "unhide",
            enquiry.id,
            type(exc).__name__,
        )
    state = ModerationState.DONE if error is None else ModerationState.FAILED
    async with desk.db.unit_of_work() as uow:
        await uow.moderation.finish(enquiry.id, seq, state, error, desk.clock())
        await uow.card_states.mark_for_publish(conversation_of(enquiry))
        action = await uow.moderation.get(enquiry.id, seq)
        await uow.commit()
    desk.publishing_wakeup.set()  # the card shows the post's new state
    if error is not None:
        return _result(
            ModerationOutcome.FAILED, "moderation_failed", enquiry.conversation_id, action
        )
    key = "moderation_hidden" if hidden else "moderation_unhidden"
    return _result(ModerationOutcome.DONE, key, enquiry.conversation_id, action)


def _already(hidden: bool, conversation_id: str | None) -> ModerationResult:
    key = "moderation_already_hidden" if hidden else "moderation_already_visible"
    return _result(ModerationOutcome.ALREADY, key, conversation_id)


def _result(
    outcome: ModerationOutcome,
    key: str,
    conversation_id: str | None,
    action: ModerationAction | None = None,
) -> ModerationResult:
    return ModerationResult(outcome, key, action, conversation_id)

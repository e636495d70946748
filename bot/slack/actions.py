"""Bolt listeners for the buttons on review cards and on the stale-draft prompt.

Approvals are stored before the ack (well within Slack's 3 s), so a click Slack confirmed is
never lost; every other listener acks first and works after the ack. Buttons that decide or open a
deciding modal check the reviewer list before anything else, so a non-reviewer's click
changes nothing and only they see why. "Save as FAQ" on a sent card is for knowledge
editors: it opens the "Edit the FAQ" new-entry form prefilled with the question and reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import InputError, NotFoundError
from bot.review import CardStatus
from bot.services import (
    approve_draft,
    card_of_draft,
    card_of_enquiry,
    retry_delivery,
)
from bot.slack.blocks import Action, Block
from bot.slack.interaction import Actor, Body, SlackDesk, action_value, actor_of, blocked
from bot.slack.knowledge_modal import may_edit, open_new_entry_form
from bot.slack.knowledge_views import EntryForm, refusal_view
from bot.slack.modals import conversation_modal, edit_modal, escalate_modal, reject_modal
from bot.slack.modals import regenerate_modal as regenerate_view
from bot.wording import knowledge_wording, review_wording

log = logging.getLogger(__name__)

# What a button does after the ack, given the actor and the button's id value.
ClickWork = Callable[[SlackDesk, Actor, str], Coroutine[object, object, None]]
# What a deciding button stores before the ack; it returns the work that follows the ack.
Decide = Callable[[SlackDesk, Actor, str], Awaitable[Coroutine[object, object, None]]]


def register_actions(app: AsyncApp, slack: SlackDesk) -> None:
    """Attach the card button listeners to `app`."""
    works: dict[Action, ClickWork] = {
        Action.EDIT: _open_edit,
        Action.REJECT: _open_reject,
        Action.REGENERATE: _open_regenerate,
        Action.ESCALATE: _open_escalate,
        Action.RETRY: _retry,
        Action.SHOW_ALL: _show_all,
        Action.SAVE_AS_FAQ: _save_as_faq,
    }
    for action, work in works.items():
        app.action(action.value)(_listener(slack, action, work))
    for action, decide in _DECIDED_BEFORE_ACK.items():
        app.action(action.value)(_deciding_listener(slack, action, decide))


def _listener(
    slack: SlackDesk, action: Action, work: ClickWork
) -> Callable[[AsyncAck, Body], Awaitable[None]]:
    async def listener(ack: AsyncAck, body: Body) -> None:
        await ack()
        actor = actor_of(body)
        slack.after_ack(action.value, actor, work(slack, actor, action_value(body)))

    return listener


def _deciding_listener(
    slack: SlackDesk, action: Action, decide: Decide
) -> Callable[[AsyncAck, Body], Awaitable[None]]:
    async def listener(ack: AsyncAck, body: Body) -> None:
        # The approval is stored before Slack hears "ok": if we die first, Slack shows the
        # reviewer an error instead of the click vanishing.
        actor = actor_of(body)
        rest = await decide(slack, actor, action_value(body))
        await ack()
        slack.after_ack(action.value, actor, rest)

    return listener


async def _approved(
    slack: SlackDesk, actor: Actor, draft_id: str
) -> Coroutine[object, object, None]:
    """Store the approval; return what follows the ack (the card, a word to the reviewer)."""
    return await _store_approval(slack, actor, draft_id, send_anyway=False)


async def _approved_anyway(
    slack: SlackDesk, actor: Actor, draft_id: str
) -> Coroutine[object, object, None]:
    return await _store_approval(slack, actor, draft_id, send_anyway=True)


async def _store_approval(
    slack: SlackDesk, actor: Actor, draft_id: str, *, send_anyway: bool
) -> Coroutine[object, object, None]:
    return await slack.decide(
        actor,
        draft_id,
        lambda: approve_draft(
            slack.desk, draft_id, actor.user_id, send_anyway=send_anyway, publish=False
        ),
    )


# Clicks whose decision is stored before the ack, and the part that does it.
_DECIDED_BEFORE_ACK: dict[Action, Decide] = {
    Action.APPROVE: _approved,
    Action.SEND_ANYWAY: _approved_anyway,
}


async def _open_edit(slack: SlackDesk, actor: Actor, draft_id: str) -> None:
    async def view() -> Block | None:
        card = await card_of_draft(slack.desk, draft_id)
        refusal = blocked(card, draft_id)
        if refusal is not None:
            await slack.answer(actor, refusal, draft_id)
            return None
        draft = card.draft
        stale = (
            slack.desk.catalog.stale_citations(draft, slack.desk.clock().date()) if draft else []
        )
        return edit_modal(card, stale)

    await _open_deciding_modal(slack, actor, view)


async def _open_reject(slack: SlackDesk, actor: Actor, draft_id: str) -> None:
    await _open_deciding_modal(slack, actor, _undecided(slack, actor, draft_id, reject_modal))


async def _open_regenerate(slack: SlackDesk, actor: Actor, draft_id: str) -> None:
    modal = _undecided(slack, actor, draft_id, regenerate_view)
    await _open_deciding_modal(slack, actor, modal)


async def _open_escalate(slack: SlackDesk, actor: Actor, draft_id: str) -> None:
    group = slack.reviewers.group
    groups = [(group, review_wording().modal_escalate_reviewer_group)] if group else []

    async def view() -> Block:
        return escalate_modal(draft_id, groups)

    await _open_deciding_modal(slack, actor, view)


async def _retry(slack: SlackDesk, actor: Actor, draft_id: str) -> None:
    if not await slack.may_decide(actor):
        return
    try:
        await retry_delivery(slack.desk, draft_id)
    except (InputError, NotFoundError):
        # A second click, or someone else retried first: the row is no longer FAILED.
        await slack.board.tell(actor.ref, actor.user_id, review_wording().retry_not_waiting)


async def _show_all(slack: SlackDesk, actor: Actor, enquiry_id: str) -> None:
    card = await card_of_enquiry(slack.desk, enquiry_id)
    await slack.open_view(actor, conversation_modal(card))


async def _save_as_faq(slack: SlackDesk, actor: Actor, draft_id: str) -> None:
    """Open the new-entry form with the customer's question and the reply that was sent."""
    if not may_edit(slack, actor):
        log.info("user %s may not save a reply as FAQ: not a knowledge editor", actor.user_id)
        await slack.open_view(actor, refusal_view())
        return
    card = await card_of_draft(slack.desk, draft_id)
    draft = card.draft
    if draft is None or card.status is not CardStatus.SENT:
        return
    sent = (card.decision.final_text if card.decision else None) or draft.text
    question = card.messages[0].text if card.messages else ""
    form = EntryForm(question=question.strip(), answer=sent.strip())
    note = knowledge_wording().from_card
    await open_new_entry_form(slack, actor, form, draft.language, note=note)


def _undecided(
    slack: SlackDesk, actor: Actor, draft_id: str, build: Callable[[str], Block]
) -> Callable[[], Awaitable[Block | None]]:
    """A modal builder that first checks the draft is still open for a decision."""

    async def view() -> Block | None:
        refusal = blocked(await card_of_draft(slack.desk, draft_id), draft_id)
        if refusal is not None:
            await slack.answer(actor, refusal, draft_id)
            return None
        return build(draft_id)

    return view


async def _open_deciding_modal(
    slack: SlackDesk, actor: Actor, view: Callable[[], Awaitable[Block | None]]
) -> None:
    if not await slack.may_decide(actor):
        return
    modal = await view()
    if modal is not None:
        await slack.open_view(actor, modal)

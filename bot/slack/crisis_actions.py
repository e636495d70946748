"""Bolt listeners of the leads' spike alert, the statement modal, and Hide / Unhide on cards.

Only comms leads (SLACK_LEADS) edit and approve a holding statement, approve a spike's cards
in one step or end a spike; anyone else is told so and nothing changes. Hide and Unhide are
for reviewers, like every decision on a card; the service refuses criticism whatever the
button said.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.crisis.wording import crisis_wording
from bot.errors import InputError, NotFoundError
from bot.models import Language, Register
from bot.services.cards import publish_card
from bot.services.crisis import approve_batch, approve_statement, end_spike
from bot.services.moderation import hide_post
from bot.services.spike_alerts import VARIANTS, alert_of
from bot.services.spike_watch import refresh_alert
from bot.slack.alert_blocks import statement_modal
from bot.slack.blocks import INPUT_ACTION, Action, Form
from bot.slack.interaction import Actor, Body, SlackDesk, action_value, actor_of, text_at

log = logging.getLogger(__name__)

Listener = Callable[[AsyncAck, Body], Awaitable[None]]


def register_crisis(app: AsyncApp, slack: SlackDesk) -> None:
    """Attach the alert, statement and moderation listeners to `app`."""
    app.action(Action.HIDE.value)(_after_ack(slack, "hide", _hide(hidden=True)))
    app.action(Action.UNHIDE.value)(_after_ack(slack, "unhide", _hide(hidden=False)))
    app.action(Action.EDIT_STATEMENT.value)(_after_ack(slack, "statement", _open_statement))
    app.action(Action.APPROVE_BATCH.value)(_after_ack(slack, "batch", _approve_batch))
    app.action(Action.END_SPIKE.value)(_after_ack(slack, "end spike", _end_spike))

    async def statement_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        actor = actor_of(body)
        spike_id = text_at(view, "private_metadata")
        texts = {
            (language, register): text_at(view, "state", "values", key, INPUT_ACTION, "value")
            for key, language, register in VARIANTS
        }
        empty = [key for key, lang, register in VARIANTS if not texts[(lang, register)].strip()]
        if empty:
            problem = crisis_wording().modal_empty
            await ack(response_action="errors", errors=dict.fromkeys(empty, problem))
            return
        if actor.user_id not in slack.leads:
            await ack()
            slack.after_ack("statement", actor, _tell(slack, actor, crisis_wording().only_leads))
            return
        try:
            await approve_statement(slack.desk, spike_id, actor.user_id, _only_present(texts))
        except (InputError, NotFoundError) as exc:
            await ack()
            slack.after_ack("statement", actor, _tell(slack, actor, str(exc)))
            return
        await ack()  # stored before the ack: an approval Slack confirmed is never lost
        slack.after_ack("statement", actor, _refreshed(slack, spike_id))

    app.view(Form.STATEMENT.value)(statement_submitted)


Work = Callable[[SlackDesk, Actor, str], Coroutine[object, object, None]]


def _after_ack(slack: SlackDesk, label: str, work: Work) -> Listener:
    async def listener(ack: AsyncAck, body: Body) -> None:
        await ack()
        actor = actor_of(body)
        slack.after_ack(label, actor, work(slack, actor, action_value(body)))

    return listener


def _hide(*, hidden: bool) -> Work:
    async def work(slack: SlackDesk, actor: Actor, enquiry_id: str) -> None:
        if not await slack.may_decide(actor):
            return
        result = await hide_post(slack.desk, enquiry_id, actor.user_id, hidden=hidden)
        if result.conversation_id is not None:
            await publish_card(slack.desk, result.conversation_id)
        await slack.board.tell(actor.ref, actor.user_id, result.message)

    return work


async def _open_statement(slack: SlackDesk, actor: Actor, spike_id: str) -> None:
    if not await _is_lead(slack, actor):
        return
    async with slack.desk.db.unit_of_work() as uow:
        spike = await uow.spikes.get(spike_id)
        alert = await alert_of(uow, slack.desk, spike) if spike is not None else None
    if alert is None or alert.ended:
        await slack.board.tell(actor.ref, actor.user_id, crisis_wording().spike_over)
        return
    await slack.open_view(actor, statement_modal(alert))


async def _approve_batch(slack: SlackDesk, actor: Actor, spike_id: str) -> None:
    if not await _is_lead(slack, actor):
        return
    try:
        result = await approve_batch(slack.desk, spike_id, actor.user_id)
    except (InputError, NotFoundError):
        await slack.board.tell(actor.ref, actor.user_id, crisis_wording().statement_first)
        return
    text = crisis_wording().batch_done.format(approved=result.approved, skipped=result.skipped)
    await slack.board.tell(actor.ref, actor.user_id, text)
    await refresh_alert(slack.desk, spike_id)


async def _end_spike(slack: SlackDesk, actor: Actor, spike_id: str) -> None:
    if not await _is_lead(slack, actor):
        return
    await end_spike(slack.desk, spike_id)
    await refresh_alert(slack.desk, spike_id)


async def _is_lead(slack: SlackDesk, actor: Actor) -> bool:
    if actor.user_id in slack.leads:
        return True
    log.info("user %s may not act on a spike: not a lead", actor.user_id)
    await slack.board.tell(actor.ref, actor.user_id, crisis_wording().only_leads)
    return False


async def _tell(slack: SlackDesk, actor: Actor, text: str) -> None:
    await slack.board.tell(actor.ref, actor.user_id, text)


async def _refreshed(slack: SlackDesk, spike_id: str) -> None:
    await refresh_alert(slack.desk, spike_id)


def _only_present(
    texts: dict[tuple[Language, Register | None], str],
) -> dict[tuple[Language, Register | None], str]:
    return {key: text.strip() for key, text in texts.items()}

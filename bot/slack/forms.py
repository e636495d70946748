"""Bolt listeners for modal submissions: edit, reject, regenerate and escalate.

Field problems (an empty or over-long reply, a missing reason) are answered in the ack
itself with `response_action="errors"`, so the modal stays open and shows them. Everything
else is acknowledged at once; the decision runs after the ack, after the reviewer check.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services import (
    approve_draft,
    escalate_conversation,
    regenerate_draft,
    reject_draft,
)
from bot.slack.blocks import INPUT_ACTION, Field, Form
from bot.slack.interaction import Actor, Body, SlackDesk, actor_of, text_at
from bot.slack.modals import EditMetadata, RejectReason
from bot.wording import review_wording

_NOTE_LIMIT = 500
_STATE = ("state", "values")  # where a submitted view keeps its inputs


def register_forms(app: AsyncApp, slack: SlackDesk) -> None:
    """Attach the modal submission listeners to `app`."""

    async def edit_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        words = review_wording()
        metadata = EditMetadata.decode(text_at(view, "private_metadata"))
        text = (_value(view, Field.REPLY) or "").strip()
        if not text:
            problem = words.form_reply_empty
        elif len(text) > metadata.max_length:
            problem = words.form_reply_too_long.format(
                length=len(text),
                channel=metadata.channel or words.form_unknown_channel,
                limit=metadata.max_length,
            )
        else:
            await ack()
            actor = actor_of(body)
            slack.after_ack("edit", actor, _approve_edited(slack, actor, metadata, text))
            return
        await ack(response_action="errors", errors={Field.REPLY.value: problem})

    async def reject_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        words = review_wording()
        reason_value = _selected(view, Field.REASON)
        note = (_value(view, Field.NOTE) or "").strip()[:_NOTE_LIMIT]
        if reason_value not in {reason.value for reason in RejectReason}:
            await ack(response_action="errors", errors={Field.REASON.value: words.form_pick_reason})
            return
        reason = RejectReason(reason_value)
        if reason is RejectReason.OTHER and not note:
            await ack(response_action="errors", errors={Field.NOTE.value: words.form_say_why})
            return
        await ack()
        text = (
            words.reason_with_note.format(reason=reason.label, note=note) if note else reason.label
        )
        actor = actor_of(body)
        draft_id = text_at(view, "private_metadata")
        slack.after_ack("reject", actor, _reject(slack, actor, draft_id, text))

    async def regenerate_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        await ack()
        hint = (_value(view, Field.HINT) or "").strip() or None
        actor = actor_of(body)
        draft_id = text_at(view, "private_metadata")
        slack.after_ack("regenerate", actor, _regenerate(slack, actor, draft_id, hint))

    async def escalate_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        user = text_at(view, *_STATE, Field.USER.value, INPUT_ACTION, "selected_user")
        group = _selected(view, Field.GROUP)
        if bool(user) == bool(group):
            words = review_wording()
            problem = words.form_pick_one_assignee if user else words.form_pick_an_assignee
            await ack(response_action="errors", errors={Field.USER.value: problem})
            return
        await ack()
        assignee = f"<@{user}>" if user else f"<!subteam^{group}>"
        actor = actor_of(body)
        draft_id = text_at(view, "private_metadata")
        slack.after_ack("escalate", actor, _escalate(slack, actor, draft_id, assignee))

    app.view(Form.EDIT.value)(edit_submitted)
    app.view(Form.REJECT.value)(reject_submitted)
    app.view(Form.REGENERATE.value)(regenerate_submitted)
    app.view(Form.ESCALATE.value)(escalate_submitted)


async def _approve_edited(
    slack: SlackDesk, actor: Actor, metadata: EditMetadata, text: str
) -> None:
    if await slack.may_decide(actor):
        result = await approve_draft(
            slack.desk,
            metadata.draft_id,
            actor.user_id,
            final_text=text,
            send_anyway=metadata.send_anyway,
        )
        await slack.answer(actor, result, metadata.draft_id)


async def _reject(slack: SlackDesk, actor: Actor, draft_id: str, reason: str) -> None:
    if await slack.may_decide(actor):
        result = await reject_draft(slack.desk, draft_id, actor.user_id, reason)
        await slack.answer(actor, result, draft_id)


async def _regenerate(slack: SlackDesk, actor: Actor, draft_id: str, hint: str | None) -> None:
    if await slack.may_decide(actor):
        result = await regenerate_draft(slack.desk, draft_id, hint)
        await slack.answer(actor, result, draft_id)


async def _escalate(slack: SlackDesk, actor: Actor, draft_id: str, assignee: str) -> None:
    if await slack.may_decide(actor):
        result = await escalate_conversation(slack.desk, draft_id, actor.user_id, assignee)
        await slack.answer(actor, result, draft_id)


def _value(view: Body, field: Field) -> str | None:
    return text_at(view, *_STATE, field.value, INPUT_ACTION, "value") or None


def _selected(view: Body, field: Field) -> str | None:
    return text_at(view, *_STATE, field.value, INPUT_ACTION, "selected_option", "value") or None

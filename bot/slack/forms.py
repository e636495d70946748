"""Bolt listeners for modal submissions: edit, reject, regenerate and escalate.

Field problems (an empty or over-long reply, a missing reason) are answered in the ack
itself with `response_action="errors"`, so the modal stays open and shows them. Otherwise
the decision (after the reviewer check) is stored before the ack, so a submission Slack
confirmed is never lost; the card, drafting and any word to the reviewer follow the ack.
"""

from __future__ import annotations

from collections.abc import Coroutine

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services import (
    ActionResult,
    Outcome,
    announce_escalation,
    approve_draft,
    draft_conversation,
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
            actor = actor_of(body)
            rest = await _approve_edited(slack, actor, metadata, text)
            await ack()
            slack.after_ack("edit", actor, rest)
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
        text = (
            words.reason_with_note.format(reason=reason.label, note=note) if note else reason.label
        )
        actor = actor_of(body)
        draft_id = text_at(view, "private_metadata")
        rest = await slack.decide(
            actor,
            draft_id,
            lambda: reject_draft(slack.desk, draft_id, actor.user_id, text, publish=False),
        )
        await ack()
        slack.after_ack("reject", actor, rest)

    async def regenerate_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        hint = (_value(view, Field.HINT) or "").strip() or None
        actor = actor_of(body)
        draft_id = text_at(view, "private_metadata")

        async def draft_now(result: ActionResult) -> None:
            if result.outcome is Outcome.DONE and result.conversation_id is not None:
                await draft_conversation(slack.desk, result.conversation_id)

        rest = await slack.decide(
            actor,
            draft_id,
            lambda: regenerate_draft(slack.desk, draft_id, hint, draft_now=False),
            then=draft_now,
        )
        await ack()
        slack.after_ack("regenerate", actor, rest)

    async def escalate_submitted(ack: AsyncAck, body: Body, view: Body) -> None:
        user = text_at(view, *_STATE, Field.USER.value, INPUT_ACTION, "selected_user")
        group = _selected(view, Field.GROUP)
        if bool(user) == bool(group):
            words = review_wording()
            problem = words.form_pick_one_assignee if user else words.form_pick_an_assignee
            await ack(response_action="errors", errors={Field.USER.value: problem})
            return
        assignee = f"<@{user}>" if user else f"<!subteam^{group}>"
        actor = actor_of(body)
        draft_id = text_at(view, "private_metadata")

        async def announce(result: ActionResult) -> None:
            if result.conversation_id is not None:
                await announce_escalation(
                    slack.desk, result.conversation_id, actor.user_id, assignee
                )

        rest = await slack.decide(
            actor,
            draft_id,
            lambda: escalate_conversation(
                slack.desk, draft_id, actor.user_id, assignee, announce=False
            ),
            then=announce,
        )
        await ack()
        slack.after_ack("escalate", actor, rest)

    app.view(Form.EDIT.value)(edit_submitted)
    app.view(Form.REJECT.value)(reject_submitted)
    app.view(Form.REGENERATE.value)(regenerate_submitted)
    app.view(Form.ESCALATE.value)(escalate_submitted)


async def _approve_edited(
    slack: SlackDesk, actor: Actor, metadata: EditMetadata, text: str
) -> Coroutine[object, object, None]:
    return await slack.decide(
        actor,
        metadata.draft_id,
        lambda: approve_draft(
            slack.desk,
            metadata.draft_id,
            actor.user_id,
            final_text=text,
            send_anyway=metadata.send_anyway,
            publish=False,
        ),
    )


def _value(view: Body, field: Field) -> str | None:
    return text_at(view, *_STATE, field.value, INPUT_ACTION, "value") or None


def _selected(view: Body, field: Field) -> str | None:
    return text_at(view, *_STATE, field.value, INPUT_ACTION, "selected_option", "value") or None

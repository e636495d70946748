"""Pure Block Kit modals and ephemeral prompts of the review flow (edit, reject, ...).

Like `bot.slack.blocks`, nothing here does I/O and every word comes from `bot.wording`.
Modals carry the draft id in `private_metadata`; the edit modal also carries whether the
reviewer was warned that the cited knowledge changed, because submitting it after that
warning means "send anyway".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import InputError
from bot.review import ReviewCard
from bot.slack.blocks import (
    INPUT_ACTION,
    MAX_SECTION_TEXT,
    Action,
    Block,
    Field,
    Form,
    button,
    channel_name,
    clip,
    context,
    escape,
    input_block,
    option,
    quote,
    section,
)
from bot.wording import review_wording

MAX_VIEW_BLOCKS = 100  # modals allow more blocks than messages
_MAX_TITLE = 24
_MAX_HINT = 300


class RejectReason(StrEnum):
    """Why a draft was rejected; the card shows the label."""

    WRONG_FACTS = "wrong_facts"
    WRONG_TONE = "wrong_tone"
    SHOULD_NOT_ANSWER = "should_not_answer"
    DUPLICATE = "duplicate"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The reason as reviewers read it."""
        words = review_wording()
        return {
            RejectReason.WRONG_FACTS: words.reason_wrong_facts,
            RejectReason.WRONG_TONE: words.reason_wrong_tone,
            RejectReason.SHOULD_NOT_ANSWER: words.reason_should_not_answer,
            RejectReason.DUPLICATE: words.reason_duplicate,
            RejectReason.OTHER: words.reason_other,
        }[self]


@dataclass(frozen=True)
class EditMetadata:
    """What the edit modal remembers between opening and submission."""

    draft_id: str
    send_anyway: bool = False
    # The channel's length limit, so the submission is checked without a database read
    # inside Slack's 3 seconds (approval checks it again).
    max_length: int = 1000
    channel: str = ""

    def encode(self) -> str:
        """Serialise into a view's private_metadata."""
        return json.dumps(
            {
                "draft_id": self.draft_id,
                "send_anyway": self.send_anyway,
                "max_length": self.max_length,
                "channel": self.channel,
            }
        )

    @classmethod
    def decode(cls, raw: str) -> EditMetadata:
        """Read it back from a view submission.

        Raises:
            InputError: The metadata is not what `encode` wrote.
        """
        try:
            data = json.loads(raw)
            return cls(
                str(data["draft_id"]),
                bool(data.get("send_anyway", False)),
                int(data.get("max_length", 1000)),
                str(data.get("channel", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError("edit modal metadata is unreadable") from exc


def edit_modal(card: ReviewCard, stale: Sequence[str] = ()) -> Block:
    """The edit modal, prefilled with the current draft.

    Args:
        card: The card whose draft is edited; it must have a draft.
        stale: Problems with the cited knowledge; when given, the modal warns that
            submitting sends anyway.
    """
    if card.draft is None:
        raise InputError("there is no draft to edit")
    words = review_wording()
    blocks: list[Block] = [
        context(
            words.modal_edit_hint.format(channel=channel_name(card.channel), limit=card.max_length)
        )
    ]
    if stale:
        blocks.append(section(f"{_stale_text(stale)}\n{words.modal_edit_stale_note}"))
    element: Block = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "multiline": True,
    }
    if card.draft.text.strip():
        element["initial_value"] = clip(card.draft.text, MAX_SECTION_TEXT)
    blocks.append(_input(Field.REPLY, words.modal_edit_reply_label, element))
    metadata = EditMetadata(card.draft.id, bool(stale), card.max_length, channel_name(card.channel))
    return _modal(
        Form.EDIT, words.modal_edit_title, blocks, metadata.encode(), submit=words.modal_edit_submit
    )


def reject_modal(draft_id: str) -> Block:
    """The reject modal: a reason (required) and a note (optional, required for "other")."""
    words = review_wording()
    options = [option(reason.label, reason.value) for reason in RejectReason]
    reason: Block = {"type": "static_select", "action_id": INPUT_ACTION, "options": options}
    note: Block = {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True}
    blocks = [
        _input(Field.REASON, words.modal_reject_reason_label, reason),
        _input(Field.NOTE, words.modal_reject_note_label, note, optional=True),
    ]
    return _modal(
        Form.REJECT, words.modal_reject_title, blocks, draft_id, submit=words.modal_reject_submit
    )


def regenerate_modal(draft_id: str) -> Block:
    """The regenerate modal: an optional hint for the drafter."""
    words = review_wording()
    hint: Block = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "max_length": _MAX_HINT,
        "placeholder": {"type": "plain_text", "text": words.modal_regenerate_hint_placeholder},
    }
    blocks = [_input(Field.HINT, words.modal_regenerate_hint_label, hint, optional=True)]
    return _modal(
        Form.REGENERATE,
        words.modal_regenerate_title,
        blocks,
        draft_id,
        submit=words.modal_regenerate_submit,
    )


def escalate_modal(draft_id: str, groups: Sequence[tuple[str, str]] = ()) -> Block:
    """The escalate modal: pick a person, or one of the configured user groups.

    Args:
        draft_id: The draft of the conversation being handed over.
        groups: (usergroup id, label) pairs offered next to the people picker.
    """
    words = review_wording()
    person: Block = {"type": "users_select", "action_id": INPUT_ACTION}
    blocks = [_input(Field.USER, words.modal_escalate_person_label, person, optional=bool(groups))]
    if groups:
        options = [option(label, group_id) for group_id, label in groups]
        group: Block = {"type": "static_select", "action_id": INPUT_ACTION, "options": options}
        blocks.append(_input(Field.GROUP, words.modal_escalate_group_label, group, optional=True))
        blocks.append(context(words.modal_escalate_hint))
    return _modal(
        Form.ESCALATE,
        words.modal_escalate_title,
        blocks,
        draft_id,
        submit=words.modal_escalate_submit,
    )


def conversation_modal(card: ReviewCard) -> Block:
    """Every customer message of the conversation in full (the card's "Show all")."""
    words = review_wording()
    blocks: list[Block] = []
    for message in card.messages:
        text = escape(message.text)
        meta = words.modal_conversation_message_meta.format(
            received=message.received_at, kind=message.kind
        )
        blocks.append(context(meta))
        blocks += [section(quote(part)) for part in _chunks(text, MAX_SECTION_TEXT - 200)]
    if len(blocks) > MAX_VIEW_BLOCKS:
        note = section(words.modal_conversation_too_long)
        blocks = [*blocks[: MAX_VIEW_BLOCKS - 1], note]
    return _modal(Form.CONVERSATION, words.modal_conversation_title, blocks, card.conversation_id)


def stale_prompt(draft_id: str, problems: Sequence[str]) -> list[Block]:
    """Ephemeral blocks when approving a draft whose cited knowledge changed."""
    words = review_wording()
    actions: Block = {
        "type": "actions",
        "block_id": "stale.actions",
        "elements": [
            button(words.button_regenerate, Action.REGENERATE, draft_id, "primary"),
            button(words.button_send_anyway, Action.SEND_ANYWAY, draft_id, "danger"),
        ],
    }
    return [section(f"{_stale_text(problems)}\n{words.stale_nothing_sent}"), actions]


def _chunks(text: str, size: int) -> list[str]:
    """Split `text` into pieces of at most `size` characters, at a space where possible."""
    parts = []
    while len(text) > size:
        cut = max(text.rfind(" ", 0, size), text.rfind("\n", 0, size)) + 1
        cut = cut if cut > size // 2 else size
        parts.append(text[:cut])
        text = text[cut:]
    return [*parts, text]


def _stale_text(problems: Sequence[str]) -> str:
    lines = "\n".join(f"• {escape(problem)}" for problem in problems)
    return f"{review_wording().stale_knowledge}\n{lines}"


def _input(field: StrEnum, label: str, element: Block, optional: bool = False) -> Block:
    return input_block(field.value, label, element, optional)


def _modal(
    form: Form, title: str, blocks: list[Block], metadata: str, submit: str | None = None
) -> Block:
    words = review_wording()
    close = words.modal_cancel if submit else words.modal_close
    view: Block = {
        "type": "modal",
        "callback_id": form.value,
        "title": {"type": "plain_text", "text": clip(title, _MAX_TITLE)},
        "close": {"type": "plain_text", "text": close},
        "private_metadata": metadata,
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if submit is not None:
        view["submit"] = {"type": "plain_text", "text": clip(submit, _MAX_TITLE)}
    return view

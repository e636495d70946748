"""Pure Block Kit modals and ephemeral prompts of the review flow (edit, reject, ...).

Like `bot.slack.blocks`, nothing here does I/O. Modals carry the draft id in
`private_metadata`; the edit modal also carries whether the reviewer was warned that the
cited knowledge changed, because submitting it after that warning means "send anyway".
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
    quote,
    section,
)

MAX_VIEW_BLOCKS = 100  # modals allow more blocks than messages
_MAX_TITLE = 24
_MAX_OPTION_TEXT = 75
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
        return self.value.replace("_", " ").capitalize()


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
    blocks: list[Block] = [
        context(
            f"Reply on {channel_name(card.channel)}: up to {card.max_length} characters. "
            "Submitting approves and sends it; the original draft is kept."
        )
    ]
    if stale:
        blocks.append(section(_stale_text(stale) + "\nSubmitting sends your text anyway."))
    element: Block = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "multiline": True,
    }
    if card.draft.text.strip():
        element["initial_value"] = clip(card.draft.text, MAX_SECTION_TEXT)
    blocks.append(_input(Field.REPLY, "Reply", element))
    metadata = EditMetadata(card.draft.id, bool(stale), card.max_length, channel_name(card.channel))
    return _modal(Form.EDIT, "Edit reply", blocks, metadata.encode(), submit="Approve & send")


def reject_modal(draft_id: str) -> Block:
    """The reject modal: a reason (required) and a note (optional, required for "other")."""
    options = [_option(reason.label, reason.value) for reason in RejectReason]
    reason: Block = {"type": "static_select", "action_id": INPUT_ACTION, "options": options}
    note: Block = {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True}
    blocks = [
        _input(Field.REASON, "Reason", reason),
        _input(Field.NOTE, "Note", note, optional=True),
    ]
    return _modal(Form.REJECT, "Reject draft", blocks, draft_id, submit="Reject")


def regenerate_modal(draft_id: str) -> Block:
    """The regenerate modal: an optional hint for the drafter."""
    hint: Block = {
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "max_length": _MAX_HINT,
        "placeholder": {"type": "plain_text", "text": 'e.g. "shorter", "mention the refund form"'},
    }
    blocks = [_input(Field.HINT, "Hint for the drafter", hint, optional=True)]
    return _modal(Form.REGENERATE, "Regenerate draft", blocks, draft_id, submit="Regenerate")


def escalate_modal(draft_id: str, groups: Sequence[tuple[str, str]] = ()) -> Block:
    """The escalate modal: pick a person, or one of the configured user groups.

    Args:
        draft_id: The draft of the conversation being handed over.
        groups: (usergroup id, label) pairs offered next to the people picker.
    """
    person: Block = {"type": "users_select", "action_id": INPUT_ACTION}
    blocks = [_input(Field.USER, "Person", person, optional=bool(groups))]
    if groups:
        options = [_option(label, group_id) for group_id, label in groups]
        group: Block = {"type": "static_select", "action_id": INPUT_ACTION, "options": options}
        blocks.append(_input(Field.GROUP, "…or user group", group, optional=True))
        blocks.append(context("Pick one person or one group."))
    return _modal(Form.ESCALATE, "Escalate", blocks, draft_id, submit="Escalate")


def conversation_modal(card: ReviewCard) -> Block:
    """Every customer message of the conversation in full (the card's "Show all")."""
    blocks: list[Block] = []
    for message in card.messages:
        text = escape(message.text)
        stamp = message.received_at.strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(context(f"{stamp} · {message.kind}"))
        blocks += [section(quote(part)) for part in _chunks(text, MAX_SECTION_TEXT - 200)]
    if len(blocks) > MAX_VIEW_BLOCKS:
        note = section("_The conversation is too long to show in full here._")
        blocks = [*blocks[: MAX_VIEW_BLOCKS - 1], note]
    return _modal(Form.CONVERSATION, "Conversation", blocks, card.conversation_id)


def stale_prompt(draft_id: str, problems: Sequence[str]) -> list[Block]:
    """Ephemeral blocks when approving a draft whose cited knowledge changed."""
    actions: Block = {
        "type": "actions",
        "block_id": "stale.actions",
        "elements": [
            button("Regenerate", Action.REGENERATE, draft_id, "primary"),
            button("Send anyway", Action.SEND_ANYWAY, draft_id, "danger"),
        ],
    }
    return [section(_stale_text(problems) + "\nNothing was sent."), actions]


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
    return f":warning: The FAQ entries this draft cites changed since it was drafted:\n{lines}"


def _input(field: Field, label: str, element: Block, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": field.value,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }


def _option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": clip(text, _MAX_OPTION_TEXT)}, "value": value}


def _modal(
    form: Form, title: str, blocks: list[Block], metadata: str, submit: str | None = None
) -> Block:
    view: Block = {
        "type": "modal",
        "callback_id": form.value,
        "title": {"type": "plain_text", "text": clip(title, _MAX_TITLE)},
        "close": {"type": "plain_text", "text": "Cancel" if submit else "Close"},
        "private_metadata": metadata,
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if submit is not None:
        view["submit"] = {"type": "plain_text", "text": clip(submit, _MAX_TITLE)}
    return view

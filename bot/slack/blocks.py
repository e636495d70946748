"""Pure Block Kit rendering of a review card, and every Slack action id in one place.

Nothing here does I/O: a `ReviewCard` goes in, JSON-ready blocks come out, worded by
`bot.wording` (read once). Slack's limits are enforced here, not by whoever posts the
blocks: at most 50 blocks a message, section text up to 3,000 characters, header text up
to 150. Customer text is escaped (a customer writing "<!channel>" must not ping the review
channel) and long messages are cut with a "Show all" button that opens the whole
conversation in a modal.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.drafting.pipeline import TEXT_TRUNCATED
from bot.faq.response_targets import TargetState
from bot.models import Channel, DecisionKind, DraftAction, Language
from bot.review import CardStatus, ReviewCard, duration_text
from bot.slack.card_lines import moderation_line, sign_off_lines, urgency_lines
from bot.wording import ReviewWording, review_wording

# A Block Kit block or element as plain JSON data.
Block = dict[str, object]

MAX_BLOCKS = 50  # per message; Slack answers invalid_blocks above it
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_OPTION_TEXT = 75  # a select option's text
# Cards stay readable: each customer message shows this much, "Show all" shows the rest.
MESSAGE_EXCERPT = 1000
_ERROR_EXCERPT = 500


class Action(StrEnum):
    """Action ids of every button ReplyDesk puts on a card or in an ephemeral message."""

    APPROVE = "draft.approve"
    EDIT = "draft.edit"
    REJECT = "draft.reject"
    REGENERATE = "draft.regenerate"
    ESCALATE = "draft.escalate"
    SEND_ANYWAY = "draft.send_anyway"
    RETRY = "delivery.retry"
    SHOW_ALL = "card.show_all"
    SAVE_AS_FAQ = "draft.save_as_faq"  # a sent card: knowledge editors turn it into an entry
    HIDE = "post.hide"  # spam, insults, personal data: hide the customer's post (value: enquiry)
    UNHIDE = "post.unhide"
    EDIT_STATEMENT = "spike.edit_statement"  # the leads' alert (value: spike id)
    APPROVE_BATCH = "spike.approve_batch"
    END_SPIKE = "spike.end"


class Form(StrEnum):
    """Callback ids of the modals; a submission is routed by these."""

    EDIT = "draft.edit_form"
    REJECT = "draft.reject_form"
    REGENERATE = "draft.regenerate_form"
    ESCALATE = "draft.escalate_form"
    CONVERSATION = "card.conversation"
    STATEMENT = "spike.statement_form"


class Field(StrEnum):
    """Block ids of modal inputs; each input's action id is `INPUT_ACTION`."""

    REPLY = "reply"
    REASON = "reason"
    NOTE = "note"
    HINT = "hint"
    USER = "assignee_user"
    GROUP = "assignee_group"


INPUT_ACTION = "value"
SHORTCUT_DRAFT = "replydesk.draft_from_message"


def escape(text: str) -> str:
    """Escape text for Slack mrkdwn so it can never mention, link or format anything."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str) -> str:
    """Escape `text` and show it as a mrkdwn block quote."""
    return "\n".join(f">{line}" for line in escape(text).splitlines() or [""])


def section(text: str, accessory: Block | None = None) -> Block:
    """A mrkdwn section, cut to Slack's 3,000-character limit."""
    block: Block = {"type": "section", "text": _mrkdwn(clip(text, MAX_SECTION_TEXT))}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def input_block(block_id: str, label: str, element: Block, optional: bool = False) -> Block:
    """A modal's input block: a labelled element whose value arrives under `block_id`."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }


def option(text: str, value: str) -> Block:
    """One choice of a select menu."""
    return {"text": {"type": "plain_text", "text": clip(text, MAX_OPTION_TEXT)}, "value": value}


def context(text: str) -> Block:
    """A context block (small grey text) with one mrkdwn element."""
    return {"type": "context", "elements": [_mrkdwn(clip(text, MAX_SECTION_TEXT))]}


def button(label: str, action: Action, value: str, style: str | None = None) -> Block:
    """A button whose value carries only an id (a draft or, for "Show all", an enquiry)."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(label, MAX_BUTTON_TEXT)},
        "action_id": action.value,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def card_url(slack_channel: str | None, message_ts: str | None) -> str:
    """A link to a card's message (Slack resolves it in the reader's own workspace)."""
    return f"https://slack.com/archives/{slack_channel}/p{(message_ts or '').replace('.', '')}"


def channel_name(channel: Channel) -> str:
    """How a channel is named to reviewers."""
    words = review_wording()
    names = {
        Channel.TELEGRAM: words.channel_telegram,
        Channel.FACEBOOK: words.channel_facebook,
        Channel.INSTAGRAM: words.channel_instagram,
        Channel.X: words.channel_x,
        Channel.SLACK: words.channel_slack,
        Channel.WEBHOOK: words.channel_webhook,
    }
    return names.get(channel, channel.value)


def status_line(card: ReviewCard) -> str:
    """The line that says where the conversation stands (who owns it, how long it waits)."""
    words = review_wording()
    line = _static_status(words, card.status) or _decided_status(words, card)
    wait = wait_line(card)
    if wait:
        line += " · " + wait
    if card.owner:
        line += "\n" + words.status_owner.format(owner=card.owner)
    return line


def wait_line(card: ReviewCard) -> str | None:
    """How long the customer has waited against the target, e.g. "⏱ 42 min of 60 min".

    Returns:
        None when the card shows no wait (decided, or no target for its channel).
    """
    if card.wait is None:
        return None
    words = review_wording()
    template = {
        TargetState.ON_TRACK: words.wait_on_track,
        TargetState.AT_RISK: words.wait_at_risk,
        TargetState.OVERDUE: words.wait_overdue,
    }[card.wait.state]
    return template.format(
        age=duration_text(card.wait.age_seconds), target=duration_text(card.wait.target_seconds)
    )


def _static_status(words: ReviewWording, status: CardStatus) -> str | None:
    return {
        CardStatus.DRAFTING: words.status_drafting,
        CardStatus.DRAFTING_DELAYED: words.status_drafting_delayed,
        CardStatus.AWAITING_REVIEW: words.status_awaiting_review,
        CardStatus.OUTCOME_UNKNOWN: words.status_outcome_unknown,
    }.get(status)


def _decided_status(words: ReviewWording, card: ReviewCard) -> str:
    decision, delivery = card.decision, card.delivery
    by = f"<@{decision.decided_by}>" if decision else words.status_unknown_reviewer
    if card.status is CardStatus.REJECTED:
        no_reason = words.status_no_reason
        reason = escape(decision.reason or no_reason) if decision else no_reason
        return words.status_rejected.format(by=by, reason=reason)
    edited = decision is not None and decision.kind is DecisionKind.EDITED
    approved = (words.status_approved_with_edits if edited else words.status_approved).format(by=by)
    if card.status is CardStatus.SENT:
        unknown_id = words.status_unknown_message_id
        message_id = escape(delivery.external_message_id or unknown_id) if delivery else unknown_id
        return words.status_sent.format(message_id=message_id, approved=approved)
    if card.status is CardStatus.DELIVERY_FAILED:
        error = (
            delivery.last_error if delivery and delivery.last_error else words.status_unknown_error
        )
        return words.status_delivery_failed.format(
            error=escape(clip(error, _ERROR_EXCERPT)), approved=approved
        )
    return words.status_sending.format(approved=approved)


def fallback_text(card: ReviewCard) -> str:
    """The notification text of the card message (shown where blocks are not)."""
    words = review_wording()
    name = clip(card.author_name or words.card_notification_unnamed, 80)
    return words.card_notification.format(
        name=escape(name), channel=channel_name(card.channel), status=card.status.value
    )


def build_review_blocks(card: ReviewCard) -> list[Block]:
    """Render a review card as at most 50 blocks.

    Args:
        card: The conversation as the database holds it now.

    Returns:
        Blocks for chat.postMessage / chat.update, within Slack's limits.
    """
    head: list[Block] = [_header(card), context(_facts(card))]
    urgent = urgency_lines(card)
    if urgent:
        head.append(section("\n".join(urgent)))
    tail: list[Block] = [{"type": "divider"}, *_draft_blocks(card), *_knowledge_blocks(card)]
    signing = [*sign_off_lines(card), *filter(None, [moderation_line(card)])]
    tail += [section("\n".join([status_line(card), *signing]))]
    buttons = _buttons(card)
    if buttons:
        tail.append({"type": "actions", "block_id": "card.actions", "elements": buttons})
    budget = MAX_BLOCKS - len(head) - len(tail)
    blocks = [*head, *_message_blocks(card, budget), *tail]
    if len(blocks) > MAX_BLOCKS:  # cannot happen with the reserve above; never post it
        raise ValueError(f"review card has {len(blocks)} blocks; Slack allows {MAX_BLOCKS}")
    return blocks


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _header(card: ReviewCard) -> Block:
    words = review_wording()
    name = card.author_name or words.card_header_unnamed
    text = clip(
        words.card_header.format(name=name, channel=channel_name(card.channel)), MAX_HEADER_TEXT
    )
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _facts(card: ReviewCard) -> str:
    words = review_wording()
    facts = [
        f"*{channel_name(card.channel)}*",
        words.facts_messages.format(count=len(card.messages)),
    ]
    draft = card.draft
    if draft is not None:
        languages = {Language.DE: words.language_de, Language.EN: words.language_en}
        suggestions = {
            DraftAction.REVIEW: words.suggestion_review,
            DraftAction.ESCALATE: words.suggestion_escalate,
            DraftAction.IGNORE: words.suggestion_ignore,
        }
        facts += [
            words.facts_language.format(
                language=languages.get(draft.language, draft.language.value)
            ),
            words.facts_confidence.format(confidence=draft.confidence),
            words.facts_suggested.format(
                suggestion=suggestions.get(draft.action, draft.action.value)
            ),
        ]
        if draft.flags:
            labels = ", ".join(f"`{escape(flag)}`" for flag in draft.flags)
            facts.append(words.facts_labels.format(labels=labels))
        if TEXT_TRUNCATED in draft.flags:
            facts.append(words.label_text_truncated)
    return " · ".join(facts)


def _message_blocks(card: ReviewCard, budget: int) -> list[Block]:
    """Quote every customer message; beyond the block budget, the newest ones win."""
    root = card.root_enquiry_id
    messages = list(card.messages)
    hidden = 0
    if len(messages) > budget:
        hidden = len(messages) - (budget - 1)
        messages = [messages[0], *messages[hidden + 1 :]]
    words = review_wording()
    blocks: list[Block] = []
    for index, message in enumerate(messages):
        text = message.text if message.kind == "text" else f"[{message.kind}] {message.text}"
        excerpt = clip(text, MESSAGE_EXCERPT)
        more = (
            button(words.button_show_all, Action.SHOW_ALL, message.enquiry_id)
            if excerpt != text
            else None
        )
        blocks.append(section(quote(excerpt), more))
        if index == 0 and hidden:
            blocks.append(
                section(
                    words.card_hidden_messages.format(hidden=hidden),
                    button(words.button_show_all, Action.SHOW_ALL, root),
                )
            )
    return blocks


def _draft_blocks(card: ReviewCard) -> list[Block]:
    draft, decision = card.draft, card.decision
    if draft is None:
        return []
    words = review_wording()
    heading = words.card_draft_heading.format(revision=draft.revision)
    blocks = [section(f"{heading}\n{_body(draft.text)}")]
    if draft.private_followup:
        # Not sent by Approve: personal data belongs in a direct message a person sends.
        blocks.append(
            section(f"{words.card_private_followup_heading}\n{_body(draft.private_followup)}")
        )
    final = decision.final_text if decision else None
    if decision and decision.kind is DecisionKind.EDITED and final is not None:
        blocks.append(section(f"{words.card_edited_reply_heading}\n{_body(final)}"))
    sent_text = final if final is not None else draft.text
    count = len(sent_text.strip())
    if card.channel is Channel.X or count > card.max_length:
        length = words.card_length_too_long if count > card.max_length else words.card_length
        blocks.append(context(length.format(count=count, limit=card.max_length)))
    return blocks


def _body(text: str) -> str:
    if not text.strip():
        return review_wording().card_empty_draft
    return escape(clip(text, MAX_SECTION_TEXT - 100))


def _knowledge_blocks(card: ReviewCard) -> list[Block]:
    words = review_wording()
    lines = []
    if card.cited:
        entries = "; ".join(f"{escape(q)} (`{escape(i)}`)" for i, q in card.cited)
        lines.append(words.card_faq.format(entries=entries))
    if card.clauses:
        clauses = "; ".join(f"{escape(i)} {escape(t)}".strip() for i, t in card.clauses)
        lines.append(words.card_guidelines.format(clauses=clauses))
    return [context("\n".join(lines))] if lines else []


def _buttons(card: ReviewCard) -> list[Block]:
    return [*_review_buttons(card), *_moderation_buttons(card)]


def _moderation_buttons(card: ReviewCard) -> list[Block]:
    """Hide next to the reply for spam, insults and personal data; Unhide once hidden."""
    moderation = card.moderation
    if moderation is None:
        return []
    words = review_wording()
    if moderation.hidden:
        return [button(words.moderation_button_unhide, Action.UNHIDE, moderation.enquiry_id)]
    return [button(words.moderation_button_hide, Action.HIDE, moderation.enquiry_id)]


def _review_buttons(card: ReviewCard) -> list[Block]:
    draft = card.draft
    if draft is None:
        return []
    words = review_wording()
    draft_id = draft.id
    escalate = button(words.button_escalate, Action.ESCALATE, draft_id)
    if card.status is CardStatus.AWAITING_REVIEW:
        review: Sequence[Block] = [
            button(words.button_edit, Action.EDIT, draft_id),
            button(words.button_reject, Action.REJECT, draft_id, "danger"),
            button(words.button_regenerate, Action.REGENERATE, draft_id),
            escalate,
        ]
        if draft.text.strip():  # an empty draft cannot be approved, only edited
            return [button(words.button_approve, Action.APPROVE, draft_id, "primary"), *review]
        return list(review)
    if card.status is CardStatus.DELIVERY_FAILED:
        return [button(words.button_retry_delivery, Action.RETRY, draft_id, "primary"), escalate]
    if card.status is CardStatus.SENT:
        return [button(words.button_save_as_faq, Action.SAVE_AS_FAQ, draft_id)]
    return [escalate]

"""Block Kit of the leads' spike alert and of the holding-statement modal (pure, no I/O)."""

from __future__ import annotations

from bot.crisis.alert import SpikeAlert
from bot.crisis.wording import crisis_wording
from bot.slack.blocks import (
    INPUT_ACTION,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    Action,
    Block,
    Form,
    button,
    card_url,
    clip,
    context,
    escape,
    input_block,
    section,
)

# Slack's modal title and button text limits.
_MAX_TITLE = 24
# How long a statement variant may be in the modal (the longest channel allows 2,000).
_STATEMENT_CHARS = 2000


def alert_blocks(alert: SpikeAlert) -> list[Block]:
    """The alert: what, since when, how many, three examples with card links, the statement."""
    words = crisis_wording()
    title = clip(words.alert_title.format(label=alert.label), MAX_HEADER_TEXT)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        section(
            words.alert_facts.format(
                count=alert.count,
                since=alert.started_at.strftime("%Y-%m-%d %H:%M"),
                expected=f"{alert.expected:.0f}",
            )
        ),
    ]
    if alert.examples:
        lines = [words.alert_examples]
        for example in alert.examples:
            text = escape(example.text)
            if example.card_channel and example.card_ts:
                link = card_url(example.card_channel, example.card_ts)
                lines.append(words.alert_example.format(text=text, link=link))
            else:
                lines.append(words.alert_example_no_link.format(text=text))
        blocks.append(section("\n".join(lines)))
    if alert.ended:
        blocks.append(section(words.alert_ended))
        return blocks
    if alert.statement_approved_by:
        heading = words.alert_statement_approved.format(
            lead=f"<@{alert.statement_approved_by}>", offering=alert.offering, open=alert.open_cards
        )
    else:
        heading = words.alert_statement_draft
    parts = [
        words.alert_statement_part.format(variant=words.variant(key), text=escape(text))
        for key, text in alert.statement
    ]
    blocks.append(section(clip("\n\n".join([heading, *parts]), MAX_SECTION_TEXT)))
    blocks.append({"type": "actions", "block_id": "spike.actions", "elements": _buttons(alert)})
    return blocks


def alert_text(alert: SpikeAlert) -> str:
    """The notification text of the alert message."""
    return crisis_wording().alert_fallback.format(
        label=alert.label, count=alert.count, since=alert.started_at.strftime("%H:%M")
    )


def _buttons(alert: SpikeAlert) -> list[Block]:
    words = crisis_wording()
    elements = [
        button(words.button_edit_statement, Action.EDIT_STATEMENT, alert.spike_id, "primary")
    ]
    if alert.statement_approved_by and alert.offering:
        batch = button(
            words.button_approve_batch.format(count=alert.offering),
            Action.APPROVE_BATCH,
            alert.spike_id,
        )
        batch["confirm"] = {
            "title": _plain(words.confirm_batch_title.format(count=alert.offering)),
            "text": _plain(words.confirm_batch_text),
            "confirm": _plain(words.confirm_batch_yes),
            "deny": _plain(words.confirm_batch_no),
        }
        elements.append(batch)
    elements.append(button(words.button_end_spike, Action.END_SPIKE, alert.spike_id, "danger"))
    return elements


def statement_modal(alert: SpikeAlert) -> Block:
    """The modal in which a lead edits the statement, one input per language and register."""
    words = crisis_wording()
    blocks: list[Block] = [context(words.modal_intro.format(label=escape(alert.label)))]
    for key, text in alert.statement:
        element: Block = {
            "type": "plain_text_input",
            "action_id": INPUT_ACTION,
            "multiline": True,
            "max_length": _STATEMENT_CHARS,
            "initial_value": clip(text, _STATEMENT_CHARS),
        }
        blocks.append(input_block(key, words.variant(key), element))
    return {
        "type": "modal",
        "callback_id": Form.STATEMENT.value,
        "title": _plain(clip(words.modal_title, _MAX_TITLE)),
        "submit": _plain(clip(words.modal_submit, _MAX_TITLE)),
        "close": _plain(clip(words.modal_cancel, _MAX_TITLE)),
        "private_metadata": alert.spike_id,
        "blocks": blocks,
    }


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}

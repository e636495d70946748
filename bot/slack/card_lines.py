"""The lines a card adds for urgency, second sign-off, crisis and moderation (mrkdwn strings).

Kept apart from `blocks` so that the card's layout there stays about layout: these say why
a card is urgent ("Urgent: safety (“Funken”)"), who still has to sign, which spike the post
belongs to and who hid it.
"""

from __future__ import annotations

from bot.crisis.wording import crisis_wording
from bot.review import ReviewCard
from bot.services.sign_off import HOLDING_STATEMENT
from bot.wording import review_wording

# How much of the customer's words a reason quotes.
_CUE_CHARS = 40


def urgency_lines(card: ReviewCard) -> list[str]:
    """Why the card is urgent and which spike it belongs to; nothing for an ordinary card."""
    words = crisis_wording()
    lines = []
    urgency = card.urgency
    if urgency is not None and urgency.reasons:
        reasons = ", ".join(
            words.card_reason_with_cue.format(reason=words.reason(reason), cue=_escape(cue))
            if cue
            else words.reason(reason)
            for reason, cue in urgency.reasons
        )
        lines.append(words.card_urgent.format(reasons=reasons))
    elif urgency is not None:
        lines.append(words.card_negative)
    if card.crisis:
        lines.append(words.card_crisis.format(label=_escape(card.crisis)))
    return lines


def sign_off_lines(card: ReviewCard) -> list[str]:
    """Who signed a labelled draft and who still has to; nothing when one approval sends."""
    words = crisis_wording()
    lines = []
    if card.draft is not None and HOLDING_STATEMENT in card.draft.flags:
        lines.append(words.card_holding_statement)
    sign_off = card.sign_off
    if sign_off is None:
        return lines
    labels = ", ".join(words.label(label) for label in sign_off.labels)
    lines.append(words.card_sign_off.format(labels=labels))
    if sign_off.statement_lead:
        lines.append(words.card_statement_lead.format(lead=f"<@{sign_off.statement_lead}>"))
    if sign_off.signed:
        people = ", ".join(
            f"<@{user}> ({words.signer_lead if role == 'lead' else words.signer_reviewer})"
            for user, role in sign_off.signed
        )
        lines.append(words.card_signed_by.format(people=people))
    if not sign_off.statement_lead:
        lines.append(
            words.card_waiting_for_lead
            if sign_off.waiting_for == "lead"
            else words.card_waiting_for_second
        )
    return lines


def signed_notice(labels: tuple[str, ...], by_lead: bool) -> str:
    """What the person who signed a labelled draft is told: nothing is sent yet."""
    words = crisis_wording()
    named = ", ".join(words.label(label) for label in labels)
    template = words.signed_waiting_for_second if by_lead else words.signed_waiting_for_lead
    return template.format(labels=named)


def moderation_line(card: ReviewCard) -> str | None:
    """Who hid the post and under which clause, once it is hidden."""
    moderation = card.moderation
    if moderation is None or not moderation.hidden:
        return None
    by = f"<@{moderation.hidden_by}>" if moderation.hidden_by else "?"
    return review_wording().moderation_card_hidden.format(by=by, clause=moderation.clause)


def _escape(text: str) -> str:
    flat = " ".join(text.split())[:_CUE_CHARS]
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

"""Loads the words reviewers read in Slack from `prompts/review/en.yaml`, checked key by key."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.errors import PermanentError
from bot.resources import PROMPTS_DIR

_Wording = TypeVar("_Wording", bound=BaseModel)


class ReviewWording(BaseModel):
    """Every piece of reviewer-facing text, as `str.format` templates with named placeholders.

    One field per key of `prompts/review/en.yaml`, in the file's order and groups; a key
    missing from the file or not declared here is refused when the file is loaded.

    Usage:
        `review_wording().status_rejected.format(by="<@U1>", reason="Wrong tone")`
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Card: the status line (where the conversation stands)
    status_drafting: str
    status_drafting_delayed: str
    status_awaiting_review: str
    status_outcome_unknown: str
    status_rejected: str
    status_approved: str
    status_approved_with_edits: str
    status_sending: str
    status_sent: str
    status_delivery_failed: str
    status_owner: str
    status_unknown_reviewer: str
    status_no_reason: str
    status_unknown_message_id: str
    status_unknown_error: str

    # Card: header, notification text and the facts line
    card_header: str
    card_header_unnamed: str
    card_notification: str
    card_notification_unnamed: str
    facts_messages: str
    facts_language: str
    facts_confidence: str
    facts_suggested: str
    facts_labels: str
    label_text_truncated: str

    # Card: channel, language and suggested-action names
    channel_telegram: str
    channel_facebook: str
    channel_instagram: str
    channel_x: str
    channel_slack: str
    channel_webhook: str
    language_de: str
    language_en: str
    suggestion_review: str
    suggestion_escalate: str
    suggestion_ignore: str

    # Card: messages, draft and knowledge
    card_hidden_messages: str
    card_draft_heading: str
    card_private_followup_heading: str
    card_edited_reply_heading: str
    card_empty_draft: str
    card_length: str
    card_length_too_long: str
    card_faq: str
    card_guidelines: str

    # Card: how long the customer has waited against the channel's target (undecided cards)
    wait_on_track: str
    wait_at_risk: str
    wait_overdue: str
    duration_minutes: str
    duration_hours: str
    duration_hours_minutes: str

    # Buttons (on the card and on the stale-draft prompt)
    button_approve: str
    button_edit: str
    button_reject: str
    button_regenerate: str
    button_escalate: str
    button_retry_delivery: str
    button_send_anyway: str
    button_show_all: str
    button_save_as_faq: str

    # Modals (titles and submit labels: at most 24 characters)
    modal_cancel: str
    modal_close: str
    modal_edit_title: str
    modal_edit_submit: str
    modal_edit_hint: str
    modal_edit_reply_label: str
    modal_edit_stale_note: str
    modal_reject_title: str
    modal_reject_submit: str
    modal_reject_reason_label: str
    modal_reject_note_label: str
    modal_regenerate_title: str
    modal_regenerate_submit: str
    modal_regenerate_hint_label: str
    modal_regenerate_hint_placeholder: str
    modal_escalate_title: str
    modal_escalate_submit: str
    modal_escalate_person_label: str
    modal_escalate_group_label: str
    modal_escalate_hint: str
    modal_escalate_reviewer_group: str
    modal_conversation_title: str
    modal_conversation_message_meta: str
    modal_conversation_too_long: str

    # Rejection reasons (the reject modal's choices; the card shows the one picked)
    reason_wrong_facts: str
    reason_wrong_tone: str
    reason_should_not_answer: str
    reason_duplicate: str
    reason_other: str
    reason_with_note: str

    # Messages to one person (ephemeral)
    already_decided: str
    decided_approved: str
    decided_edited: str
    decided_rejected: str
    decided_escalated: str
    outdated_draft: str
    stale_draft_notice: str
    stale_knowledge: str
    stale_nothing_sent: str
    not_sent: str
    not_sent_unknown: str
    retry_not_waiting: str
    failed_with_reference: str
    refusal_not_reviewer: str
    refusal_none_configured: str
    refusal_unverified: str
    forward_no_text: str
    forward_drafting: str
    forward_seen_before: str

    # Thread messages (under the card)
    thread_replaced_draft: str
    thread_escalated: str
    thread_reminder_at_risk: str
    thread_reminder_overdue: str

    # Form errors (shown under a modal field; the modal stays open)
    form_reply_empty: str
    form_reply_too_long: str
    form_unknown_channel: str
    form_pick_reason: str
    form_say_why: str
    form_pick_one_assignee: str
    form_pick_an_assignee: str

    # Why an approval was refused (listed in not_sent)
    problem_reply_empty: str
    problem_reply_too_long: str
    problem_entry_deleted: str
    problem_entry_changed: str
    problem_entry_expired: str

    # Staff-facing delivery errors (shown on the card after "Delivery failed")
    delivery_no_slack_channel: str

    # Moderation: hiding a customer's public post (spam, insults, personal data)
    moderation_button_hide: str
    moderation_button_unhide: str
    moderation_card_hidden: str
    moderation_hidden: str
    moderation_unhidden: str
    moderation_already_hidden: str
    moderation_already_visible: str
    moderation_refused_criticism: str
    moderation_refused_not_allowed: str
    moderation_unsupported: str
    moderation_failed: str


def load_review_wording(path: Path) -> ReviewWording:
    """Read a wording file; `review_wording()` is the cached shipped one.

    Args:
        path: A YAML mapping of every `ReviewWording` key to its template.

    Raises:
        PermanentError: The file cannot be read, is not a mapping, misses a key, has a key
            nobody uses, or has a value that is not text. The message is one line naming
            the file.
    """
    return load_wording(path, ReviewWording, "review wording")


def load_wording(path: Path, model: type[_Wording], name: str) -> _Wording:
    """Read a YAML mapping of keys to texts into `model`; one line naming the file if not."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PermanentError(f"{name} {path} cannot be read: {_one_line(error)}") from None
    if not isinstance(loaded, dict):
        raise PermanentError(f"{name} {path} must be a mapping of keys to texts")
    try:
        return model.model_validate(loaded)
    except ValidationError as error:
        raise PermanentError(f"{name} {path}: {_problems(error)}") from None


@lru_cache(maxsize=1)
def review_wording() -> ReviewWording:
    """The shipped wording, `prompts/review/en.yaml`, read once.

    Raises:
        PermanentError: The shipped file is broken (see `load_review_wording`).
    """
    return load_review_wording(PROMPTS_DIR / "review" / "en.yaml")


def _problems(error: ValidationError) -> str:
    missing, unknown, other = [], [], []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "missing":
            missing.append(key)
        elif problem["type"] == "extra_forbidden":
            unknown.append(key)
        else:
            other.append(f"{key}: {problem['msg']}")
    parts = [f"missing keys: {', '.join(missing)}"] if missing else []
    parts += [f"unknown keys: {', '.join(unknown)}"] if unknown else []
    return "; ".join(parts + other)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


class HomeWording(BaseModel):
    """The App Home's texts (`prompts/home/en.yaml`), as `str.format` templates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    header: str
    waiting_heading: str
    waiting_none: str
    waiting_item: str
    urgent_mark: str
    waiting_more: str
    escalated_heading: str
    escalated_none: str
    state_on_track: str
    state_at_risk: str
    state_overdue: str
    no_target: str
    open_card: str
    leads_heading: str
    leads_period: str
    leads_enquiries: str
    leads_decisions: str
    leads_reasons: str
    leads_times: str
    leads_within_target: str
    leads_backlog: str
    leads_unanswered: str
    leads_none: str
    leads_export: str
    leads_export_title: str
    leads_count_item: str
    editors_heading: str
    editors_expiring: str
    editors_expiring_item: str
    editors_never_cited: str
    editors_none: str
    editors_proposals: str
    proposals_none: str
    proposals_more: str
    proposal_item: str
    proposal_answer_update: str
    proposal_alternate_question: str
    proposal_new_entry: str
    proposal_new_entry_target: str
    proposal_enquiries: str
    proposal_question: str
    proposal_answer: str
    proposal_accept: str
    proposal_edit: str
    proposal_dismiss: str
    proposal_accepted: str
    proposal_dismissed: str
    proposal_gone: str
    proposal_conflict: str
    proposal_invalid: str


@lru_cache(maxsize=1)
def home_wording() -> HomeWording:
    """The shipped App Home wording, `prompts/home/en.yaml`, read once.

    Raises:
        PermanentError: The file is broken (one line naming it).
    """
    return load_wording(PROMPTS_DIR / "home" / "en.yaml", HomeWording, "home wording")


class KnowledgeWording(BaseModel):
    """The "Edit the FAQ" modal's texts (`prompts/knowledge/en.yaml`), as `str.format` templates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    refusal_title: str
    refusal: str
    cancel: str
    close: str
    next: str
    save: str
    pick_label: str
    pick_placeholder: str
    pick_hint: str
    pick_missing: str
    new_entry_option: str
    option_text: str
    entry_heading: str
    new_heading: str
    id_label: str
    id_hint: str
    language_label: str
    question_label: str
    alternates_label: str
    answer_label: str
    tags_label: str
    valid_until_label: str
    history_heading: str
    history_item: str
    history_none: str
    history_no_fields: str
    conflict: str
    not_found: str
    exists: str
    bad_id: str
    nothing_changed: str
    required: str
    unreadable: str
    saved: str
    created: str
    from_proposal: str
    from_card: str
    translation_heading: str
    translation_incomplete: str


@lru_cache(maxsize=1)
def knowledge_wording() -> KnowledgeWording:
    """The shipped knowledge-editing wording, `prompts/knowledge/en.yaml`, read once.

    Raises:
        PermanentError: The file is broken (one line naming it).
    """
    return load_wording(
        PROMPTS_DIR / "knowledge" / "en.yaml", KnowledgeWording, "knowledge wording"
    )


def counted(number: int, one: str, many: str | None = None) -> str:
    """`number` with the singular or plural noun: "1 entry", "2 entries", never "1 entries"."""
    return f"{number} {one if number == 1 else many or one + 's'}"

"""The texts of urgency, second sign-offs and spikes (`prompts/crisis/en.yaml`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from bot.resources import PROMPTS_DIR
from bot.wording import load_wording


class CrisisWording(BaseModel):
    """One field per key of `prompts/crisis/en.yaml`, as `str.format` templates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    card_urgent: str
    card_negative: str
    card_reason_with_cue: str
    reason_safety: str
    reason_outage: str
    reason_legal: str
    reason_press: str
    reason_deadline: str
    reason_repeated_contact: str

    label_press: str
    label_legal_threat: str
    label_safety: str
    label_crisis: str
    card_sign_off: str
    card_signed_by: str
    card_waiting_for_lead: str
    card_waiting_for_second: str
    card_statement_lead: str
    signer_lead: str
    signer_reviewer: str
    signed_waiting_for_lead: str
    signed_waiting_for_second: str

    card_crisis: str
    card_holding_statement: str

    topic_negative: str
    topic_urgency: str
    topic_faq: str
    topic_cluster: str

    alert_fallback: str
    alert_title: str
    alert_facts: str
    alert_examples: str
    alert_example: str
    alert_example_no_link: str
    alert_statement_draft: str
    alert_statement_approved: str
    alert_statement_part: str
    alert_ended: str
    variant_de_du: str
    variant_de_sie: str
    variant_en: str
    button_edit_statement: str
    button_approve_batch: str
    button_end_spike: str
    confirm_batch_title: str
    confirm_batch_text: str
    confirm_batch_yes: str
    confirm_batch_no: str
    modal_title: str
    modal_submit: str
    modal_cancel: str
    modal_intro: str
    modal_empty: str
    batch_done: str
    only_leads: str
    statement_first: str
    spike_over: str

    def reason(self, name: str) -> str:
        """The reviewer's word for an urgency reason; the name itself when unknown."""
        return str(getattr(self, f"reason_{name}", name))

    def label(self, name: str) -> str:
        """The reviewer's word for a sign-off label; the name itself when unknown."""
        return str(getattr(self, f"label_{name}", name))

    def variant(self, key: str) -> str:
        """The name of a statement variant, `de_du`, `de_sie` or `en`."""
        return str(getattr(self, f"variant_{key}", key))


@lru_cache(maxsize=1)
def crisis_wording() -> CrisisWording:
    """The shipped crisis wording, read once.

    Raises:
        PermanentError: the file is missing, unreadable or does not match the model.
    """
    return load_wording(PROMPTS_DIR / "crisis" / "en.yaml", CrisisWording, "crisis wording")

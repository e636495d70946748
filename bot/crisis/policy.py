"""Who must sign what, and when a topic's volume counts as a spike: one value for the desk."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from bot.crisis.spikes import SpikeRule

# The label every post of a topic with an open spike carries for the sign-off rule.
CRISIS_LABEL = "crisis"


@dataclass(frozen=True)
class CrisisPolicy:
    """The leads, the labels that need their sign-off, and the spike rule.

    Args:
        leads: Slack user ids of the comms leads (SLACK_LEADS).
        sign_off_labels: triage labels (and `crisis`) whose drafts need a lead's approval
            besides a reviewer's (SECOND_SIGN_OFF_LABELS).
        rule: when a topic's volume is a spike.
        alert_channel: where the leads' alerts go; None: the review channel.
    """

    leads: frozenset[str] = frozenset()
    sign_off_labels: frozenset[str] = frozenset({"press", "legal_threat", "safety", CRISIS_LABEL})
    rule: SpikeRule = field(default_factory=SpikeRule)
    alert_channel: str | None = None

    def needs_lead(self, labels: Collection[str]) -> list[str]:
        """The labels among `labels` that need a lead's sign-off, sorted."""
        return sorted(set(labels) & self.sign_off_labels)

    def is_lead(self, user_id: str) -> bool:
        """Whether `user_id` is a comms lead."""
        return user_id in self.leads

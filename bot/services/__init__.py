"""Use cases of the review loop: receive, draft, decide, publish. Async functions on ports.

- `desk`: the `Desk` of ports the use cases run on, inbound messages, action outcomes.
- `filing`: file each delivery from the inbox into its customer's conversation, once.
- `intake`: draft the whole conversation (queued, leased).
- `decisions`: approve, edit, reject, regenerate, escalate, retry a delivery.
- `cards`: publish review cards (queued, leased); the board follows the database.
- `leases`: claims on queued work that a live worker keeps renewing.
- `knowledge_edits`: change, create or restore a knowledge entry's file, with its history.

Network calls never happen inside a database transaction.
"""

from bot.drafting.fallback import LLM_UNAVAILABLE
from bot.models import InboundMessage
from bot.services.cards import (
    card_of_draft,
    card_of_enquiry,
    card_ref,
    publish_card,
    publish_next,
)
from bot.services.decisions import (
    announce_escalation,
    approve_draft,
    escalate_conversation,
    regenerate_draft,
    reject_draft,
    retry_delivery,
)
from bot.services.desk import ActionResult, Desk, Outcome, Receipt
from bot.services.filing import file_inbox, receive_enquiry
from bot.services.intake import (
    claim_event,
    draft_conversation,
    draft_next,
    event_seen,
    take_in,
)
from bot.services.knowledge_edits import (
    create_entry,
    edit_entry,
    entry_history,
    restore_version,
)

__all__ = [
    "LLM_UNAVAILABLE",
    "ActionResult",
    "Desk",
    "InboundMessage",
    "Outcome",
    "Receipt",
    "announce_escalation",
    "approve_draft",
    "card_of_draft",
    "card_of_enquiry",
    "card_ref",
    "claim_event",
    "create_entry",
    "draft_conversation",
    "draft_next",
    "edit_entry",
    "entry_history",
    "escalate_conversation",
    "file_inbox",
    "event_seen",
    "publish_card",
    "publish_next",
    "receive_enquiry",
    "regenerate_draft",
    "reject_draft",
    "restore_version",
    "retry_delivery",
    "take_in",
]

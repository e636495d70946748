"""What runs in the background of `replydesk serve`.

- `delivery`: the outbox worker that sends approved replies, once each;
- `reconciler`: catches up on drafts and cards an outage held back;
- `knowledge_watch`: re-indexes when knowledge files change.
"""

from bot.jobs.delivery import DeliveryWorker
from bot.jobs.knowledge_watch import reload_knowledge, watch_knowledge
from bot.jobs.reconciler import reconcile_forever, reconcile_once

__all__ = [
    "DeliveryWorker",
    "reconcile_forever",
    "reconcile_once",
    "reload_knowledge",
    "watch_knowledge",
]

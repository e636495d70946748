"""What runs in the background of `replydesk serve`.

- `workers`: the filing, drafting and publishing queues, drained by every replica;
- `delivery`: the outbox workers that send approved replies, once each;
- `loop`: the take-work-then-wait loop they share;
- `pace`: holds the workers back while requests are queuing;
- `knowledge_watch`: re-indexes when knowledge files change;
- `reminders`: one reminder per card that turns "at risk" against its response-time target;
- `spikes`: the spike watch and the leads' alerts, one per burst.
"""

from bot.jobs.delivery import DeliveryWorker
from bot.jobs.knowledge_watch import reload_knowledge, watch_knowledge
from bot.jobs.pace import Pace
from bot.jobs.reminders import remind_forever, reminder_job
from bot.jobs.spikes import spike_job, watch_spikes_forever
from bot.jobs.workers import draft_forever, file_forever, publish_forever, reconcile_once

__all__ = [
    "DeliveryWorker",
    "Pace",
    "draft_forever",
    "file_forever",
    "publish_forever",
    "reconcile_once",
    "reload_knowledge",
    "remind_forever",
    "reminder_job",
    "spike_job",
    "watch_spikes_forever",
    "watch_knowledge",
]

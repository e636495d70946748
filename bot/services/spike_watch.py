"""The spike watch: count topics, compare with earlier weeks, open spikes, alert the leads.

Every minute a worker counts each topic's enquiries in the last window and the same window
of earlier weeks (`bot.crisis.spikes`). A spike opens once per burst however many replicas
watch: the watch runs under a database lock, an open spike's topic cannot open again (a
unique index), and a topic whose posts mostly belong to an open spike (the same "app down"
posts counted as `urgency:outage`, `negative` and an FAQ entry) is the same burst. The
alert is claimed before it is posted, so it reaches the leads once, after a Slack outage
too. Unanswered posts that cite no FAQ entry are clustered by meaning; a cluster is a topic
of its own (`cluster:<spike id>` once it spiked).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.crisis.spikes import (
    SpikeSignal,
    baseline_windows,
    cluster_texts,
    detect,
    expected_count,
    spike_over,
)
from bot.crisis.statement import draft_statement
from bot.drafting.pipeline import MAX_DRAFTED_CHARS
from bot.errors import TransientError
from bot.models import Enquiry
from bot.ports import CardRef
from bot.services.crisis import end_spike
from bot.services.crisis_drafts import NEGATIVE, UNMATCHED
from bot.services.desk import Desk
from bot.services.spike_alerts import alert_of, label_of
from bot.storage import UnitOfWork
from bot.storage.spikes import Spike

log = logging.getLogger(__name__)

# A topic is the same burst as an open spike when this share of its posts belong to it.
SAME_BURST = 0.5
# Cosine similarity (USE) from which unanswered posts are one cluster: 0.79 pair precision on
# Bitext intents with groups of up to 21 (benchmarks/spikes.py); 0.8 never reached 10.
CLUSTER_SIMILARITY = 0.65
# The newest unanswered posts clustered per look (about 2 ms each to embed).
_CLUSTERED_AT_MOST = 500
# How long a replica may take to post an alert before another may try.
_ALERT_CLAIM = dt.timedelta(minutes=2)
# Specific topics first: an FAQ entry or a cluster says more than "outage" or "negative".
_SPECIFICITY = ("faq:", "cluster:", "urgency:", NEGATIVE)


async def watch_spikes(desk: Desk) -> list[Spike]:
    """One look at the volumes: open the spikes that began, close those that are over."""
    rule, now = desk.crisis.rule, desk.clock()
    start = now - rule.window
    async with desk.db.unit_of_work() as uow:
        await uow.spikes.lock_watch()
        current = await uow.topics.counts(start, now)
        windows = baseline_windows(now, rule, tz=desk.catalog.response_targets.hours.zone)
        history = [await uow.topics.counts(s, e) for s, e in windows]
        current.update(await _cluster_counts(uow, desk, start))
        current.pop(UNMATCHED, None)
        past = {topic: [counts.get(topic, 0) for counts in history] for topic in current}
        open_spikes = await uow.spikes.open_spikes()
        ended = await uow.spikes.ended_since(now - rule.cooldown)
        cooling = {s.topic for s in open_spikes} | {s.topic for s in ended}
        signals = detect(current, past, rule, cooling=cooling)
        members = {
            spike.id: (spike, set(await uow.topics.enquiries_of(spike.topic, start)))
            for spike in open_spikes
        }
        opened = []
        for signal in sorted(signals, key=_specificity):
            spike = await _open_or_relate(uow, desk, signal, start, now, members)
            if spike is not None:
                opened.append(spike)
        await uow.commit()
    for spike in open_spikes:
        count = current.get(spike.topic, 0)
        expected = expected_count(past.get(spike.topic, ()), rule)
        if now - spike.detected_at >= rule.window and spike_over(count, expected, rule):
            await end_spike(desk, spike.id)
            await refresh_alert(desk, spike.id)
    for spike in opened:
        log.warning(
            "spike on %s: %d posts in %s (expected %.1f)",
            spike.topic,
            spike.count,
            rule.window,
            spike.expected,
        )
    return opened


async def _open_or_relate(
    uow: UnitOfWork,
    desk: Desk,
    signal: SpikeSignal,
    start: dt.datetime,
    now: dt.datetime,
    members: dict[str, tuple[Spike, set[str]]],
) -> Spike | None:
    """Open a spike for `signal`, or count its posts to the open spike they mostly belong to.

    Returns:
        The new spike, or None when the posts are an open spike's (the same burst seen
        under another topic: they join it, so they get its statement too).
    """
    ids = await uow.topics.enquiries_of(signal.topic, start)
    if not ids:
        return None
    same = max(members.values(), key=lambda m: len(m[1].intersection(ids)), default=None)
    if same is not None and len(same[1].intersection(ids)) >= SAME_BURST * len(ids):
        if signal.topic != NEGATIVE:  # all negative posts are no part of one burst
            posts = [e for e in [await uow.enquiries.get(i) for i in ids] if e is not None]
            since = min(e.received_at for e in posts)
            related = await uow.spikes.relate(same[0], signal.topic, since)
            for enquiry in posts:
                await uow.topics.tag(enquiry.id, [related.topic], enquiry.received_at)
            members[related.id] = (related, same[1] | set(ids))
        return None
    enquiries = [e for e in [await uow.enquiries.get(i) for i in ids] if e is not None]
    label = label_of(signal.topic, desk.catalog.entries, enquiries[0].text)
    spike = await uow.spikes.open(
        signal.topic,
        label,
        started_at=min(e.received_at for e in enquiries),
        detected_at=now,
        count=signal.count,
        expected=signal.expected,
        examples=[e.id for e in enquiries[:3]],
    )
    if spike is None:
        return None
    members[spike.id] = (spike, set(ids))
    statement = draft_statement(desk.catalog.knowledge, label, [e.text for e in enquiries[:3]])
    await uow.spikes.set_statement(spike.id, statement.to_json())
    return spike


async def _cluster_counts(uow: UnitOfWork, desk: Desk, start: dt.datetime) -> dict[str, int]:
    """Clusters of unanswered posts citing no entry, as topics: `cluster:<first id>`."""
    embedder = desk.topic_embedder
    if embedder is None:
        return {}
    ids = await uow.topics.enquiries_of(UNMATCHED, start, limit=_CLUSTERED_AT_MOST)
    if len(ids) < desk.crisis.rule.min_count:
        return {}
    enquiries = [e for e in [await uow.enquiries.get(i) for i in ids] if e is not None]
    texts = [e.text[:MAX_DRAFTED_CHARS] for e in enquiries]
    vectors = await asyncio.to_thread(embedder.embed_queries, texts)
    labels = cluster_texts(vectors, CLUSTER_SIMILARITY)
    members: dict[int, list[Enquiry]] = {}
    for enquiry, label in zip(enquiries, labels, strict=True):
        members.setdefault(label, []).append(enquiry)
    counts = {}
    for group in members.values():
        if len(group) >= desk.crisis.rule.min_count:
            topic = f"cluster:{group[0].id}"
            for enquiry in group:
                await uow.topics.tag(enquiry.id, [topic], enquiry.received_at)
            counts[topic] = len(group)
    return counts


def _specificity(signal: SpikeSignal) -> tuple[int, float]:
    rank = next((i for i, p in enumerate(_SPECIFICITY) if signal.topic.startswith(p)), 9)
    return rank, signal.p_value


async def announce_spikes(desk: Desk) -> int:
    """Post the alerts of new spikes; bring approved spikes' alerts up to date.

    Returns:
        How many new alerts were posted.
    """
    now = desk.clock()
    async with desk.db.unit_of_work() as uow:
        waiting = await uow.spikes.unannounced()
        approved = [s for s in await uow.spikes.open_spikes() if s.statement_approved]
    posted = 0
    for spike in waiting:
        async with desk.db.unit_of_work() as uow:
            mine = await uow.spikes.claim_alert(spike.id, now, now + _ALERT_CLAIM)
            await uow.commit()
        if mine and await refresh_alert(desk, spike.id) is not None:
            posted += 1
    for spike in approved:
        # Cards take up the statement as they are drafted again: the lead's count follows.
        await refresh_alert(desk, spike.id)
    return posted


async def refresh_alert(desk: Desk, spike_id: str) -> CardRef | None:
    """Post the spike's alert, or bring the posted one up to date; None when Slack failed."""
    async with desk.db.unit_of_work() as uow:
        spike = await uow.spikes.get(spike_id)
        if spike is None:
            return None
        alert = await alert_of(uow, desk, spike)
    existing = (
        CardRef(spike.alert_channel, spike.alert_ts)
        if spike.alert_channel and spike.alert_ts
        else None
    )
    if existing is None and not spike.alert_sent and spike.alert_claimed_until is None:
        return None  # not claimed: `announce_spikes` posts it once
    try:
        ref = await desk.board.post_alert(alert, existing)
    except TransientError as exc:
        log.warning("spike alert %s not posted (%s); trying again", spike_id, exc)
        return None
    if existing is None:
        async with desk.db.unit_of_work() as uow:
            await uow.spikes.mark_announced(spike_id, ref.channel, ref.ts)
            await uow.commit()
    return ref

"""Spike detection: is a topic's volume in the last window far above its weekly baseline?

Pure decision logic for the crisis job (issue 15): the job counts posts per topic (a cited
FAQ entry, a tag, an embedding cluster of unanswered posts, or all negative posts) in the
last `SpikeRule.window` and in the same window of each of the last `baseline_weeks` weeks
(`baseline_windows`), and asks `detect` which topics spike. A topic spikes when its count
is at least `min_count`, at least `min_ratio` times the expected count, and improbable under
a Poisson law with the expected count as mean (upper tail below `sensitivity`). An open
spike ends (`spike_over`) when the count fails the same test with looser thresholds
(hysteresis), and the topic stays quiet for `cooldown` after that (`cooling_topics`).

The defaults were chosen on a replayed stream, `benchmarks/spikes.py` (figures in
`benchmarks/README.md`).

Usage:
    rule = SpikeRule()
    windows = baseline_windows(now, rule, tz=ZoneInfo("Europe/Berlin"))
    cooling = cooling_topics(open_topics, ended_at, now, rule)
    for signal in detect(current_counts, past_counts, rule, cooling=cooling):
        ...  # open the spike, alert the leads once
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "SpikeRule",
    "SpikeSignal",
    "baseline_windows",
    "cluster_texts",
    "cooling_topics",
    "detect",
    "expected_count",
    "is_spike",
    "poisson_tail",
    "spike_over",
]

WEEK = dt.timedelta(days=7)
# The tail sums stop once a term no longer changes the sum in double precision.
_TAIL_EPSILON = 1e-17


@dataclass(frozen=True)
class SpikeRule:
    """When a topic's count in the recent window is a spike.

    Attributes:
        window: The recent window counted, `[now - window, now)`.
        baseline_weeks: The rolling baseline: the same window, at the same hour of the week,
            in each of the last `baseline_weeks` weeks.
        baseline_span: How much of each earlier week is counted: a span this long centred
            on the window's place in that week, scaled to `window` by `expected_count`.
            Longer than `window` because a 30-minute count of a quiet topic is mostly noise;
            centred, so that a steady rise or fall over the day cancels out.
        sensitivity: A count is a spike when a Poisson variable with the expected count as
            mean reaches it with at most this probability (the upper tail). The job tests
            every topic every minute, so this is far below a textbook 0.05; 1e-6 found one
            burst in 100 more than 1e-7 but raised a large team's false alerts by 70 %.
            With the floor of 1, a topic without history needs 11 posts (P(X >= 10) is
            1.1e-7).
        min_count: Fewer posts than this in the window are never a spike.
        min_ratio: Nor is a count below `min_ratio` times the expected count. Real volume
            varies more from week to week than a Poisson law allows (a busy news day), and
            on a busy topic that alone makes a 30 % rise "significant"; the ratio keeps
            alerts to surges a lead would call one. 2.5 cut false alerts by 30 % but
            found a 2.5-fold surge of negative posts later and less often.
        cooldown: After a spike on a topic ends, no new alert for it before this.
        floor_rate: The expected count used when the baseline is lower (a quiet or new
            topic), so that a few stray posts are no spike.
        end_sensitivity: An open spike is over when its count is no longer a spike with
            this (looser) sensitivity, half of `min_count` and half-way to no ratio; the gap
            between the two thresholds keeps a spike from flapping open and shut.

    Usage:
        SpikeRule()                                   # the defaults measured in benchmarks/
        SpikeRule(min_count=20, cooldown=dt.timedelta(hours=4))
    """

    window: dt.timedelta = dt.timedelta(minutes=30)
    baseline_weeks: int = 4
    baseline_span: dt.timedelta = dt.timedelta(hours=2)
    sensitivity: float = 1e-7
    min_count: int = 10
    min_ratio: float = 2.0
    cooldown: dt.timedelta = dt.timedelta(hours=2)
    floor_rate: float = 1.0
    end_sensitivity: float = 1e-2

    def __post_init__(self) -> None:
        if self.window <= dt.timedelta(0):
            raise ValueError("window must be positive")
        if self.baseline_weeks < 1:
            raise ValueError("baseline_weeks must be at least 1")
        if not self.window <= self.baseline_span <= dt.timedelta(days=1):
            raise ValueError("baseline_span must be at least the window and at most a day")
        if not 0 < self.sensitivity <= self.end_sensitivity < 1:
            raise ValueError("need 0 < sensitivity <= end_sensitivity < 1")
        if self.min_count < 1 or self.min_ratio < 1 or self.floor_rate <= 0:
            raise ValueError("need min_count >= 1, min_ratio >= 1 and floor_rate > 0")
        if self.cooldown < dt.timedelta(0):
            raise ValueError("cooldown must not be negative")


@dataclass(frozen=True)
class SpikeSignal:
    """One topic that spikes now.

    Attributes:
        topic: The topic key the job counted under.
        count: Posts in the recent window.
        expected: The expected count (the baseline, at least `floor_rate`).
        p_value: The Poisson upper tail of `count` at `expected`.
    """

    topic: str
    count: int
    expected: float
    p_value: float


def baseline_windows(
    now: dt.datetime, rule: SpikeRule, *, tz: dt.tzinfo = dt.UTC
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The `[start, end)` windows of earlier weeks at the same hour of the week, in UTC.

    The recent window `[now - window, now)` moved to the same wall-clock time in `tz` `k`
    weeks earlier, then widened about its middle to `rule.baseline_span` (with the span
    equal to the window: that window itself). With `tz` UTC (the default) the moved window
    is exactly `k` weeks earlier. People post by their local clock, so pass the guidelines'
    time zone: then after a change to or from daylight saving time, Monday 10:00 is compared
    with the Mondays 10:00 before it, not with 9:00 or 11:00 (the benchmark measures the
    difference). A wall-clock time that a change skips or repeats resolves as `zoneinfo`
    does (PEP 495, the fold of `now`).

    Args:
        now: The end of the recent window; must be aware.
        rule: Gives `window` and `baseline_weeks`.
        tz: The zone whose wall clock defines "the same hour of the week".

    Returns:
        One window per earlier week, the last week first, as aware UTC datetimes.

    Raises:
        ValueError: If `now` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    local = now.astimezone(tz)
    wall = local.replace(tzinfo=None)
    windows = []
    for weeks in range(1, rule.baseline_weeks + 1):
        end = (wall - weeks * WEEK).replace(tzinfo=tz, fold=local.fold).astimezone(dt.UTC)
        start = end - rule.window / 2 - rule.baseline_span / 2
        windows.append((start, start + rule.baseline_span))
    return windows


def expected_count(past_counts: Sequence[int], rule: SpikeRule) -> float:
    """The count expected in the recent window, from the same time in earlier weeks.

    The median of the counts (of four weeks: the mean of the middle two), so that one past
    incident or one dead week does not move the baseline, scaled from `baseline_span` to
    `window`; never below `rule.floor_rate`. With no history (a new topic or cluster) it
    is `rule.floor_rate`.

    Args:
        past_counts: The counts of the `baseline_windows`, in any order.
        rule: Gives `floor_rate`.

    Returns:
        The expected count, at least `rule.floor_rate`.
    """
    if not past_counts:
        return rule.floor_rate
    ordered = sorted(past_counts)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        median = float(ordered[middle])
    else:
        median = (ordered[middle - 1] + ordered[middle]) / 2
    return max(median * (rule.window / rule.baseline_span), rule.floor_rate)


def poisson_tail(count: int, expected: float) -> float:
    """P(X >= count) for X Poisson-distributed with mean `expected`.

    Exact to about 1e-12 relative for counts up to several thousand: the terms are summed
    from the largest one outward, each from its neighbour, starting from one term computed
    with `math.lgamma`. Far in the tail it underflows to 0.0.

    Args:
        count: The observed count.
        expected: The Poisson mean; 0 or less means no posts are expected.

    Returns:
        The upper-tail probability, in [0, 1].
    """
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    log_expected = math.log(expected)
    if count > expected:
        # Terms shrink from j = count upward: sum them directly (small tails stay precise).
        term = math.exp(-expected + count * log_expected - math.lgamma(count + 1))
        total = term
        j = count
        while term > total * _TAIL_EPSILON:
            j += 1
            term *= expected / j
            total += term
        return min(total, 1.0)
    # count <= expected: the tail is about one half or more; 1 - P(X <= count - 1) is exact
    # enough, and the terms shrink from j = count - 1 downward.
    j = count - 1
    term = math.exp(-expected + j * log_expected - math.lgamma(j + 1))
    total = term
    while j > 0 and term > total * _TAIL_EPSILON:
        term *= j / expected
        j -= 1
        total += term
    return max(0.0, 1.0 - total)


def is_spike(count: int, expected: float, rule: SpikeRule) -> bool:
    """Whether `count` posts in the window are a spike when `expected` were expected.

    Args:
        count: Posts in the recent window.
        expected: The expected count (raised to `rule.floor_rate` if lower).
        rule: The thresholds.

    Returns:
        True when the count reaches `min_count` and `min_ratio` times the expected count
        and its Poisson upper tail is below `sensitivity`.
    """
    return _exceeds(count, expected, rule.min_count, rule.min_ratio, rule.sensitivity, rule)


def spike_over(count: int, expected: float, rule: SpikeRule) -> bool:
    """Whether an open spike has ended: the count is back near its baseline.

    The test of `is_spike` with looser thresholds (hysteresis): half of `min_count`,
    half-way between `min_ratio` and 1, and `end_sensitivity`. A spike stays open while the
    count still clears all three.

    Args:
        count: Posts in the recent window.
        expected: The expected count (raised to `rule.floor_rate` if lower).
        rule: The thresholds.

    Returns:
        True when the spike is over.
    """
    min_count = max(1, math.ceil(rule.min_count / 2))
    min_ratio = 1 + (rule.min_ratio - 1) / 2
    return not _exceeds(count, expected, min_count, min_ratio, rule.end_sensitivity, rule)


def _exceeds(
    count: int,
    expected: float,
    min_count: int,
    min_ratio: float,
    sensitivity: float,
    rule: SpikeRule,
) -> bool:
    expected = max(expected, rule.floor_rate)
    if count < min_count or count < min_ratio * expected:
        return False  # the cheap tests first: most topics stop here every minute
    return poisson_tail(count, expected) < sensitivity


def detect(
    current: Mapping[str, int],
    past: Mapping[str, Sequence[int]],
    rule: SpikeRule,
    *,
    cooling: Collection[str] = (),
) -> list[SpikeSignal]:
    """The topics that spike now and may be signalled.

    Args:
        current: Posts per topic in the recent window.
        past: Per topic, its counts in the baseline windows; a topic missing here has no
            history and is measured against `rule.floor_rate`.
        rule: The thresholds.
        cooling: Topics with an open spike or in their cooldown: never signalled.

    Returns:
        The spiking topics, the least probable first (then by topic).
    """
    signals = []
    for topic, count in current.items():
        if count < rule.min_count or topic in cooling:
            continue
        expected = expected_count(past.get(topic, ()), rule)
        if is_spike(count, expected, rule):
            signals.append(SpikeSignal(topic, count, expected, poisson_tail(count, expected)))
    signals.sort(key=lambda signal: (signal.p_value, signal.topic))
    return signals


def cooling_topics(
    open_topics: Collection[str],
    ended_at: Mapping[str, dt.datetime],
    now: dt.datetime,
    rule: SpikeRule,
) -> frozenset[str]:
    """The topics `detect` must not signal: those with an open spike or in their cooldown.

    Args:
        open_topics: Topics whose spike is open (signalled and not yet over).
        ended_at: Per topic, when its last spike ended.
        now: The time of this evaluation.
        rule: Gives `cooldown`.

    Returns:
        The open topics and those whose last spike ended less than `cooldown` ago.
    """
    recent = {topic for topic, ended in ended_at.items() if now - ended < rule.cooldown}
    return frozenset(open_topics) | recent


def cluster_texts(vectors: npt.ArrayLike, threshold: float) -> list[int]:
    """Group posts about the same thing: leader clustering of their embedding vectors.

    Rows are taken in order; a row joins the cluster whose centroid (the normalised sum of
    its rows so far) is most similar to it if the cosine similarity reaches `threshold`,
    and otherwise starts a new cluster. Updating the centroid, rather than keeping each
    cluster's first row as its leader, grouped more of the same intent at equal precision
    (`benchmarks/spikes.py`). The result depends only on the rows and their order. Rows are
    normalised first; an all-zero row always stands alone.

    Args:
        vectors: An (n, d) array of embedding vectors.
        threshold: The cosine similarity at which a row joins a cluster.

    Returns:
        A cluster id per row: 0, 1, 2, ... in order of first appearance.

    Raises:
        ValueError: If `vectors` is not two-dimensional or `threshold` not in (0, 1].
    """
    matrix = np.asarray(vectors, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError("vectors must be an (n, d) array")
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    sums = np.zeros_like(matrix)
    centroids = np.zeros_like(matrix)  # an all-zero row's stays zero: nothing joins it
    found = 0
    labels: list[int] = []
    for row in matrix:
        label = found
        if found:
            similarity = centroids[:found] @ row
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                label = best
        if label == found:
            found += 1
        sums[label] += row
        length = np.linalg.norm(sums[label])
        if length > 0:
            centroids[label] = sums[label] / length
        labels.append(label)
    return labels

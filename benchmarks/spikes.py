"""Spike detection replayed on a simulated stream: time to alert, missed bursts, false alerts.

The stream (seeded, reproducible): `--weeks` evaluated weeks, minute by minute, from Monday
2026-03-16 in Europe/Berlin (summer time starts on 2026-03-29), after 8 weeks of warm-up
for the baselines. Background posts are Poisson per minute; the rate follows a weekday and
a weekend profile by local hour (commuter peaks, quiet nights; interpolated between hours),
with a log-normal factor per day and one per topic and day (real volume varies more than
Poisson from week to week).

Topics, volumes and negative shares come from the shared data sets where present:

- `tag:*`: the GermEval 2017 aspect categories of the 100 Deutsche Bahn posts (German,
  60 % of the volume); a tag's share is its count, its negative share that of its aspect
  polarities ("Allgemein#Haupt", general remarks, is the busy topic: a third of all posts);
- `entry:*`: the 27 Bitext intents as cited FAQ entries (English, 40 %). Bitext is balanced
  by construction, so its counts say nothing about volume: shares fall as 1/rank of the
  intent's count (Zipf), negative share 23 % (GermEval's), `complaint` 80 %;
- `negative`: every negative post, whatever its topic (the issue's "overall negative volume").

Injected bursts (90 % of their posts negative), eight a week at random minutes, at least 6
hours apart on the same topic (two of each kind but one of "busy topic" and "negative surge"):

| kind | what | target |
| --- | --- | --- |
| app down | 40 posts in 10 minutes on a quiet topic | the topic |
| build-up | 60 posts over 2 hours, rate rising linearly from 0 | a mid-volume topic |
| build-up again | every other week, one build-up comes back a week later, same time | the same |
| busy topic | the busiest topic at 4x its rate for 45 minutes | that topic |
| negative surge | negative posts at 2.5x their rate for 60 minutes, over every topic | `negative` |
| new issue | 25 posts in 20 minutes on a topic with no history (a new cluster) | that topic |

The replay does what the job will do: at every minute, the counts per topic in
`[now - window, now)` and in `baseline_windows(now, rule, tz=Europe/Berlin)`, the open
spikes closed by `spike_over`, `cooling_topics`, then `detect`. A burst is found when its
target is signalled between its start and `window` after its end; time to alert counts
from the burst's start. Any other signal is a false alert, except one on a topic the burst
touched while it ran (a burst's posts also count as negative). "Repeats" are further
signals on a burst's target while it runs.

Rows: the defaults, single changes to them, and baselines measured in the same run: a plain
"count >= k in the window" threshold with the same cooldown, the mean of the baseline weeks
instead of the median (the recurring build-up shows what a past incident does to each), and
the baseline in UTC instead of Berlin time. Two volumes: a small team (300 posts a day) and a
large one (3,000). Then the time of one `detect` call over 500 topics, and how
`cluster_texts` groups 540 Bitext customer messages (20 per intent, embedded with the
default USE model) at several thresholds: pairs put together that share an intent
(precision) and pairs sharing an intent that were put together (recall).

    .venv/bin/python benchmarks/spikes.py [--weeks 8] [--seed 20240501]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SEED, Timer, console, dataset, median, percentile, table  # noqa: E402

from bot.crisis.spikes import (  # noqa: E402
    SpikeRule,
    SpikeSignal,
    baseline_windows,
    cluster_texts,
    cooling_topics,
    detect,
    expected_count,
    is_spike,
    poisson_tail,
    spike_over,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Warm-up weeks (the longest baseline compared), plus a day, before the first minute evaluated:
# Monday 2026-03-16, so that summer time (Sunday 2026-03-29) starts in the evaluated weeks.
WARM_UP_WEEKS = 8
START = dt.datetime(2026, 1, 18, tzinfo=BERLIN).astimezone(dt.UTC)  # a Sunday
MINUTES_PER_WEEK = 7 * 24 * 60
NEGATIVE = "negative"
GERMAN_SHARE = 0.6
NEGATIVE_SHARE = 0.23  # GermEval 2017 trial: 23 of 100 posts
BURST_NEGATIVE = 0.9
# Posts per local hour, relative; weekday commuter peaks, a later and flatter weekend.
WEEKDAY = [3, 2, 1, 1, 1, 2, 6, 14, 18, 15, 12, 11, 12, 11, 11, 12, 15, 19, 18, 15, 12, 9, 7, 5]
WEEKEND = [5, 3, 2, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13, 12, 12, 12, 12, 12, 12, 11, 10, 9, 8, 6]
AGAIN = "build-up again"
# Per week: two of most kinds; the first build-up of every other week comes back a week later,
# same topic and hour (a weekly recurring fault), to see a past incident in the baseline.
WEEKLY_BURSTS = ["build-up", "build-up", "app down", "app down", "busy topic", "negative surge"]
WEEKLY_BURSTS += ["new issue", "new issue"]
DURATION = {"app down": 10, "build-up": 120, "busy topic": 45, "negative surge": 60}
DURATION |= {"new issue": 20, AGAIN: 120}
DAY_SIGMA = 0.15  # log-normal factor per day, all topics
TOPIC_DAY_SIGMA = 0.25  # and per topic and day
Matrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Topic:
    name: str
    share: float
    negative: float


@dataclass(frozen=True)
class Burst:
    kind: str
    target: str
    start: int  # minute index into the stream
    end: int
    touched: frozenset[str]


@dataclass
class Stream:
    topics: list[str]
    posts: Matrix  # (topics, minutes): posts starting in each minute
    bursts: list[Burst]
    first_evaluated: int  # minute index

    def cumulative(self) -> Matrix:
        out = np.zeros((self.posts.shape[0], self.posts.shape[1] + 1), dtype=np.int64)
        np.cumsum(self.posts, axis=1, out=out[:, 1:])
        return out


# --- the topic mix --------------------------------------------------------------------------


def topic_mix() -> list[Topic]:
    tags = germeval_tags() or [("Allgemein#Haupt", 70, 0.3), ("Zugfahrt#Pünktlichkeit", 8, 0.6)]
    entries = bitext_entries() or [f"faq-{n}" for n in range(1, 28)]
    tag_total = sum(count for _, count, _ in tags)
    topics = [Topic(f"tag:{name}", GERMAN_SHARE * n / tag_total, neg) for name, n, neg in tags]
    harmonic = sum(1 / rank for rank in range(1, len(entries) + 1))
    for rank, name in enumerate(entries, start=1):
        negative = 0.8 if name == "complaint" else NEGATIVE_SHARE
        share = (1 - GERMAN_SHARE) / rank / harmonic
        topics.append(Topic(f"entry:{name}", share, negative))
    return topics


def germeval_tags() -> list[tuple[str, int, float]] | None:
    folder = dataset("germeval2017_db_social_de_trial", "trial.tsv")
    if folder is None:
        return None
    counts: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    with (folder / "trial.tsv").open(encoding="utf-8") as lines:
        for row in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            aspects = row[4].split() if len(row) > 4 else []
            for aspect in aspects:
                name, _, polarity = aspect.rpartition(":")
                counts[name] += 1
                negative[name] += polarity == "negative"
    return [(name, n, negative[name] / n) for name, n in counts.most_common()]


def bitext_entries() -> list[str] | None:
    name = "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    folder = dataset("bitext_customer_support_en", name)
    if folder is None:
        return None
    with (folder / name).open(encoding="utf-8") as rows:
        counts = Counter(row["intent"] for row in csv.DictReader(rows))
    return [intent for intent, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


# --- the stream -----------------------------------------------------------------------------


def week_profile() -> npt.NDArray[np.float64]:
    """Relative rate per local hour of the week, Monday 0:00 first, mean 1."""
    hours = np.array(WEEKDAY * 5 + WEEKEND * 2, dtype=np.float64)
    return np.asarray(hours / hours.mean(), dtype=np.float64)


def simulate(topics: list[Topic], per_day: float, weeks: int, seed: int) -> Stream:
    rng = np.random.default_rng(seed)
    # A day more than the baseline weeks: the earliest baseline span starts before them.
    first = WARM_UP_WEEKS * MINUTES_PER_WEEK + 24 * 60
    minutes = first + weeks * MINUTES_PER_WEEK
    profile = week_profile()
    local = [(START + dt.timedelta(minutes=m)).astimezone(BERLIN) for m in range(minutes)]
    # Interpolate between the centres of the local hours (cyclic over the week).
    hour_of_week = np.array([t.weekday() * 24 + t.hour + t.minute / 60 for t in local]) - 0.5
    low = np.floor(hour_of_week).astype(np.int64)
    frac = hour_of_week - low
    shape = profile[low % 168] * (1 - frac) + profile[(low + 1) % 168] * frac
    day = np.array([(t.date() - local[0].date()).days for t in local])
    days = int(day.max()) + 1
    day_factor = rng.lognormal(-(DAY_SIGMA**2) / 2, DAY_SIGMA, days)
    topic_day = rng.lognormal(-(TOPIC_DAY_SIGMA**2) / 2, TOPIC_DAY_SIGMA, (len(topics), days))
    shares = np.array([topic.share for topic in topics])
    base = per_day / (24 * 60) * shape * day_factor[day]
    rates = shares[:, None] * base[None, :] * topic_day[:, day]
    posts = rng.poisson(rates).astype(np.int64)
    negative_share = np.array([topic.negative for topic in topics])
    negative = rng.binomial(posts, negative_share[:, None]).sum(axis=0)

    names = [topic.name for topic in topics]
    extra = np.zeros_like(posts)
    extra_negative = np.zeros(minutes, dtype=np.int64)
    new_topics: list[npt.NDArray[np.int64]] = []
    bursts = []
    by_volume = sorted(range(len(topics)), key=lambda i: -topics[i].share)
    quiet, middle, busiest = by_volume[len(by_volume) // 2 :], by_volume[2:8], by_volume[0]
    taken: list[tuple[int, int, str]] = []
    recur: Burst | None = None  # a build-up that comes back at the same time next week
    for week in range(weeks):
        week_start = first + week * MINUTES_PER_WEEK
        recurred = False
        first_new: Burst | None = None
        for kind in WEEKLY_BURSTS:
            index = int(rng.choice(quiet if kind == "app down" else middle))
            target = names[busiest] if kind == "busy topic" else names[index]
            if kind == "negative surge":
                target = NEGATIVE
            elif kind == "new issue":
                target = f"cluster:new-{len(new_topics) + 1}"
            duration = DURATION[kind]
            if kind == "build-up" and recur is not None and not recurred:
                kind, target, start, recurred = AGAIN, recur.target, next_week(recur.start), True
                taken.append((start, start + duration, target))
            else:
                start = pick_start(rng, week_start, duration, target, taken)
            span = slice(start, start + duration)
            added = np.zeros(minutes, dtype=np.int64)
            touched = {target, NEGATIVE}
            if kind == "app down":
                added[span] = rng.multinomial(40, np.full(duration, 1 / duration))
            elif kind in {"build-up", AGAIN}:
                ramp = np.arange(1, duration + 1, dtype=np.float64)
                added[span] = rng.multinomial(60, ramp / ramp.sum())
            elif kind == "busy topic":
                added[span] = rng.poisson(3 * rates[busiest, span])
            elif kind == "negative surge":
                surge = rng.poisson(1.5 * rates[:, span] * negative_share[:, None])
                extra[:, span] += surge
                extra_negative[span] += surge.sum(axis=0)
                touched = set(names) | {NEGATIVE}
            else:
                added[span] = rng.multinomial(25, np.full(duration, 1 / duration))
            if kind == "new issue":
                new_topics.append(added)
            elif kind != "negative surge":
                extra[names.index(target)] += added
            if kind != "negative surge":
                extra_negative += rng.binomial(added, BURST_NEGATIVE)
            burst = Burst(kind, target, start, start + duration, frozenset(touched))
            bursts.append(burst)
            if kind == "build-up" and first_new is None:
                first_new = burst
        recur = None if recurred else first_new
    names += [NEGATIVE] + [f"cluster:new-{n + 1}" for n in range(len(new_topics))]
    rows = [posts + extra, (negative + extra_negative)[None, :], *(t[None, :] for t in new_topics)]
    return Stream(names, np.vstack(rows), bursts, first)


def next_week(minute: int) -> int:
    """The minute at the same wall-clock time in Berlin a week later."""
    local = (START + dt.timedelta(minutes=minute)).astimezone(BERLIN)
    later = (local.replace(tzinfo=None) + dt.timedelta(days=7)).replace(tzinfo=BERLIN)
    return round((later - START) / dt.timedelta(minutes=1))


def pick_start(
    rng: np.random.Generator,
    week_start: int,
    duration: int,
    target: str,
    taken: list[tuple[int, int, str]],
) -> int:
    """A random start in the week, 6 hours clear of other bursts on the same or every topic."""
    gap = 6 * 60
    while True:
        start = week_start + int(rng.integers(0, MINUTES_PER_WEEK - duration - 120))
        clash = any(
            start < end + gap and begin < start + duration + gap
            for begin, end, other in taken
            if other == target or NEGATIVE in {other, target}
        )
        if not clash:
            taken.append((start, start + duration, target))
            return start


# --- the replay -----------------------------------------------------------------------------

# Decides which topics spike at one minute, like `detect`: counts now, counts of the baseline
# windows, the rule, the topics cooling.
Decide = Callable[
    [Mapping[str, int], Mapping[str, Sequence[int]], SpikeRule, frozenset[str]], list[str]
]


def product(
    current: Mapping[str, int],
    past: Mapping[str, Sequence[int]],
    rule: SpikeRule,
    cooling: frozenset[str],
) -> list[str]:
    return [signal.topic for signal in detect(current, past, rule, cooling=cooling)]


def mean_baseline(
    current: Mapping[str, int],
    past: Mapping[str, Sequence[int]],
    rule: SpikeRule,
    cooling: frozenset[str],
) -> list[str]:
    found = []
    for topic, count in current.items():
        history = past.get(topic, ())
        mean = sum(history) / len(history) * (rule.window / rule.baseline_span) if history else 0
        expected = max(mean, rule.floor_rate)
        if topic not in cooling and is_spike(count, expected, rule):
            found.append(topic)
    return found


def plain_threshold(k: int) -> Decide:
    def decide(
        current: Mapping[str, int],
        past: Mapping[str, Sequence[int]],
        rule: SpikeRule,
        cooling: frozenset[str],
    ) -> list[str]:
        return [topic for topic, count in current.items() if count >= k and topic not in cooling]

    return decide


@dataclass(frozen=True)
class Config:
    label: str
    rule: SpikeRule
    decide: Decide = product
    tz: dt.tzinfo = BERLIN
    # For the plain threshold: a spike is over when the count is below this.
    over_below: int | None = None


@dataclass
class Outcome:
    alerts: list[tuple[int, str]] = field(default_factory=list)


def windows_of(stream: Stream, rule: SpikeRule, tz: dt.tzinfo) -> tuple[Matrix, Matrix]:
    """Counts now (topics, minutes) and in each baseline window (weeks, topics, minutes)."""
    cum = stream.cumulative()
    width = int(rule.window / dt.timedelta(minutes=1))
    evaluated = range(stream.first_evaluated, stream.posts.shape[1])
    now_index = np.array(list(evaluated))
    current = cum[:, now_index] - cum[:, now_index - width]
    past = np.empty((rule.baseline_weeks, *current.shape), dtype=np.int64)
    for column, minute in enumerate(evaluated):
        now = START + dt.timedelta(minutes=minute)
        for week, (start, end) in enumerate(baseline_windows(now, rule, tz=tz)):
            a = round((start - START) / dt.timedelta(minutes=1))
            b = round((end - START) / dt.timedelta(minutes=1))
            past[week, :, column] = cum[:, b] - cum[:, a]
    return current, past


def replay(stream: Stream, config: Config, counted: tuple[Matrix, Matrix]) -> Outcome:
    rule = config.rule
    current_all, past_all = counted
    names = stream.topics
    # A new cluster has no history: the job has no earlier weeks to count it in.
    with_history = [n for n, name in enumerate(names) if not name.startswith("cluster:")]
    history_names = [names[n] for n in with_history]
    open_topics: set[str] = set()
    ended_at: dict[str, dt.datetime] = {}
    outcome = Outcome()
    for column in range(current_all.shape[1]):
        minute = stream.first_evaluated + column
        now = START + dt.timedelta(minutes=minute)
        counts = current_all[:, column].tolist()
        past_rows = past_all[:, with_history, column].T.tolist()
        current = dict(zip(names, counts, strict=True))
        past = dict(zip(history_names, past_rows, strict=True))
        for topic in sorted(open_topics):
            count = current[topic]
            if config.over_below is not None:
                over = count < config.over_below
            else:
                over = spike_over(count, expected_count(past.get(topic, ()), rule), rule)
            if over:
                open_topics.discard(topic)
                ended_at[topic] = now
        cooling = cooling_topics(open_topics, ended_at, now, rule)
        for topic in config.decide(current, past, rule, cooling):
            open_topics.add(topic)
            outcome.alerts.append((minute, topic))
    return outcome


@dataclass(frozen=True)
class Score:
    found: dict[str, list[int]]  # kind -> minutes to alert of the bursts found
    missed: Counter[str]
    false_alerts: int
    repeats: int
    alerts: int


def score(stream: Stream, outcome: Outcome, rule: SpikeRule) -> Score:
    width = int(rule.window / dt.timedelta(minutes=1))
    found: dict[str, list[int]] = {}
    missed: Counter[str] = Counter()
    related: set[tuple[int, str]] = set()
    repeats = 0
    for burst in stream.bursts:
        last = burst.end + width
        on_target = [
            m for m, topic in outcome.alerts if topic == burst.target and burst.start < m <= last
        ]
        related |= {
            (m, t) for m, t in outcome.alerts if t in burst.touched and burst.start < m <= last
        }
        if on_target:
            found.setdefault(burst.kind, []).append(on_target[0] - burst.start)
            repeats += len(on_target) - 1
        else:
            missed[burst.kind] += 1
    false_alerts = sum(1 for alert in outcome.alerts if alert not in related)
    return Score(found, missed, false_alerts, repeats, len(outcome.alerts))


# --- the report -----------------------------------------------------------------------------


def configs() -> list[Config]:
    rule = SpikeRule()
    minutes = dt.timedelta(minutes=1)
    return [
        Config("defaults", rule),
        Config("sensitivity 1e-5", replace(rule, sensitivity=1e-5)),
        Config("sensitivity 1e-6", replace(rule, sensitivity=1e-6)),
        Config("sensitivity 1e-8", replace(rule, sensitivity=1e-8)),
        Config("min_ratio 1 (Poisson only)", replace(rule, min_ratio=1.0)),
        Config("min_ratio 2.5", replace(rule, min_ratio=2.5)),
        Config("min_count 5", replace(rule, min_count=5)),
        Config("min_count 20", replace(rule, min_count=20)),
        Config("window 15 min", replace(rule, window=15 * minutes)),
        Config("window 60 min", replace(rule, window=60 * minutes)),
        Config("baseline span = window", replace(rule, baseline_span=rule.window)),
        Config("baseline span 4 h", replace(rule, baseline_span=240 * minutes)),
        Config("baseline 8 weeks", replace(rule, baseline_weeks=8)),
        Config("baseline: mean, not median", rule, decide=mean_baseline),
        Config("baseline in UTC, not local", rule, tz=dt.UTC),
        Config("cooldown 0", replace(rule, cooldown=0 * minutes)),
        Config("cooldown 6 h", replace(rule, cooldown=360 * minutes)),
        Config("plain: count >= 15", rule, decide=plain_threshold(15), over_below=8),
        Config("plain: count >= 30", rule, decide=plain_threshold(30), over_below=15),
    ]


def report(label: str, per_day: float, weeks: int, seed: int) -> None:
    stream = simulate(topic_mix(), per_day, weeks, seed)
    total = Counter(burst.kind for burst in stream.bursts)
    console.print(
        f"\n[bold]{label}[/bold]: {per_day:,.0f} posts a day, {len(stream.topics)} topics, "
        f"{weeks} weeks evaluated after {WARM_UP_WEEKS} of warm-up, "
        f"{len(stream.bursts)} bursts ({', '.join(f'{n} {k}' for k, n in total.items())}); "
        f"seed {seed}"
    )
    cache: dict[tuple[dt.timedelta, int, dt.timedelta, str], tuple[Matrix, Matrix]] = {}
    summary = []
    by_kind = []
    for config in configs():
        key = (
            config.rule.window,
            config.rule.baseline_weeks,
            config.rule.baseline_span,
            str(config.tz),
        )
        if key not in cache:
            cache[key] = windows_of(stream, config.rule, config.tz)
        result = score(stream, replay(stream, config, cache[key]), config.rule)
        times = [t for kind_times in result.found.values() for t in kind_times]
        summary.append(
            [
                config.label,
                f"{len(times)}/{len(stream.bursts)}",
                median(times),
                percentile(times, 90),
                max(times, default=0),
                result.false_alerts / weeks,
                result.repeats,
            ]
        )
        cells = []
        for kind in total:
            kind_times = result.found.get(kind, [])
            cell = f"{median(kind_times):.0f}" if kind_times else "–"
            cells.append(cell + (f" ({result.missed[kind]} missed)" if result.missed[kind] else ""))
        by_kind.append([config.label, *cells])
    columns = ["rule", "found", "median min", "p90 min", "max min", "false/week", "repeats"]
    table(f"{label}: bursts found, minutes to alert, false alerts", columns, summary)
    table(f"{label}: median minutes to alert by kind", ["rule", *total], by_kind)


def time_detect(rule: SpikeRule, seed: int) -> None:
    rng = np.random.default_rng(seed)
    topics = [f"topic-{n}" for n in range(500)]
    means = rng.gamma(0.5, 10, len(topics))
    past = {
        t: rng.poisson(mean, rule.baseline_weeks).tolist()
        for t, mean in zip(topics, means, strict=True)
    }
    current = {
        t: int(rng.poisson(mean * rng.choice([1, 1, 1, 3])))
        for t, mean in zip(topics, means, strict=True)
    }
    timer = Timer()
    signals: list[SpikeSignal] = []
    for _ in range(200):
        with timer.time():
            signals = detect(current, past, rule)
    tail = Timer()
    for _ in range(200):
        with tail.time():
            poisson_tail(3100, 3000.0)
    vectors = rng.normal(size=(1000, 512))
    clusters = Timer()
    for _ in range(5):
        with clusters.time():
            cluster_texts(vectors, 0.8)
    table(
        "speed",
        ["call", "median ms", "p95 ms"],
        [
            [f"detect, 500 topics ({len(signals)} signals)", timer.p(50) * 1e3, timer.p(95) * 1e3],
            ["poisson_tail(3100, 3000)", tail.p(50) * 1e3, tail.p(95) * 1e3],
            [
                "cluster_texts, 1,000 x 512 random (1,000 clusters)",
                clusters.p(50) * 1e3,
                clusters.p(95) * 1e3,
            ],
        ],
    )


def cluster_quality(seed: int, per_intent: int = 20) -> None:
    """Pairwise precision and recall of `cluster_texts` on Bitext messages, intent as truth."""
    name = "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    folder = dataset("bitext_customer_support_en", name)
    if folder is None:
        return
    from bot.faq.embedders import UseEmbedder  # loads a model: only when this section runs

    with (folder / name).open(encoding="utf-8") as rows:
        by_intent: dict[str, list[str]] = {}
        for row in csv.DictReader(rows):
            by_intent.setdefault(row["intent"], []).append(row["instruction"])
    rng = np.random.default_rng(seed)
    posts = [
        (intent, str(text))
        for intent, texts in sorted(by_intent.items())
        for text in rng.choice(texts, per_intent, replace=False)
    ]
    order = rng.permutation(len(posts))  # arrival order, shuffled
    truth = np.array([posts[i][0] for i in order])
    vectors = UseEmbedder().embed_documents([posts[i][1] for i in order])
    same = truth[:, None] == truth[None, :]
    upper = np.triu(np.ones_like(same), k=1)
    rows_out = []
    methods: list[tuple[str, Callable[[npt.NDArray[np.float32], float], list[int]]]] = [
        ("cluster_texts (running centroid)", cluster_texts),
        ("baseline: first row leads", first_row_leads),
    ]
    for method, cluster in methods:
        for threshold in (0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
            labels = np.array(cluster(vectors, threshold))
            together = labels[:, None] == labels[None, :]
            pairs = int((together & upper).sum())
            right = int((together & same & upper).sum())
            sizes = Counter(labels.tolist())
            rows_out.append(
                [
                    method,
                    f"{threshold:.2f}",
                    len(sizes),
                    max(sizes.values()),
                    right / pairs if pairs else float("nan"),
                    right / int((same & upper).sum()),
                ]
            )
    table(
        f"cluster_texts on {len(posts)} Bitext messages ({len(by_intent)} intents, USE)",
        ["method", "threshold", "clusters", "largest", "pair precision", "pair recall"],
        rows_out,
    )


def first_row_leads(vectors: npt.NDArray[np.float32], threshold: float) -> list[int]:
    """Leader clustering whose leader is each cluster's first row (no centroid update)."""
    leaders: list[npt.NDArray[np.float32]] = []
    labels = []
    for row in vectors:
        similarity = np.array([leader @ row for leader in leaders])
        if leaders and similarity.max() >= threshold:
            labels.append(int(similarity.argmax()))
        else:
            labels.append(len(leaders))
            leaders.append(row)
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    rule = SpikeRule()
    console.print(f"defaults: {rule}")
    report("small team", 300, args.weeks, args.seed)
    report("large team", 3000, args.weeks, args.seed + 1)
    time_detect(rule, args.seed)
    cluster_quality(args.seed)


if __name__ == "__main__":
    main()

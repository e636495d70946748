"""Spike detection: baseline windows, the spike test with its floor and cooldown, clusters."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import poisson

from bot.crisis.spikes import (
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
RULE = SpikeRule()
# The baseline counts a span of each earlier week; this many windows fit in it.
WINDOWS_PER_SPAN = RULE.baseline_span / RULE.window


def per_span(count_per_window: float) -> int:
    """The baseline count of a span in which every window held `count_per_window` posts."""
    return round(count_per_window * WINDOWS_PER_SPAN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


class TestDetect:
    def test_forty_posts_in_ten_minutes_against_a_quiet_baseline_are_a_spike(self) -> None:
        quiet = [per_span(1), per_span(0.5), per_span(1), per_span(1.5)]

        signals = detect({"entry:app-login": 40}, {"entry:app-login": quiet}, RULE)

        assert [s.topic for s in signals] == ["entry:app-login"]
        assert signals[0].count == 40
        assert signals[0].expected == pytest.approx(1.0)
        assert signals[0].p_value < RULE.sensitivity

    def test_the_same_forty_posts_when_forty_is_normal_at_that_hour_are_no_spike(self) -> None:
        busy_hour = [per_span(38), per_span(41), per_span(44), per_span(36)]

        assert detect({"tag:delays": 40}, {"tag:delays": busy_hour}, RULE) == []

    def test_a_busy_topic_at_four_times_its_volume_is_a_spike(self) -> None:
        busy_hour = [per_span(30), per_span(25), per_span(35), per_span(28)]

        signals = detect({"tag:delays": 120}, {"tag:delays": busy_hour}, RULE)

        assert [s.topic for s in signals] == ["tag:delays"]

    def test_a_busy_topic_a_third_above_its_volume_is_no_spike(self) -> None:
        # Significant for a Poisson law, but a busier day, not a crisis: min_ratio holds it.
        busy_hour = [per_span(300), per_span(310), per_span(290), per_span(305)]

        assert poisson_tail(400, 302.5) < RULE.sensitivity
        assert detect({"negative": 400}, {"negative": busy_hour}, RULE) == []

    @given(
        count=st.integers(min_value=0, max_value=RULE.min_count - 1),
        history=st.lists(st.integers(min_value=0, max_value=50), max_size=8),
    )
    def test_fewer_posts_than_min_count_are_never_a_spike(
        self, count: int, history: list[int]
    ) -> None:
        assert not is_spike(count, expected_count(history, RULE), RULE)
        assert detect({"topic": count}, {"topic": history}, RULE) == []

    def test_a_topic_in_cooldown_or_open_is_never_signalled(self) -> None:
        current = {"open": 60, "cooling": 60, "fresh": 60}
        past = {topic: [0, 0, 0, 0] for topic in current}

        signals = detect(current, past, RULE, cooling={"open", "cooling"})

        assert [s.topic for s in signals] == ["fresh"]

    def test_a_topic_without_history_is_measured_against_the_floor(self) -> None:
        signals = detect({"cluster:7": 12}, {}, RULE)

        assert signals == [SpikeSignal("cluster:7", 12, RULE.floor_rate, poisson_tail(12, 1.0))]

    def test_one_stray_post_on_a_silent_topic_is_no_spike(self) -> None:
        assert not is_spike(1, 0.0, replace(RULE, min_count=1))

    def test_signals_come_least_probable_first(self) -> None:
        current = {"b": 20, "a": 50, "c": 20}
        past = {topic: [per_span(1)] * 4 for topic in current}

        assert [s.topic for s in detect(current, past, RULE)] == ["a", "b", "c"]


class TestEnd:
    def test_a_spike_is_over_when_volume_returns_to_baseline(self) -> None:
        assert not spike_over(40, 1.0, RULE)
        assert spike_over(2, 1.0, RULE)
        assert spike_over(30, 28.0, RULE)

    def test_a_count_just_below_the_alert_threshold_keeps_an_open_spike_open(self) -> None:
        expected = 5.0
        threshold = next(n for n in itertools.count() if is_spike(n, expected, RULE))

        assert not is_spike(threshold - 1, expected, RULE)
        assert not spike_over(threshold - 1, expected, RULE)

    @given(
        count=st.integers(min_value=0, max_value=2_000),
        expected=st.floats(min_value=0, max_value=1_000, allow_nan=False),
    )
    def test_what_would_open_a_spike_never_ends_one(self, count: int, expected: float) -> None:
        if is_spike(count, expected, RULE):
            assert not spike_over(count, expected, RULE)

    def test_a_topic_cools_down_for_the_cooldown_after_its_spike_ends(self) -> None:
        now = utc(2026, 3, 30, 12)
        ended = {
            "recent": now - RULE.cooldown + dt.timedelta(minutes=1),
            "long ago": now - RULE.cooldown,
        }

        cooling = cooling_topics({"open"}, ended, now, RULE)

        assert cooling == {"open", "recent"}


class TestBaseline:
    def test_baseline_windows_are_the_same_window_in_earlier_weeks(self) -> None:
        rule = replace(RULE, baseline_span=RULE.window)
        now = utc(2026, 5, 13, 9, 17)

        windows = baseline_windows(now, rule)

        assert windows == [
            (now - weeks * dt.timedelta(days=7) - rule.window, now - weeks * dt.timedelta(days=7))
            for weeks in range(1, rule.baseline_weeks + 1)
        ]

    def test_the_baseline_span_is_centred_on_the_window(self) -> None:
        now = utc(2026, 5, 13, 10)

        start, end = baseline_windows(now, RULE)[0]

        assert (start, end) == (utc(2026, 5, 6, 8, 45), utc(2026, 5, 6, 10, 45))

    def test_in_local_time_the_baseline_keeps_the_wall_clock_hour_across_spring_forward(
        self,
    ) -> None:
        # Monday 30 March 2026, 10:00 in Berlin (summer time, UTC+2) = 08:00 UTC. The Mondays
        # before were winter time (UTC+1): 10:00 there was 09:00 UTC.
        rule = replace(RULE, baseline_span=RULE.window)
        now = dt.datetime(2026, 3, 30, 10, tzinfo=BERLIN)

        ends = [end for _, end in baseline_windows(now, rule, tz=BERLIN)]

        assert ends == [
            utc(2026, 3, 23, 9),
            utc(2026, 3, 16, 9),
            utc(2026, 3, 9, 9),
            utc(2026, 3, 2, 9),
        ]
        assert all(end.astimezone(BERLIN).hour == 10 for end in ends)

    def test_in_utc_the_baseline_is_exactly_whole_weeks_back_across_spring_forward(self) -> None:
        rule = replace(RULE, baseline_span=RULE.window)
        now = dt.datetime(2026, 3, 30, 10, tzinfo=BERLIN)

        ends = [end for _, end in baseline_windows(now, rule)]

        assert ends[0] == utc(2026, 3, 23, 8)
        assert ends[0].astimezone(BERLIN).hour == 9

    def test_in_local_time_the_baseline_keeps_the_wall_clock_hour_across_fall_back(self) -> None:
        rule = replace(RULE, baseline_span=RULE.window)
        now = dt.datetime(2026, 10, 26, 10, tzinfo=BERLIN)  # winter time again: 09:00 UTC

        ends = [end for _, end in baseline_windows(now, rule, tz=BERLIN)]

        assert ends[0] == utc(2026, 10, 19, 8)
        assert all(end.astimezone(BERLIN).hour == 10 for end in ends)

    @given(
        now=st.datetimes(
            min_value=dt.datetime(2020, 1, 1),
            max_value=dt.datetime(2035, 1, 1),
            timezones=st.just(BERLIN),
        )
    )
    def test_local_windows_have_the_rules_length_and_go_back_about_a_week_each(
        self, now: dt.datetime
    ) -> None:
        windows = baseline_windows(now, RULE, tz=BERLIN)

        assert len(windows) == RULE.baseline_weeks
        for weeks, (start, end) in enumerate(windows, start=1):
            assert end - start == RULE.baseline_span
            assert start.utcoffset() == dt.timedelta(0)
            shift = now - (start + RULE.window / 2 + RULE.baseline_span / 2)
            assert abs(shift - weeks * dt.timedelta(days=7)) <= dt.timedelta(hours=1)

    def test_a_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            baseline_windows(dt.datetime(2026, 3, 30, 10), RULE)

    def test_one_past_incident_does_not_raise_the_expected_count(self) -> None:
        usual = [per_span(2), per_span(3), per_span(2), per_span(3)]
        with_incident = [per_span(2), per_span(3), per_span(2), per_span(60)]

        assert expected_count(with_incident, RULE) == pytest.approx(expected_count(usual, RULE))
        assert expected_count(usual, RULE) == pytest.approx(2.5)

    def test_a_quiet_or_new_topic_expects_the_floor(self) -> None:
        assert expected_count([0, 0, 1, 0], RULE) == RULE.floor_rate
        assert expected_count([], RULE) == RULE.floor_rate


class TestPoissonTail:
    @given(
        count=st.integers(min_value=0, max_value=6_000),
        expected=st.floats(min_value=1e-3, max_value=5_000, allow_nan=False),
    )
    def test_the_tail_matches_scipy(self, count: int, expected: float) -> None:
        reference = float(poisson.sf(count - 1, expected))

        assert poisson_tail(count, expected) == pytest.approx(reference, rel=1e-9, abs=1e-300)

    @given(
        count=st.integers(min_value=0, max_value=3_000),
        expected=st.floats(min_value=0, max_value=3_000, allow_nan=False),
    )
    def test_the_tail_is_a_probability_falling_with_the_count(
        self, count: int, expected: float
    ) -> None:
        tail = poisson_tail(count, expected)

        assert 0.0 <= tail <= 1.0
        assert poisson_tail(count + 1, expected) <= tail


class TestRule:
    @pytest.mark.parametrize(
        "change",
        [
            {"window": dt.timedelta(0)},
            {"baseline_weeks": 0},
            {"baseline_span": dt.timedelta(minutes=10)},
            {"sensitivity": 0.0},
            {"sensitivity": 0.5, "end_sensitivity": 0.1},
            {"min_count": 0},
            {"min_ratio": 0.5},
            {"floor_rate": 0.0},
            {"cooldown": dt.timedelta(minutes=-1)},
        ],
    )
    def test_a_rule_that_cannot_work_is_refused(self, change: dict[str, Any]) -> None:
        with pytest.raises(ValueError):  # noqa: PT011
            replace(RULE, **change)


class TestClusters:
    def test_near_duplicate_vectors_share_a_cluster_and_others_do_not(self) -> None:
        rng = np.random.default_rng(7)
        centres = rng.normal(size=(3, 64))
        rows = [
            (c, centres[c] + rng.normal(scale=0.05, size=64)) for c in range(3) for _ in range(5)
        ]
        order = rng.permutation(len(rows))
        truth = [rows[i][0] for i in order]
        vectors = np.array([rows[i][1] / np.linalg.norm(rows[i][1]) for i in order])

        labels = cluster_texts(vectors, threshold=0.9)

        pairs = itertools.combinations(range(len(labels)), 2)
        assert all((labels[i] == labels[j]) == (truth[i] == truth[j]) for i, j in pairs)

    def test_cluster_ids_count_up_in_order_of_first_appearance_and_repeat_exactly(self) -> None:
        rng = np.random.default_rng(11)
        vectors = rng.normal(size=(40, 16))

        labels = cluster_texts(vectors, threshold=0.5)

        assert labels == cluster_texts(vectors.copy(), threshold=0.5)
        firsts = [label for n, label in enumerate(labels) if label not in labels[:n]]
        assert firsts == list(range(max(labels) + 1))

    def test_an_empty_batch_has_no_clusters_and_a_zero_vector_stands_alone(self) -> None:
        assert cluster_texts(np.empty((0, 8)), threshold=0.8) == []
        assert cluster_texts(np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]]), 0.8) == [0, 1, 0]

    def test_vectors_that_are_not_a_matrix_are_refused(self) -> None:
        with pytest.raises(ValueError, match=r"\(n, d\)"):
            cluster_texts(np.zeros(8), threshold=0.8)

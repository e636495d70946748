"""Response-time targets: business hours count, closed hours do not, and a bad block is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import KnowledgeError
from bot.faq.files import load_knowledge
from bot.faq.response_targets import (
    BusinessHours,
    ResponseTargets,
    TargetState,
    parse_duration,
    parse_response_targets,
)
from bot.resources import SAMPLE_KNOWLEDGE_DIR

BERLIN = "Europe/Berlin"
OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "08:00", "closes": "18:00"}
BLOCK = {
    "timezone": BERLIN,
    "business_hours": OFFICE,
    "holidays": [dt.date(2026, 12, 24), "2026-12-25"],
    "at_risk_share": 0.75,
    "targets": {"x": "60m", "telegram": "4h", "webhook": "1h30m"},
}


def berlin(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(BERLIN))


class TestBusinessHours:
    def test_friday_evening_post_is_due_on_monday_morning(self) -> None:
        targets = parse_response_targets(BLOCK, "g.md")
        friday_evening = berlin(15, 17, 55)  # 2026-05-15 is a Friday

        assert targets.state("x", friday_evening, berlin(16, 12)) is TargetState.ON_TRACK
        assert targets.age(friday_evening, berlin(18, 8, 0)) == 5 * 60
        assert targets.state("x", friday_evening, berlin(18, 8, 44)) is TargetState.AT_RISK
        assert targets.state("x", friday_evening, berlin(18, 8, 55)) is TargetState.OVERDUE

    def test_holidays_and_nights_do_not_count(self) -> None:
        targets = parse_response_targets(BLOCK, "g.md")
        # Wednesday 23 Dec 17:00 → Monday 28 Dec 09:00: 1 h on Wednesday, Thursday and
        # Friday are holidays, the weekend is closed, 1 h on Monday.
        age = targets.age(berlin(23, 17, month=12), berlin(28, 9, month=12))

        assert age == 2 * 3600

    def test_without_opening_hours_every_second_counts(self) -> None:
        hours = BusinessHours()

        assert hours.seconds_between(berlin(15, 17), berlin(16, 17)) == 24 * 3600

    def test_without_targets_every_card_is_on_track(self) -> None:
        targets = parse_response_targets(None, "g.md")

        assert targets == ResponseTargets()
        assert not targets.any
        assert targets.state("x", berlin(1, 8), berlin(30, 8)) is TargetState.ON_TRACK


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "seconds"),
        [("60m", 3600), ("4h", 14400), ("1h30m", 5400), ("1h 30m", 5400), ("45 min", 2700)],
    )
    def test_durations_read_in_hours_and_minutes(self, text: str, seconds: float) -> None:
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("value", ["", "60", 60, "0m", "1d", "h", "soon"])
    def test_anything_else_is_not_a_duration(self, value: object) -> None:
        assert parse_duration(value) is None

    def test_the_block_sets_zone_days_hours_holidays_share_and_targets(self) -> None:
        targets = parse_response_targets(BLOCK, "g.md")

        assert targets.hours.timezone == BERLIN
        assert targets.hours.weekdays == frozenset(range(5))
        assert (targets.hours.opens, targets.hours.closes) == (dt.time(8), dt.time(18))
        assert targets.hours.holidays == {dt.date(2026, 12, 24), dt.date(2026, 12, 25)}
        assert targets.per_channel == {"x": 3600, "telegram": 14400, "webhook": 5400}
        assert targets.target_for("slack") is None

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"targets": {"x": "soon"}}, "response_times.targets.x"),
            ({"targets": {"twitter": "60m"}}, "response_times.targets.twitter"),
            ({"targets": ["x"]}, "response_times.targets"),
            ({"timezone": "Mars/Olympus"}, "response_times.timezone"),
            ({"business_hours": {**OFFICE, "opens": 480}}, "response_times.business_hours.opens"),
            ({"business_hours": {**OFFICE, "closes": "25:00"}}, "business_hours.closes"),
            ({"business_hours": {**OFFICE, "days": ["someday"]}}, "business_hours.days"),
            ({"business_hours": {**OFFICE, "closes": "07:00"}}, "response_times.business_hours"),
            ({"holidays": ["Christmas"]}, "response_times.holidays"),
            ({"at_risk_share": 1.5}, "response_times.at_risk_share"),
            ({"at_risk_share": "most"}, "response_times.at_risk_share"),
            ({"target": {"x": "60m"}}, "response_times: unknown key 'target'"),
        ],
    )
    def test_a_bad_block_names_the_file_and_the_field(
        self, change: dict[str, object], field: str
    ) -> None:
        with pytest.raises(KnowledgeError) as raised:
            parse_response_targets({**BLOCK, **change}, "guidelines/g.md")

        assert raised.value.path == "guidelines/g.md"
        assert field in raised.value.problem

    def test_a_block_that_is_not_a_mapping_is_refused(self) -> None:
        with pytest.raises(KnowledgeError, match="response_times must be a mapping"):
            parse_response_targets("60m", "g.md")


class TestGuidelinesFile:
    def test_a_bad_block_in_a_guidelines_file_is_reported_with_its_file(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "faq").mkdir()
        (tmp_path / "guidelines").mkdir()
        path = tmp_path / "guidelines" / "leitlinien.md"
        path.write_text(
            "---\nresponse_times:\n  targets: {x: soon}\n---\n## §1 Ehrlich\nText.\n",
            encoding="utf-8",
        )

        knowledge = load_knowledge(tmp_path)

        assert [(e.path, "response_times.targets.x" in e.problem) for e in knowledge.errors] == [
            (str(path), True)
        ]
        assert not knowledge.guidelines.response_targets.any

    def test_unquoted_opening_hours_ask_for_quotes(self, tmp_path: Path) -> None:
        (tmp_path / "guidelines").mkdir()
        path = tmp_path / "guidelines" / "leitlinien.md"
        # YAML reads an unquoted 18:00 as the number 1080.
        path.write_text(
            "---\nresponse_times:\n  business_hours: {opens: 08:00, closes: 18:00}\n---\n",
            encoding="utf-8",
        )

        errors = load_knowledge(tmp_path).errors

        assert len(errors) == 1 and "in quotes" in errors[0].problem

    def test_the_sample_guidelines_set_an_hour_for_posts_and_four_for_messages(self) -> None:
        targets = load_knowledge(SAMPLE_KNOWLEDGE_DIR).guidelines.response_targets

        assert {channel: seconds / 3600 for channel, seconds in targets.per_channel.items()} == {
            "x": 1,
            "facebook": 1,
            "instagram": 1,
            "telegram": 4,
            "webhook": 4,
            "slack": 4,
        }
        assert targets.hours.timezone == BERLIN
        assert targets.hours.weekdays == frozenset(range(5))

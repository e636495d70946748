"""Judging a draft against its line's `expect`: one pure function shared by eval and demo."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli.expectations import (
    Expectation,
    ExpectedLine,
    Outcome,
    judge_expectation,
    judge_line,
    tally,
)
from bot.drafting.port import DraftReply
from bot.models import DraftAction, Language

REVIEW, ESCALATE, IGNORE = DraftAction.REVIEW, DraftAction.ESCALATE, DraftAction.IGNORE
RETURNS = ("returns-window-de", "returns-window-en")


def _reply(action: DraftAction, *citations: str) -> DraftReply:
    return DraftReply("Hallo Anna, …", Language.DE, action, 0.8, citations=citations)


class TestJudgeExpectation:
    @pytest.mark.parametrize(
        ("expected", "entries", "action", "citations", "outcome"),
        [
            (REVIEW, RETURNS, REVIEW, ("returns-window-de",), Outcome.ANSWERED_RIGHT),
            (REVIEW, RETURNS, REVIEW, RETURNS, Outcome.ANSWERED_RIGHT),
            (REVIEW, RETURNS, REVIEW, ("gift-cards-en",), Outcome.ANSWERED_WRONG),
            (
                REVIEW,
                RETURNS,
                REVIEW,
                ("returns-window-de", "gift-cards-en"),
                Outcome.ANSWERED_WRONG,
            ),
            (REVIEW, RETURNS, REVIEW, (), Outcome.ANSWERED_WRONG),
            (REVIEW, RETURNS, ESCALATE, (), Outcome.ESCALATED_BUT_ANSWERABLE),
            (REVIEW, RETURNS, IGNORE, (), Outcome.ESCALATED_BUT_ANSWERABLE),
            (ESCALATE, (), REVIEW, ("gift-cards-en",), Outcome.OUT_OF_SCOPE_ANSWERED),
            (IGNORE, (), REVIEW, ("returns-window-de",), Outcome.OUT_OF_SCOPE_ANSWERED),
            (ESCALATE, (), ESCALATE, (), Outcome.NOT_ANSWERED_AS_EXPECTED),
            (IGNORE, (), IGNORE, (), Outcome.NOT_ANSWERED_AS_EXPECTED),
            (ESCALATE, (), IGNORE, (), Outcome.ESCALATE_IGNORE_MIXED_UP),
            (IGNORE, (), ESCALATE, (), Outcome.ESCALATE_IGNORE_MIXED_UP),
        ],
    )
    def test_each_pair_of_expected_and_drafted_action_gets_its_outcome(
        self,
        expected: DraftAction,
        entries: tuple[str, ...],
        action: DraftAction,
        citations: tuple[str, ...],
        outcome: Outcome,
    ) -> None:
        expect = Expectation(action=expected, entries=entries)

        assert judge_expectation(expect, _reply(action, *citations)) is outcome

    @pytest.mark.parametrize(
        ("outcome", "matches"),
        [
            (Outcome.ANSWERED_RIGHT, True),
            (Outcome.NOT_ANSWERED_AS_EXPECTED, True),
            (Outcome.ANSWERED_WRONG, False),
            (Outcome.ESCALATED_BUT_ANSWERABLE, False),
            (Outcome.OUT_OF_SCOPE_ANSWERED, False),
            (Outcome.ESCALATE_IGNORE_MIXED_UP, False),
        ],
    )
    def test_only_the_expected_action_with_right_entries_matches(
        self, outcome: Outcome, matches: bool
    ) -> None:
        assert outcome.matches is matches


class TestExpectation:
    def test_the_sample_format_is_read(self) -> None:
        line = ExpectedLine.model_validate(
            {
                "id": "s01",
                "channel": "instagram",
                "author_name": "Anna",
                "text": "Wie lange hab ich Zeit?",
                "expect": {"action": "review", "entries": list(RETURNS)},
            }
        )

        assert line.expect == Expectation(action=REVIEW, entries=RETURNS)

    def test_a_line_without_expect_has_none(self) -> None:
        line = ExpectedLine.model_validate({"id": 1, "channel": "x", "text": "hi"})

        assert line.expect is None

    @pytest.mark.parametrize(
        ("expect", "problem"),
        [
            ({"action": "answer", "entries": []}, "action"),
            ({"action": "review", "entries": "returns-window-de"}, "entries"),
            ({"action": "review", "entries": [1, 2]}, "entries"),
            ({"action": "review"}, "must list the entries"),
            ({"action": "escalate", "entry": []}, "entry"),
            ("review", "expect"),
        ],
    )
    def test_an_invalid_expect_is_refused_naming_the_problem(
        self, expect: object, problem: str
    ) -> None:
        raw = {"id": "e1", "channel": "x", "text": "hi", "expect": expect}

        with pytest.raises(ValidationError, match=problem):
            ExpectedLine.model_validate(raw)


class TestTally:
    def test_counts_each_tracked_outcome_and_the_matching_lines(self) -> None:
        answer = Expectation(action=REVIEW, entries=RETURNS)
        decline = Expectation(action=ESCALATE)
        verdicts = [
            judge_line("right", answer, _reply(REVIEW, "returns-window-en")),
            judge_line("wrong", answer, _reply(REVIEW, "gift-cards-en")),
            judge_line("timid", answer, _reply(ESCALATE)),
            judge_line("bold", decline, _reply(REVIEW, "gift-cards-en")),
            judge_line("honest", decline, _reply(ESCALATE)),
            judge_line("mixed", decline, _reply(IGNORE)),
        ]

        counts = tally(verdicts)

        assert counts.judged == 6
        assert (counts.answered_right, counts.answered_wrong) == (1, 1)
        assert (counts.escalated_but_answerable, counts.out_of_scope_answered) == (1, 1)
        assert counts.matching == 2

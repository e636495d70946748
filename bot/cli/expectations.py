"""Judging a draft against the `expect` field of its enquiry line, for `eval drafts` and the demo.

A line may say what a good draft does: `"expect": {"action": "review", "entries": [...]}`
lists the entries any of which a right answer may cite (often both language versions);
`"entries": []` expects a reply that cites nothing (thanks for praise).
`eval drafts` and the demo judge with the one function here, so they report the same
numbers. Answering with the wrong entry gets its own count because it is the worst
outcome: a reviewer under time pressure approves it, while an escalation costs a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from bot.cli.jsonl import DraftLine
from bot.drafting.port import DraftReply
from bot.models import DraftAction


class Expectation(BaseModel):
    """What a good draft of one line does: its action and, for `review`, what it may cite."""

    # A misspelt key ("entry") would otherwise silently turn every answer wrong.
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: DraftAction
    entries: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _a_review_names_its_entries(self) -> Expectation:
        # An empty list must be written out: a forgotten key would judge every answer wrong.
        if self.action is DraftAction.REVIEW and "entries" not in self.model_fields_set:
            raise ValueError("an expected review must list the entries it may cite")
        return self


class ExpectedLine(DraftLine):
    """An input line of `eval drafts` and the demo: an enquiry, optionally with `expect`."""

    expect: Expectation | None = None


class Outcome(StrEnum):
    """How a draft compares with its line's `expect`."""

    # Expected an answer; the draft answers citing only entries the line accepts.
    ANSWERED_RIGHT = "answered-right"
    # Expected an answer; the draft answers citing another entry, or none.
    ANSWERED_WRONG = "answered-wrong"
    # Expected an answer; the draft escalates or ignores.
    ESCALATED_BUT_ANSWERABLE = "escalated-but-answerable"
    # Expected escalate or ignore; the draft answers anyway.
    OUT_OF_SCOPE_ANSWERED = "out-of-scope-answered"
    # Expected escalate or ignore, and the draft does just that.
    NOT_ANSWERED_AS_EXPECTED = "not-answered-as-expected"
    # Expected escalate and the draft ignores, or the other way round.
    ESCALATE_IGNORE_MIXED_UP = "escalate-ignore-mixed-up"

    @property
    def matches(self) -> bool:
        """Whether the draft did what the line expects (for a review: the right entries)."""
        return self in (Outcome.ANSWERED_RIGHT, Outcome.NOT_ANSWERED_AS_EXPECTED)


@dataclass(frozen=True)
class Verdict:
    """One draft judged against its line, with what it takes to show a miss."""

    line_id: str
    expect: Expectation
    action: DraftAction
    citations: tuple[str, ...]
    outcome: Outcome


@dataclass(frozen=True)
class ExpectationTally:
    """The outcomes over `judged` lines that carry an `expect`."""

    judged: int
    answered_right: int
    answered_wrong: int
    escalated_but_answerable: int
    out_of_scope_answered: int
    matching: int


def judge_expectation(expect: Expectation, reply: DraftReply) -> Outcome:
    """Classify a draft against what its line expects.

    Args:
        expect: The line's expected action and acceptable entries.
        reply: The draft, whichever drafter wrote it.

    Returns:
        The outcome; `Outcome.matches` tells whether it is what the line expects.
    """
    answered = reply.action is DraftAction.REVIEW
    # Standard replies ("reply:thanks-de-du") are no FAQ answer: judged by entries alone.
    entries = [c for c in reply.citations if not c.startswith("reply:")]
    if expect.action is DraftAction.REVIEW:
        if not answered:
            return Outcome.ESCALATED_BUT_ANSWERABLE
        if not expect.entries:
            return Outcome.ANSWERED_WRONG if entries else Outcome.ANSWERED_RIGHT
        if entries and set(entries) <= set(expect.entries):
            return Outcome.ANSWERED_RIGHT
        return Outcome.ANSWERED_WRONG
    if answered:
        return Outcome.OUT_OF_SCOPE_ANSWERED
    if reply.action is expect.action:
        return Outcome.NOT_ANSWERED_AS_EXPECTED
    return Outcome.ESCALATE_IGNORE_MIXED_UP


def judge_line(line_id: str, expect: Expectation, reply: DraftReply) -> Verdict:
    """Judge one line's draft and keep what a developer needs to see when it misses."""
    return Verdict(line_id, expect, reply.action, reply.citations, judge_expectation(expect, reply))


def tally(verdicts: Sequence[Verdict]) -> ExpectationTally:
    """Count the outcomes the issue tracks, and the lines that match their expect."""
    outcomes = [v.outcome for v in verdicts]
    return ExpectationTally(
        judged=len(outcomes),
        answered_right=outcomes.count(Outcome.ANSWERED_RIGHT),
        answered_wrong=outcomes.count(Outcome.ANSWERED_WRONG),
        escalated_but_answerable=outcomes.count(Outcome.ESCALATED_BUT_ANSWERABLE),
        out_of_scope_answered=outcomes.count(Outcome.OUT_OF_SCOPE_ANSWERED),
        matching=sum(o.matches for o in outcomes),
    )

"""What `replydesk eval drafts FILE.jsonl` measures and prints: checks on each draft.

Whatever drafter the settings configure writes the drafts; the measurements reuse the
checks the LLM drafter runs on its own answers (`bot.llm.grounding`), so offline and LLM
drafts are judged by the same rules: language, citations, length, register, salutation,
personal data in public replies, how many answer sentences a draft took of those its
entries offered, and how many drafts escalate. A line with an `expect` field is also judged
against it (`bot.cli.expectations`): answered right or wrong, escalated though answerable,
answered though out of scope, and whether a reply was due or the post rightly ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.console import render_expectations
from bot.cli.expectations import Expectation, ExpectedLine, Outcome, Verdict, judge_line
from bot.cli.jsonl import parse_line
from bot.drafting.pipeline import DraftingContext, prepare_request
from bot.drafting.port import DraftReply, DraftRequest
from bot.errors import BotError
from bot.llm.grounding import (
    PUBLIC_CHANNELS,
    check_citations,
    check_language,
    check_register,
    check_salutation,
    offered_passages,
    repeats_personal_data,
)
from bot.models import DraftAction


@dataclass(frozen=True)
class DraftMeasurement:
    """The checks on one draft; `error` is set (and the checks are False) when it failed."""

    id: str
    channel: str
    drafter: str
    action: str
    language_match: bool
    citations_valid: bool
    within_length: bool
    register_correct: bool
    personal_data_in_public: bool
    escalated: bool
    salutation_correct: bool = True
    length: int = 0
    sentences_taken: int = 0
    sentences_available: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    # Set when the line carried an `expect` field.
    verdict: Verdict | None = None

    @property
    def outcome(self) -> Outcome | None:
        """How the draft compares with the line's `expect`; None without one or on error."""
        return self.verdict.outcome if self.verdict else None

    @property
    def reply_need_correct(self) -> bool | None:
        """Ignored exactly when `expect` says ignore; None without an `expect`."""
        if self.verdict is None:
            return None
        expected_ignore = self.verdict.expect.action is DraftAction.IGNORE
        return expected_ignore == (self.verdict.action is DraftAction.IGNORE)


@dataclass(frozen=True)
class EvaluationTotals:
    """How many drafts passed each check, out of `drafted` (lines that produced a draft)."""

    lines: int
    drafted: int
    language_match: int
    citations_valid: int
    within_length: int
    register_correct: int
    salutation_correct: int
    personal_data_in_public: int
    escalated: int
    ignored: int
    reply_need_correct: int
    reply_need_judged: int
    sentences_taken: int
    sentences_available: int
    prompt_tokens: int
    completion_tokens: int


def measure_draft(
    line_id: str, request: DraftRequest, reply: DraftReply, expect: Expectation | None = None
) -> DraftMeasurement:
    """Run the grounding checks on a finished draft, and judge it against `expect` if given."""
    _, invented = check_citations(
        reply.citations, offered_passages(request), request.guidelines.replies
    )
    public = request.channel in PUBLIC_CHANNELS
    return DraftMeasurement(
        id=line_id,
        channel=request.channel.value,
        drafter=reply.drafter,
        action=reply.action.value,
        language_match=reply.language is request.language
        and not check_language(reply.text, request.language),
        citations_valid=not invented,
        within_length=len(reply.text) <= request.policy.max_length,
        register_correct=not check_register(
            reply.text, reply.language, request.policy.register, request.text
        ),
        personal_data_in_public=public and repeats_personal_data(reply.text, request.text),
        escalated=reply.action is DraftAction.ESCALATE,
        salutation_correct=not check_salutation(
            reply.text, reply.language, request.policy.register
        ),
        length=len(reply.text),
        sentences_taken=reply.sentences_taken,
        sentences_available=reply.sentences_available,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        verdict=judge_line(line_id, expect, reply) if expect else None,
    )


async def evaluate_drafts(lines: Iterable[str], context: DraftingContext) -> list[DraftMeasurement]:
    """Draft and measure each line `{"id", "channel", "author_name", "text", "expect"?}`.

    A line that cannot be read (an invalid `expect` included) or drafted becomes a
    measurement with `error` set; the run goes on, as with `replydesk draft --jsonl`.
    """
    measurements = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        line = parse_line(raw, number, ExpectedLine)
        if isinstance(line, dict):
            line_id = line["id"]
            shown = f"line {number}" if line_id is None else str(line_id)
            measurements.append(_failed(shown, "?", str(line["error"])))
            continue
        assert isinstance(line, ExpectedLine)  # noqa: S101 - parse_line returns its model
        request = prepare_request(context, line.text, line.channel, line.author_name)
        try:
            reply = await context.drafter.draft(request)
        except BotError as error:  # an outage must not end the run: report it per line
            measurements.append(_failed(str(line.id), line.channel.value, str(error)))
            continue
        measurements.append(measure_draft(str(line.id), request, reply, line.expect))
    return measurements


def total(measurements: Sequence[DraftMeasurement]) -> EvaluationTotals:
    """Add up the measurements; failed lines count as lines but not as drafts."""
    drafted = [m for m in measurements if m.error is None]
    return EvaluationTotals(
        lines=len(measurements),
        drafted=len(drafted),
        language_match=sum(m.language_match for m in drafted),
        citations_valid=sum(m.citations_valid for m in drafted),
        within_length=sum(m.within_length for m in drafted),
        register_correct=sum(m.register_correct for m in drafted),
        salutation_correct=sum(m.salutation_correct for m in drafted),
        personal_data_in_public=sum(m.personal_data_in_public for m in drafted),
        escalated=sum(m.escalated for m in drafted),
        ignored=sum(m.action == DraftAction.IGNORE.value for m in drafted),
        reply_need_correct=sum(m.reply_need_correct is True for m in drafted),
        reply_need_judged=sum(m.reply_need_correct is not None for m in drafted),
        sentences_taken=sum(m.sentences_taken for m in drafted),
        sentences_available=sum(m.sentences_available for m in drafted),
        prompt_tokens=sum(m.prompt_tokens for m in drafted),
        completion_tokens=sum(m.completion_tokens for m in drafted),
    )


def render_evaluation(measurements: Sequence[DraftMeasurement], console: Console) -> None:
    """Print one row per draft and a total row, then how the drafts compare with `expect`."""
    table = Table(title="Draft evaluation", title_justify="left")
    for column in ("id", "channel", "drafter", "action", "language", "citations", "length"):
        table.add_column(column)
    for column in ("register", "salutation", "sentences", "PII public", "reply due"):
        table.add_column(column)
    for column in ("tokens in/out", "expect"):
        table.add_column(column)
    for m in measurements:
        if m.error is not None:
            table.add_row(escape(m.id), m.channel, "", "error", f"[red]{escape(m.error)}[/red]")
            continue
        table.add_row(
            escape(m.id),
            m.channel,
            m.drafter,
            m.action,
            _mark(m.language_match),
            _mark(m.citations_valid),
            _length(m),
            _mark(m.register_correct),
            _mark(m.salutation_correct),
            f"{m.sentences_taken}/{m.sentences_available}" if m.sentences_available else "",
            _mark(not m.personal_data_in_public, shown="repeated"),
            "" if m.reply_need_correct is None else _mark(m.reply_need_correct),
            f"{m.prompt_tokens}/{m.completion_tokens}",
            _outcome(m.outcome),
        )
    verdicts = [m.verdict for m in measurements if m.verdict is not None]
    totals = total(measurements)
    n = totals.drafted
    table.add_section()
    table.add_row(
        "total",
        f"{n} of {totals.lines}",
        "",
        f"{totals.escalated} escalated, {totals.ignored} ignored",
        f"{totals.language_match}/{n}",
        f"{totals.citations_valid}/{n}",
        f"{totals.within_length}/{n}",
        f"{totals.register_correct}/{n}",
        f"{totals.salutation_correct}/{n}",
        f"{totals.sentences_taken}/{totals.sentences_available}",
        f"{totals.personal_data_in_public} repeated",
        f"{totals.reply_need_correct}/{totals.reply_need_judged}",
        f"{totals.prompt_tokens}/{totals.completion_tokens}",
        f"{sum(v.outcome.matches for v in verdicts)}/{len(verdicts)} match" if verdicts else "",
    )
    console.print(table)
    render_expectations(verdicts, console)


def _failed(line_id: str, channel: str, error: str) -> DraftMeasurement:
    return DraftMeasurement(
        line_id, channel, "", "", False, False, False, False, False, False, error=error
    )


def _length(m: DraftMeasurement) -> str:
    return f"{m.length} ✓" if m.within_length else f"[red]{m.length} ✗[/red]"


def _mark(passed: bool, shown: str = "✗") -> str:
    return "[green]✓[/green]" if passed else f"[red]{shown}[/red]"


def _outcome(outcome: Outcome | None) -> str:
    if outcome is None:
        return ""
    return f"[green]{outcome}[/green]" if outcome.matches else f"[red]{outcome}[/red]"

"""What `replydesk eval drafts FILE.jsonl` measures and prints: checks on each draft.

Whatever drafter the settings configure writes the drafts; the measurements reuse the
checks the LLM drafter runs on its own answers (`bot.llm.grounding`), so offline and LLM
drafts are judged by the same rules: language, citations, length, register, personal
data in public replies, and how many drafts escalate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.jsonl import DraftLine
from bot.drafting.pipeline import DraftingContext, prepare_request
from bot.drafting.port import DraftReply, DraftRequest
from bot.errors import BotError
from bot.llm.grounding import (
    PUBLIC_CHANNELS,
    check_citations,
    check_language,
    check_register,
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
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None


@dataclass(frozen=True)
class EvaluationTotals:
    """How many drafts passed each check, out of `drafted` (lines that produced a draft)."""

    lines: int
    drafted: int
    language_match: int
    citations_valid: int
    within_length: int
    register_correct: int
    personal_data_in_public: int
    escalated: int
    prompt_tokens: int
    completion_tokens: int


def measure_draft(line_id: str, request: DraftRequest, reply: DraftReply) -> DraftMeasurement:
    """Run the grounding checks on a finished draft, whichever drafter wrote it."""
    _, invented = check_citations(reply.citations, offered_passages(request))
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
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
    )


async def evaluate_drafts(lines: Iterable[str], context: DraftingContext) -> list[DraftMeasurement]:
    """Draft and measure each line `{"id", "channel", "author_name", "text"}`.

    A line that cannot be read or drafted becomes a measurement with `error` set; the run
    goes on, as with `replydesk draft --jsonl`.
    """
    measurements = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = DraftLine.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError):
            measurements.append(_failed(f"line {number}", "?", "not a valid enquiry line"))
            continue
        request = prepare_request(context, line.text, line.channel, line.author_name)
        try:
            reply = await context.drafter.draft(request)
        except BotError as error:  # an outage must not end the run: report it per line
            measurements.append(_failed(str(line.id), line.channel.value, str(error)))
            continue
        measurements.append(measure_draft(str(line.id), request, reply))
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
        personal_data_in_public=sum(m.personal_data_in_public for m in drafted),
        escalated=sum(m.escalated for m in drafted),
        prompt_tokens=sum(m.prompt_tokens for m in drafted),
        completion_tokens=sum(m.completion_tokens for m in drafted),
    )


def render_evaluation(measurements: Sequence[DraftMeasurement], console: Console) -> None:
    """Print one row per draft and a total row (passes out of drafts)."""
    table = Table(title="Draft evaluation", title_justify="left")
    for column in ("id", "channel", "drafter", "action", "language", "citations", "length"):
        table.add_column(column)
    for column in ("register", "PII public", "tokens in/out"):
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
            _mark(m.within_length),
            _mark(m.register_correct),
            _mark(not m.personal_data_in_public, shown="repeated"),
            f"{m.prompt_tokens}/{m.completion_tokens}",
        )
    totals = total(measurements)
    n = totals.drafted
    table.add_section()
    table.add_row(
        "total",
        f"{n} of {totals.lines}",
        "",
        f"{totals.escalated} escalated",
        f"{totals.language_match}/{n}",
        f"{totals.citations_valid}/{n}",
        f"{totals.within_length}/{n}",
        f"{totals.register_correct}/{n}",
        f"{totals.personal_data_in_public} repeated",
        f"{totals.prompt_tokens}/{totals.completion_tokens}",
    )
    console.print(table)


def _failed(line_id: str, channel: str, error: str) -> DraftMeasurement:
    return DraftMeasurement(
        line_id, channel, "", "", False, False, False, False, False, False, error=error
    )


def _mark(passed: bool, shown: str = "✗") -> str:
    return "[green]✓[/green]" if passed else f"[red]{shown}[/red]"

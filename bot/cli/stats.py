"""`replydesk stats`: what comms leads look at — slow decisions, rejections, gaps, token cost."""

from __future__ import annotations

import asyncio
import statistics

from rich.console import Console
from rich.table import Table

from bot.storage import Database
from bot.storage.reports import Report, build_report


async def load_report(database_url: str) -> Report:
    """Read the figures from the database at `database_url`."""
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            return await build_report(conn)
    finally:
        await db.dispose()


def render_report(report: Report, console: Console, per_draft: bool = False) -> None:
    """Print the report as tables."""
    totals = Table(title="ReplyDesk", show_header=False)
    totals.add_row("enquiries", str(report.enquiries))
    for title, counts in (
        ("current drafts by action", report.actions),
        ("drafts by drafter", report.drafts_by_drafter),
        ("decisions", report.decisions),
        ("rejection reasons", report.rejection_reasons),
        ("deliveries", report.deliveries),
    ):
        totals.add_row(title, ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "–")
    delays = report.seconds_to_decision
    if delays:
        p95 = delays[min(len(delays) - 1, int(0.95 * len(delays)))]
        totals.add_row(
            "time to decision", f"median {statistics.median(delays):.0f} s, p95 {p95:.0f} s"
        )
    prompt = [u.prompt_tokens for u in report.usage if u.prompt_tokens]
    completion = [u.completion_tokens for u in report.usage if u.completion_tokens]
    if prompt:
        mean_completion = statistics.mean(completion or [0])
        totals.add_row(
            "tokens per model draft",
            f"prompt {statistics.mean(prompt):.0f}, completion {mean_completion:.0f}"
            f" (total {sum(prompt) + sum(completion)})",
        )
    console.print(totals)
    if report.unanswered:
        console.print(
            "[bold]Recent enquiries the FAQ could not answer[/bold] (candidates for new entries):"
        )
        for text in report.unanswered:
            console.print(f"  • {text[:120]}")
    if per_draft and report.usage:
        table = Table("draft", "drafter", "prompt tokens", "completion tokens")
        for usage in report.usage:
            table.add_row(
                usage.draft_id[:12],
                usage.drafter,
                str(usage.prompt_tokens),
                str(usage.completion_tokens),
            )
        console.print(table)


def print_stats(database_url: str, console: Console, per_draft: bool = False) -> None:
    """Load and print the report."""
    render_report(asyncio.run(load_report(database_url)), console, per_draft)

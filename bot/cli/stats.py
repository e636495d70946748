"""`replydesk stats`: the comms lead's period report, its CSV export, and all-time token cost."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from bot.errors import InputError
from bot.faq.files import load_knowledge
from bot.faq.response_targets import ResponseTargets
from bot.storage import Database
from bot.storage.report_outcomes import Targets
from bot.storage.report_period import PeriodReport, Timing, period_report
from bot.storage.reports import Report, build_report, write_enquiry_csv
from bot.wording import counted


@dataclass(frozen=True)
class Period:
    """Enquiries received from `since` (included) to `until` (excluded)."""

    since: dt.datetime
    until: dt.datetime


def response_targets(knowledge_dir: Path) -> ResponseTargets:
    """The business hours and per-channel targets of the guidelines' front matter."""
    return load_knowledge(knowledge_dir).guidelines.response_targets


def parse_day(text: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option's day, or None when not given.

    Raises:
        InputError: The text is not a date.
    """
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} wants a day as YYYY-MM-DD, not {text!r}") from None


def choose_period(
    since: dt.date | None, until: dt.date | None, days: int, now: dt.datetime, timezone: str
) -> Period:
    """The period the options name: whole local days, `until` included; else the last days.

    Raises:
        InputError: `until` is before `since`, or `days` is not positive.
    """
    if days < 1:
        raise InputError(f"--days must be at least 1, not {days}")
    zone = ZoneInfo(timezone)

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0, 0), zone).astimezone(dt.UTC)

    end = start_of(until + dt.timedelta(days=1)) if until is not None else now
    start = start_of(since) if since is not None else end - dt.timedelta(days=days)
    if end <= start:
        raise InputError(f"--until {until} is before --since {since}")
    return Period(start, end)


async def load_reports(
    database_url: str,
    period: Period,
    targets: Targets,
    now: dt.datetime,
    csv_file: Path | None = None,
) -> tuple[PeriodReport, Report, int]:
    """Read the period's report, the all-time totals, and write the CSV if asked.

    Returns:
        The period report, the all-time report, and the CSV rows written (0 without a file).
    """
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            report = await period_report(conn, period.since, period.until, targets, now)
            totals = await build_report(conn)
            rows = 0
            if csv_file is not None:
                with csv_file.open("w", encoding="utf-8", newline="") as stream:
                    rows = await write_enquiry_csv(
                        conn, period.since, period.until, targets, stream, now=now
                    )
            return report, totals, rows
    finally:
        await db.dispose()


def render_period(report: PeriodReport, console: Console) -> None:
    """Print the comms lead's figures for the period."""
    days = (report.until - report.since).total_seconds() / 86400
    table = Table(
        title=f"Enquiries {report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC"
        f" ({counted(round(days), 'day')})",
        show_header=False,
    )
    table.add_row("enquiries", counted(report.enquiries, "enquiry", "enquiries"))
    for channel, figures in report.channels.items():
        target = (
            f", {figures.within_target} of {figures.answered} within"
            f" {_duration(figures.target_seconds)}"
            if figures.target_seconds is not None
            else ""
        )
        table.add_row(f"  {channel}", f"{figures.enquiries}, {figures.answered} answered{target}")
    table.add_row("decisions", _pairs(report.decisions))
    table.add_row("rejection reasons", _pairs(report.rejection_reasons))
    table.add_row("time to first reply", _timing(report.time_to_reply, "reply", "replies"))
    table.add_row("time to decision", _timing(report.time_to_decision, "decision"))
    share = report.share_within_target
    table.add_row(
        "share within target", "no targets set" if share is None else f"{share:.0%} of answered"
    )
    backlog = report.backlog
    waiting = counted(backlog.total, "conversation")
    if backlog.total:
        waiting += (
            f" ({backlog.awaiting_review} to review, {backlog.awaiting_draft} being drafted,"
            f" {backlog.escalated} escalated; {_pairs(backlog.by_target)};"
            f" oldest {_duration(backlog.oldest_seconds)})"
        )
    table.add_row("waiting now", waiting)
    console.print(table)
    if report.topics:
        console.print("[bold]Top unanswered topics[/bold] (escalated, or no FAQ entry fitted):")
        for topic in report.topics:
            console.print(
                f"  • {topic.label}: {counted(topic.conversations, 'conversation')}"
                f" — e.g. {topic.example}",
                markup=False,
            )


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in counts.items()) or "–"


def _timing(timing: Timing, one: str, many: str | None = None) -> str:
    if timing.median is None or timing.p90 is None:
        return "–"
    return (
        f"median {_duration(timing.median)}, p90 {_duration(timing.p90)}"
        f" ({counted(timing.count, one, many)}; business hours)"
    )


def _duration(seconds: float | None) -> str:
    """Seconds as the largest fitting unit: 45 s, 12 min, 3.5 h."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def render_report(report: Report, console: Console, per_draft: bool = False) -> None:
    """Print the all-time totals as tables."""
    totals = Table(title="All time", show_header=False)
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


def print_stats(
    database_url: str,
    console: Console,
    period: Period,
    targets: Targets,
    now: dt.datetime,
    csv_file: Path | None = None,
    per_draft: bool = False,
) -> None:
    """Load and print the period's report and the all-time totals; write the CSV if asked."""
    report, totals, rows = asyncio.run(load_reports(database_url, period, targets, now, csv_file))
    render_period(report, console)
    render_report(totals, console, per_draft)
    if csv_file is not None:
        console.print(f"Wrote {counted(rows, 'enquiry', 'enquiries')} to {csv_file}", markup=False)

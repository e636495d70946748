"""What people see in the terminal: progress bars, index reports, the demo's review view.

Also how drafts compare with their lines' `expect`, shared by the demo and `eval drafts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from bot.cli.expectations import Verdict, tally
from bot.drafting.port import DraftReply
from bot.errors import KnowledgeError
from bot.faq.files import KnowledgeBase
from bot.faq.indexing import IndexReport, ProgressCallback
from bot.wording import counted

# Progress and reports go to stderr so that stdout carries only JSON lines.
err_console = Console(stderr=True)

_ACTION_STYLE = {"review": "green", "escalate": "yellow", "ignore": "dim"}


@contextmanager
def indexing_progress(console: Console = err_console) -> Iterator[ProgressCallback]:
    """Yield a progress callback that draws a bar once there is something to embed."""
    progress = Progress(
        TextColumn("[bold]Embedding FAQ entries"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task: list[TaskID] = []

    def update(done: int, total: int) -> None:
        if not task:
            progress.start()
            task.append(progress.add_task("embed", total=total))
        progress.update(task[0], completed=done)

    try:
        yield update
    finally:
        if task:
            progress.stop()


def print_index_report(
    knowledge: KnowledgeBase, report: IndexReport, console: Console = err_console
) -> None:
    """Summarise an indexing run, list every file that was skipped, then every warning.

    A warning skipped nothing but likely needs a fix: an empty or wrong folder (no FAQ
    entries), a `translation_of` naming no entry.
    """
    console.print(
        f"Indexed {counted(len(knowledge.entries), 'entry', 'entries')} and "
        f"{counted(len(knowledge.guidelines.clauses), 'guideline clause')}: "
        f"{report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged "
        f"({counted(report.texts_embedded, 'text')} embedded in {report.seconds:.2f} s).",
        soft_wrap=True,
    )
    print_knowledge_errors(knowledge.errors, console)
    for warning in knowledge.warnings:
        console.print(
            f"[yellow]warning:[/yellow] {escape(warning.path)}: {escape(warning.problem)}",
            soft_wrap=True,
            highlight=False,
        )


def print_knowledge_errors(
    errors: tuple[KnowledgeError, ...], console: Console = err_console
) -> None:
    """List broken knowledge files by name with what is wrong, one line each."""
    if not errors:
        return
    for error in errors:
        # Unwrapped, however long the path: a wrapped line is hard to read back and to grep.
        console.print(
            f"[red]error[/red] {escape(error.path)}: {escape(error.problem)}",
            soft_wrap=True,
            highlight=False,
        )
    console.print(
        f"[red]{counted(len(errors), 'file')} skipped[/red]; everything else was indexed."
    )


def render_review(
    enquiry_id: str,
    channel: str,
    author: str | None,
    text: str,
    reply: DraftReply,
    titles: dict[str, str],
    clause_titles: dict[str, str],
    console: Console,
) -> None:
    """Show one draft the way a reviewer would see it."""
    style = _ACTION_STYLE.get(reply.action.value, "white")
    meta = Text.assemble(
        ("language ", "dim"),
        reply.language.value,
        ("  ·  confidence ", "dim"),
        f"{reply.confidence:.2f}",
        ("  ·  action ", "dim"),
        (reply.action.value, f"bold {style}"),
    )
    cited = [f"• {escape(titles.get(c, c))} [dim]({c})[/dim]" for c in reply.citations]
    clauses = [f"{c} {escape(clause_titles.get(c, ''))}" for c in reply.guideline_clauses]
    parts: list[RenderableType] = [
        Text(f"“{text}”", style="italic"),
        meta,
        Panel(
            escape(reply.text) if reply.text else "[dim](no reply: spam is ignored)[/dim]",
            title="draft",
            title_align="left",
            border_style=style,
        ),
    ]
    if cited:
        parts.append(Text.from_markup("[bold]cited[/bold]\n" + "\n".join(cited)))
    if clauses:
        parts.append(Text.from_markup("[bold]guidelines[/bold] " + escape(", ".join(clauses))))
    if reply.flags:
        parts.append(Text.from_markup("[bold]flags[/bold] " + escape(", ".join(reply.flags))))
    title = f"{enquiry_id} · {channel} · {author or 'anonymous'}"
    console.print(Panel(Group(*parts), title=escape(title), title_align="left"))


def render_summary(
    rows: list[tuple[str, DraftReply, float]], verdicts: Sequence[Verdict], console: Console
) -> None:
    """Totals of the demo run: actions, languages, outcomes against `expect`, time per draft."""
    table = Table(title="Summary", show_header=True)
    table.add_column("")
    table.add_column("count", justify="right")
    for action in ("review", "escalate", "ignore"):
        count = sum(1 for _, reply, _ in rows if reply.action.value == action)
        table.add_row(f"action {action}", str(count))
    for language in ("de", "en"):
        count = sum(1 for _, reply, _ in rows if reply.language.value == language)
        table.add_row(f"language {language}", str(count))
    flagged = sum(1 for _, reply, _ in rows if reply.flags)
    table.add_row("flagged for the reviewer", str(flagged))
    console.print(table)
    render_expectations(verdicts, console)
    if rows:
        timings = sorted(ms for _, _, ms in rows)
        p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
        median = timings[len(timings) // 2]
        console.print(
            f"{counted(len(rows), 'draft')}, median {median:.1f} ms, p95 {p95:.1f} ms per draft."
        )


def render_expectations(verdicts: Sequence[Verdict], console: Console) -> None:
    """Count the outcomes against `expect` and list every line that missed it, to fix.

    Prints nothing when no line carried an `expect`.
    """
    if not verdicts:
        return
    counts = tally(verdicts)
    n = counts.judged
    table = Table(title=f"Against expect ({n} lines)", title_justify="left")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for outcome, count in (
        ("answered-right", counts.answered_right),
        ("answered-wrong", counts.answered_wrong),
        ("escalated-but-answerable", counts.escalated_but_answerable),
        ("out-of-scope-answered", counts.out_of_scope_answered),
    ):
        table.add_row(outcome, str(count), f"{count / n:.0%}")
    console.print(table)
    console.print(f"{counts.matching}/{n} match their expect.")
    misses = [v for v in verdicts if not v.outcome.matches]
    if misses:
        console.print("[bold]Not matching their expect[/bold]")
    for v in misses:
        expected = _action_and_entries(v.expect.action.value, v.expect.entries)
        got = _action_and_entries(v.action.value, v.citations)
        console.print(
            f"  {escape(v.line_id)}: expected {expected}, got {got} [red]({v.outcome})[/red]"
        )


def _action_and_entries(action: str, entries: tuple[str, ...]) -> str:
    if action != "review":
        return action
    return escape(f"review [{', '.join(entries)}]")

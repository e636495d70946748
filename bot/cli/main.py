"""The `replydesk` command line: index, retrieve, draft, demo, knowledge import."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.cli.console import (
    err_console,
    indexing_progress,
    print_index_report,
    print_knowledge_errors,
    render_review,
    render_summary,
)
from bot.cli.evaluation import evaluate_drafts, render_evaluation
from bot.cli.expectations import ExpectedLine, judge_line
from bot.cli.jsonl import draft_lines, parse_line, retrieve_lines
from bot.drafting import draft_reply
from bot.errors import BotError
from bot.faq import OpenedKnowledge, import_faq
from bot.resources import SAMPLE_ENQUIRIES
from bot.settings import ServiceRole, Settings
from bot.wiring import build_drafting, open_knowledge

app = typer.Typer(
    help="ReplyDesk: personal replies to social-media enquiries, reviewed by people.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"replydesk {package_version('replydesk')}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """ReplyDesk: personal replies to social-media enquiries, reviewed by people."""


knowledge_app = typer.Typer(help="Manage FAQ and guideline files.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure what the configured drafter writes.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(eval_app, name="eval")

KnowledgeDir = Annotated[
    Path | None,
    typer.Option("--knowledge-dir", help="Folder with faq/ and guidelines/ (default: the sample)."),
]
Jsonl = Annotated[bool, typer.Option("--jsonl", help="Read JSON lines on stdin, write JSON lines.")]


def _open(settings: Settings, knowledge_dir: Path | None) -> OpenedKnowledge:
    with err_console.status("Loading the embedding model…"), indexing_progress() as progress:
        return open_knowledge(settings, knowledge_dir, progress=progress)


@app.command()
def index(knowledge_dir: KnowledgeDir = None) -> None:
    """Index a knowledge folder into Chroma; only new and changed entries are embedded."""
    settings = Settings()
    opened = _open(settings, knowledge_dir)
    print_index_report(opened.knowledge, opened.report)
    if opened.knowledge.errors:
        raise typer.Exit(code=1)


@app.command()
def retrieve(
    jsonl: Jsonl = False,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Entries per question.")] = 5,
    knowledge_dir: KnowledgeDir = None,
) -> None:
    """Rank FAQ entries for each line {"id", "text"} on stdin."""
    _require_jsonl(jsonl)
    settings = Settings()
    opened = _open(settings, knowledge_dir)
    print_knowledge_errors(opened.knowledge.errors)
    for result in retrieve_lines(sys.stdin, opened.retriever, k):
        _write(result)


@app.command()
def draft(jsonl: Jsonl = False, knowledge_dir: KnowledgeDir = None) -> None:
    """Draft a reply for each line {"id", "channel", "author_name", "text"} on stdin."""
    _require_jsonl(jsonl)
    settings = Settings()
    opened = _open(settings, knowledge_dir)
    print_knowledge_errors(opened.knowledge.errors)
    context = build_drafting(settings, opened)

    async def run() -> None:
        async for result in draft_lines(sys.stdin, context):
            _write(result)

    asyncio.run(run())


@app.command()
def demo(
    enquiries: Annotated[
        Path, typer.Option(help="JSON lines of sample enquiries.")
    ] = SAMPLE_ENQUIRIES,
) -> None:
    """Index the sample knowledge, draft replies to the sample enquiries, judge them."""
    settings = Settings()
    console = Console()
    opened = _open(settings, None)
    print_index_report(opened.knowledge, opened.report, console)
    context = build_drafting(settings, opened)
    titles = {entry.id: entry.question for entry in opened.knowledge.entries}
    clause_titles = {c.id: c.title for c in opened.knowledge.guidelines.clauses}
    rows = []
    verdicts = []

    async def run() -> None:
        lines = enquiries.read_text(encoding="utf-8").splitlines()
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            line = parse_line(raw, number, ExpectedLine)
            if isinstance(line, dict):
                console.print(f"[red]error[/red] {escape(str(line['error']))}")
                continue
            assert isinstance(line, ExpectedLine)  # noqa: S101 - parse_line returns its model
            line_id = str(line.id)
            started = time.perf_counter()
            reply = await draft_reply(context, line.text, line.channel, line.author_name)
            elapsed = (time.perf_counter() - started) * 1000
            render_review(
                line_id,
                line.channel.value,
                line.author_name,
                line.text,
                reply,
                titles,
                clause_titles,
                console,
            )
            rows.append((line_id, reply, elapsed))
            if line.expect:
                verdicts.append(judge_line(line_id, line.expect, reply))

    asyncio.run(run())
    render_summary(rows, verdicts, console)


@app.command()
def serve(
    role: Annotated[
        ServiceRole | None,
        typer.Option(
            help="all: everything (default); web: inbound only; worker: the queues only "
            "(REPLYDESK_ROLE)"
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (REPLYDESK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (REPLYDESK_PORT).")] = None,
) -> None:
    """Run the review service: Slack, channel webhooks and the queue workers over HTTP."""
    import gc
    import sys

    import uvicorn

    from bot.cli.logs import configure_service_logging
    from bot.wiring import build_runtime

    given = {"role": role, "server_host": host, "server_port": port}
    # Options given on the command line win over the environment (already typed by typer).
    settings = Settings().model_copy(
        update={name: value for name, value in given.items() if value is not None}
    )
    configure_service_logging(settings.log_level)
    runtime = asyncio.run(build_runtime(settings))
    # The models, indexes and vocabularies loaded at start-up are millions of objects that
    # live as long as the process: frozen, the garbage collector stops walking them, which
    # otherwise paused the service for seconds every few seconds under load.
    gc.collect()
    gc.freeze()
    # Drafting's CPU work runs in a thread; a shorter switch interval lets the event loop
    # take the GIL back sooner, so acknowledging stays quick while drafting runs.
    sys.setswitchinterval(0.001)
    # log_config=None: uvicorn's own config would give its loggers handlers that bypass ours.
    uvicorn.run(
        runtime.asgi(), host=settings.server_host, port=settings.server_port, log_config=None
    )


@app.command()
def stats(
    per_draft: Annotated[
        bool, typer.Option("--per-draft", help="List token usage per draft.")
    ] = False,
) -> None:
    """Show decisions, rejections, delivery states, gaps in the FAQ and token usage."""
    from bot.cli.stats import print_stats

    print_stats(Settings().resolved_database_url(), Console(), per_draft)


@eval_app.command("drafts")
def eval_drafts(
    file: Annotated[
        Path, typer.Argument(help="JSON lines: id, channel, author_name, text, optional expect.")
    ],
    knowledge_dir: KnowledgeDir = None,
) -> None:
    """Draft a reply for every enquiry in FILE with the configured drafter and measure it.

    Lines with `expect` ({"action", "entries"}) are also judged: answered right or wrong,
    escalated though answerable, answered though out of scope.
    """
    settings = Settings()
    opened = _open(settings, knowledge_dir)
    print_knowledge_errors(opened.knowledge.errors)
    context = build_drafting(settings, opened)
    lines = file.read_text(encoding="utf-8").splitlines()
    measurements = asyncio.run(evaluate_drafts(lines, context))
    # Fourteen columns: a pipe or a file gets the whole table instead of 80 squeezed columns.
    render_evaluation(measurements, Console(width=None if sys.stdout.isatty() else 200))
    if any(m.error is not None for m in measurements):
        raise typer.Exit(code=1)


@knowledge_app.command("import")
def knowledge_import(
    file: Annotated[
        Path, typer.Argument(help="A .csv or .jsonl export: id, question, answer, language, tags.")
    ],
    knowledge_dir: KnowledgeDir = None,
) -> None:
    """Convert a bulk FAQ export into faq/<id>.md files."""
    settings = Settings()
    target = knowledge_dir or settings.knowledge_dir
    report = import_faq(file, target)
    err_console.print(f"Wrote {len(report.written)} entries to {target / 'faq'}.")
    for problem in report.skipped:
        err_console.print(f"[red]error[/red] {problem}")
    if report.skipped:
        err_console.print(f"[red]{len(report.skipped)} row(s) skipped.[/red]")
        raise typer.Exit(code=1)


def _require_jsonl(jsonl: bool) -> None:
    if not jsonl:
        err_console.print("Only --jsonl is supported: pipe JSON lines to stdin.")
        raise typer.Exit(code=2)


def _write(result: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Run the CLI; known errors become one readable line and exit code 1."""
    try:
        app()
    except BotError as error:
        err_console.print(f"[red]error[/red] {error}")
        sys.exit(1)

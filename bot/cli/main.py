"""The `replydesk` command line: index, retrieve, draft, demo, serve, stats, eval, knowledge.

Each command imports what it needs when it runs, so `--help` and `--version` answer at once
instead of loading the models, Chroma and Slack first.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.failures import CONFIGURATION, debugging, report
from bot.cli.knowledge import knowledge_app
from bot.models import ServiceRole
from bot.resources import SAMPLE_ENQUIRIES

if TYPE_CHECKING:
    from bot.faq import OpenedKnowledge
    from bot.settings import Settings

app = typer.Typer(
    help="ReplyDesk: personal replies to social-media enquiries, reviewed by people.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: no value hints on flags, and no rich import just to print it.
    rich_markup_mode=None,
    add_completion=False,
)
eval_app = typer.Typer(
    help="Measure what the configured drafter writes.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(eval_app, name="eval")


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"replydesk {version('replydesk')}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of errors (as LOG_LEVEL=DEBUG does).")
    ] = False,
) -> None:
    """ReplyDesk: personal replies to social-media enquiries, reviewed by people."""


KnowledgeDir = Annotated[
    Path | None,
    typer.Option(
        "--knowledge-dir",
        help="Folder with faq/ and guidelines/ (default: REPLYDESK_KNOWLEDGE_DIR, else the "
        "sample).",
    ),
]
Jsonl = Annotated[bool, typer.Option("--jsonl", help="Read JSON lines on stdin, write JSON lines.")]


def _settings() -> Settings:
    from bot.settings import Settings

    settings = Settings()
    settings.ensure_data_dir()
    return settings


def _open(settings: Settings, knowledge_dir: Path | None) -> OpenedKnowledge:
    from bot.cli.console import err_console, indexing_progress
    from bot.wiring import open_knowledge

    with err_console.status("Loading the embedding model…"), indexing_progress() as progress:
        return open_knowledge(settings, knowledge_dir, progress=progress)


@app.command()
def index(knowledge_dir: KnowledgeDir = None) -> None:
    """Index a knowledge folder into Chroma; only new and changed entries are embedded."""
    from bot.cli.console import print_index_report

    opened = _open(_settings(), knowledge_dir)
    print_index_report(opened.knowledge, opened.report)
    if opened.knowledge.errors or not opened.knowledge.entries:
        raise typer.Exit(code=1)


@app.command()
def retrieve(
    jsonl: Jsonl = False,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Entries per question.")] = 5,
    knowledge_dir: KnowledgeDir = None,
) -> None:
    """Rank FAQ entries for each line {"id", "text"} on stdin."""
    from bot.cli.console import print_knowledge_errors
    from bot.cli.jsonl import retrieve_lines, write_line

    _require_jsonl(jsonl)
    opened = _open(_settings(), knowledge_dir)
    print_knowledge_errors(opened.knowledge.errors)
    for result in retrieve_lines(sys.stdin.buffer, opened.retriever, k):
        write_line(result)


@app.command()
def draft(jsonl: Jsonl = False, knowledge_dir: KnowledgeDir = None) -> None:
    """Draft a reply for each line {"id", "channel", "author_name", "text"} on stdin."""
    import asyncio

    from bot.cli.console import print_knowledge_errors
    from bot.cli.jsonl import draft_lines, write_line
    from bot.wiring import build_drafting

    _require_jsonl(jsonl)
    settings = _settings()
    opened = _open(settings, knowledge_dir)
    print_knowledge_errors(opened.knowledge.errors)
    context = build_drafting(settings, opened)

    async def run() -> None:
        async for result in draft_lines(sys.stdin.buffer, context):
            write_line(result)

    asyncio.run(run())


@app.command()
def demo(
    enquiries: Annotated[
        Path, typer.Option(help="JSON lines of sample enquiries.")
    ] = SAMPLE_ENQUIRIES,
) -> None:
    """Index the sample knowledge, draft replies to the sample enquiries, judge them."""
    from bot.cli.demo import run_demo

    settings = _settings()
    lines = _read_lines(enquiries)
    if not run_demo(settings, _open(settings, None), lines):
        raise typer.Exit(code=1)


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
    from bot.cli.serve import run_service

    given = {"role": role, "server_host": host, "server_port": port}
    # Options given on the command line win over the environment (already typed by typer).
    settings = _settings().model_copy(
        update={name: value for name, value in given.items() if value is not None}
    )
    run_service(settings)


@app.command()
def stats(
    since: Annotated[
        str | None, typer.Option("--since", help="First day, YYYY-MM-DD (the team's time zone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day included, YYYY-MM-DD (default: now).")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", help="Without --since: this many days before --until.")
    ] = 30,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write one row per enquiry of the period to this file."),
    ] = None,
    per_draft: Annotated[
        bool, typer.Option("--per-draft", help="List token usage per draft.")
    ] = False,
    knowledge_dir: KnowledgeDir = None,
) -> None:
    """Report a period for comms leads: volumes, decisions, response times, backlog, gaps."""
    import datetime as dt

    from rich.console import Console

    from bot.cli.stats import choose_period, parse_day, print_stats, response_targets

    settings = _settings()
    targets = response_targets(knowledge_dir or settings.knowledge_dir)
    now = dt.datetime.now(dt.UTC)
    period = choose_period(
        parse_day(since, "--since"), parse_day(until, "--until"), days, now, targets.hours.timezone
    )
    print_stats(
        settings.resolved_database_url(), Console(), period, targets, now, csv_file, per_draft
    )


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
    import asyncio

    from rich.console import Console

    from bot.cli.console import print_knowledge_errors
    from bot.cli.evaluation import evaluate_drafts, render_evaluation
    from bot.wiring import build_drafting

    lines = _read_lines(file)
    settings = _settings()
    opened = _open(settings, knowledge_dir)
    print_knowledge_errors(opened.knowledge.errors)
    context = build_drafting(settings, opened)
    measurements = asyncio.run(evaluate_drafts(lines, context))
    # Fourteen columns: a pipe or a file gets the whole table instead of 80 squeezed columns.
    render_evaluation(measurements, Console(width=None if sys.stdout.isatty() else 200))
    if any(m.error is not None for m in measurements):
        raise typer.Exit(code=1)


def _read_lines(path: Path) -> list[str]:
    """The lines of an input file; bytes that are not UTF-8 become U+FFFD, not an abort."""
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


def _require_jsonl(jsonl: bool) -> None:
    if not jsonl:
        sys.stderr.write("error: only --jsonl is supported: pipe JSON lines to stdin\n")
        raise typer.Exit(code=CONFIGURATION)


def main() -> None:
    """Run the CLI; every error becomes one line and a documented exit code (see failures)."""
    try:
        app()
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001 - the one place that turns errors into lines
        sys.exit(report(error, debug=debugging(sys.argv[1:])))

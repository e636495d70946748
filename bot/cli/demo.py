"""`replydesk demo`: draft replies to sample enquiries and show them as a reviewer would."""

from __future__ import annotations

import asyncio
import time

from rich.console import Console
from rich.markup import escape

from bot.cli.console import print_index_report, render_review, render_summary
from bot.cli.expectations import ExpectedLine, Verdict, judge_line
from bot.cli.jsonl import parse_line
from bot.drafting import DraftReply, draft_reply
from bot.faq import OpenedKnowledge
from bot.settings import Settings
from bot.wiring import build_drafting


def run_demo(settings: Settings, opened: OpenedKnowledge, lines: list[str]) -> bool:
    """Draft a reply to every line, print each card and a summary; False if a line was bad."""
    console = Console()
    print_index_report(opened.knowledge, opened.report, console)
    context = build_drafting(settings, opened)
    titles = {entry.id: entry.question for entry in opened.knowledge.entries}
    clause_titles = {c.id: c.title for c in opened.knowledge.guidelines.clauses}
    rows: list[tuple[str, DraftReply, float]] = []
    verdicts: list[Verdict] = []
    bad_lines = 0

    async def run() -> None:
        nonlocal bad_lines
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            line = parse_line(raw, number, ExpectedLine)
            if isinstance(line, dict):
                console.print(f"[red]error[/red] {escape(str(line['error']))}")
                bad_lines += 1
                continue
            started = time.perf_counter()
            reply = await draft_reply(context, line.text, line.channel, line.author_name)
            elapsed = (time.perf_counter() - started) * 1000
            line_id = str(line.id)
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
    return bad_lines == 0

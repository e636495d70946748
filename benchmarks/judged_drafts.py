"""Judged drafts: would a demanding comms lead send each draft as it is?

Drafts every sample enquiry (`bot/samples/enquiries.jsonl`) and our own realistic posts
(`benchmarks/data/judged_posts.jsonl`, German and English) with the offline drafter on the
sample knowledge, then looks up each draft's verdict in `benchmarks/data/judgements.jsonl`.
A verdict is tied to the exact draft (a hash of action and text): when the drafter changes
a draft, its old verdict no longer counts and the draft shows as "unjudged" until someone
judges it again. Nothing here judges automatically.

The judging rule (JUDGING_RULE below) is written into the report, `benchmarks/judged_drafts.md`.

Usage (from the repo root):
    .venv/bin/python benchmarks/judged_drafts.py            # figures; unjudged drafts listed
    .venv/bin/python benchmarks/judged_drafts.py --write    # also rewrite judged_drafts.md
    .venv/bin/python benchmarks/judged_drafts.py --pending FILE  # unjudged drafts as JSON lines
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SAMPLE_ENQUIRIES, SAMPLE_KNOWLEDGE, benchmark_settings, table, temp_dir  # noqa: E402

from bot.cli.evaluation import DraftMeasurement, measure_draft  # noqa: E402
from bot.cli.expectations import ExpectedLine  # noqa: E402
from bot.drafting import DraftingContext, OfflineDrafter, prepare_request  # noqa: E402
from bot.drafting.port import DraftReply  # noqa: E402
from bot.wiring import open_knowledge  # noqa: E402

HERE = Path(__file__).resolve().parent
OWN_POSTS = HERE / "data" / "judged_posts.jsonl"
JUDGEMENTS = HERE / "data" / "judgements.jsonl"
REPORT = HERE / "judged_drafts.md"
VERDICTS = ("send", "edit", "reject")
JUDGING_RULE = """\
A draft is judged as the comms lead of a German company would before posting it:

- **send** — posted unchanged. The action is right (answer, holding reply that escalates,
  or no reply); every fact comes from the cited entry and answers what was asked; language,
  Du/Sie and salutation follow the guidelines; a complaint or concern is acknowledged in
  its own terms; nothing is pasted that does not answer the customer; no marketing speak,
  no internals; it fits the channel and keeps the customer's next step. For `ignore`: no
  reply was due (spam, retweets, news, chatter, own posts, giveaway bait).
- **edit** — the action and facts are right, but a person would change the wording
  (missing acknowledgement, superfluous sentence, stiff phrasing) before posting.
- **reject** — wrong action (answers where it must escalate, ignores a customer, replies
  where none is due), a wrong or unhelpful entry, or anything that could mislead.
"""


@dataclass(frozen=True)
class Judged:
    """One draft with its checks and, if judged, the verdict."""

    line: ExpectedLine
    reply: DraftReply
    measurement: DraftMeasurement
    draft_hash: str
    verdict: str | None
    why: str


def draft_hash(reply: DraftReply) -> str:
    """Identify a draft by what a reader sees: its action and its text."""
    return hashlib.sha256(f"{reply.action.value}\n{reply.text}".encode()).hexdigest()[:12]


def read_lines(path: Path) -> list[ExpectedLine]:
    """Enquiry lines with `expect`, as `eval drafts` reads them."""
    raw = path.read_text(encoding="utf-8").splitlines()
    return [ExpectedLine.model_validate_json(line) for line in raw if line.strip()]


def read_judgements() -> dict[tuple[str, str], dict[str, str]]:
    """Verdicts keyed by (line id, draft hash)."""
    if not JUDGEMENTS.exists():
        return {}
    found = {}
    for raw in JUDGEMENTS.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            item = json.loads(raw)
            if item["verdict"] not in VERDICTS:
                raise SystemExit(f"{JUDGEMENTS}: unknown verdict {item['verdict']!r}")
            found[(item["id"], item["draft"])] = item
    return found


async def draft_all(lines: list[ExpectedLine]) -> list[Judged]:
    """Draft every line on the sample knowledge and attach its verdict, if any."""
    judgements = read_judgements()
    judged = []
    with temp_dir() as data_dir:
        opened = open_knowledge(benchmark_settings(data_dir), SAMPLE_KNOWLEDGE)
        context = DraftingContext(opened.retriever, opened.knowledge.guidelines, OfflineDrafter())
        for line in lines:
            request = prepare_request(context, line.text, line.channel, line.author_name)
            reply = await context.drafter.draft(request)
            key = draft_hash(reply)
            verdict = judgements.get((str(line.id), key), {})
            judged.append(
                Judged(
                    line,
                    reply,
                    measure_draft(str(line.id), request, reply, line.expect),
                    key,
                    verdict.get("verdict"),
                    verdict.get("why", ""),
                )
            )
    return judged


def summarise(judged: list[Judged]) -> None:
    """Print the verdict shares and the automatic checks, German and English apart."""
    rows = []
    for name, group in (
        ("all", judged),
        ("German", [j for j in judged if j.reply.language.value == "de"]),
        ("English", [j for j in judged if j.reply.language.value == "en"]),
        ("sample enquiries", [j for j in judged if str(j.line.id).startswith("s")]),
        ("own posts", [j for j in judged if str(j.line.id).startswith("j")]),
    ):
        counts = Counter(j.verdict or "unjudged" for j in group)
        done = sum(counts[v] for v in VERDICTS) or 1
        rows.append(
            [
                name,
                len(group),
                f"{counts['send'] / done:.0%} ({counts['send']})",
                f"{counts['edit'] / done:.0%} ({counts['edit']})",
                f"{counts['reject'] / done:.0%} ({counts['reject']})",
                counts["unjudged"],
                f"{sum(j.measurement.register_correct for j in group)}/{len(group)}",
                f"{sum(j.measurement.salutation_correct for j in group)}/{len(group)}",
            ]
        )
    columns = ["drafts", "n", "send", "edit", "reject", "unjudged", "register", "salutation"]
    table("Would a comms lead send it? (baseline before issue 11: send 17 %)", columns, rows)


def write_report(judged: list[Judged]) -> None:
    """Write the judging rule and every draft with its verdict to `judged_drafts.md`."""
    counts = Counter(j.verdict or "unjudged" for j in judged)
    done = sum(counts[v] for v in VERDICTS) or 1
    out = [
        "# Judged drafts",
        "",
        "Written by `benchmarks/judged_drafts.py --write`: every sample enquiry and our own",
        "realistic posts (`benchmarks/data/judged_posts.jsonl`), drafted offline on the sample",
        "knowledge, with the verdict from `benchmarks/data/judgements.jsonl`.",
        "",
        "## Judging rule",
        "",
        JUDGING_RULE,
        "## Result",
        "",
        f"{len(judged)} drafts: send {counts['send']} ({counts['send'] / done:.0%}), "
        f"edit {counts['edit']}, reject {counts['reject']}, unjudged {counts['unjudged']}.",
        "",
    ]
    for j in judged:
        reply = j.reply
        out += [
            f"### {j.line.id} · {j.line.channel.value} · {j.verdict or 'unjudged'}",
            "",
            f"> {j.line.text}",
            "",
            f"Action `{reply.action.value}`, cites {', '.join(reply.citations) or 'nothing'}, "
            f"flags {', '.join(reply.flags) or 'none'}; "
            f"sentences {reply.sentences_taken}/{reply.sentences_available}.",
            "",
            "```text",
            reply.text or "(no reply)",
            "```",
            "",
        ]
        if j.why:
            out += [f"Why: {j.why}", ""]
    REPORT.write_text("\n".join(out), encoding="utf-8")


def main() -> int:
    """Draft, look up verdicts, print the shares; optionally write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite judged_drafts.md")
    parser.add_argument("--pending", type=Path, help="write unjudged drafts here (JSON lines)")
    args = parser.parse_args()
    lines = read_lines(SAMPLE_ENQUIRIES) + read_lines(OWN_POSTS)
    judged = asyncio.run(draft_all(lines))
    summarise(judged)
    if args.pending:
        with args.pending.open("w", encoding="utf-8") as out:
            for j in judged:
                if j.verdict is None:
                    item = {
                        "id": str(j.line.id),
                        "draft": j.draft_hash,
                        "channel": j.line.channel.value,
                        "author_name": j.line.author_name,
                        "post": j.line.text,
                        "action": j.reply.action.value,
                        "citations": list(j.reply.citations),
                        "flags": list(j.reply.flags),
                        "reply": j.reply.text,
                    }
                    out.write(json.dumps(item, ensure_ascii=False) + "\n")
    if args.write:
        write_report(judged)
        print(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

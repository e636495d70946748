"""The JSON-lines contract of `replydesk retrieve --jsonl` and `replydesk draft --jsonl`.

One output line per input line, in order. A line that cannot be used becomes
`{"id": ..., "error": "..."}` on that line; the run goes on. Input is read as bytes, so a
line that is not UTF-8 is one error object too, not the end of the run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.drafting.language import detect_language
from bot.drafting.pipeline import DraftingContext, draft_reply
from bot.faq.retrieval import Searcher
from bot.models import Channel

JsonId = str | int | None
T = TypeVar("T", bound="RetrieveLine")
MAX_TEXT_CHARS = 10_000


class RetrieveLine(BaseModel):
    """An input line of `retrieve --jsonl`."""

    model_config = ConfigDict(extra="ignore")

    id: str | int
    text: str

    @field_validator("text")
    @classmethod
    def _text_is_usable(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"text is longer than {MAX_TEXT_CHARS} characters")
        return value


class DraftLine(RetrieveLine):
    """An input line of `draft --jsonl`."""

    channel: Channel
    author_name: str | None = None


def retrieve_lines(
    lines: Iterable[str | bytes], retriever: Searcher, k: int
) -> Iterator[dict[str, object]]:
    """Answer each input line with the `k` best entries and their calibrated scores."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = parse_line(line, number, RetrieveLine)
        if isinstance(parsed, dict):
            yield parsed
            continue
        language = detect_language(parsed.text).language
        passages = retriever.search(parsed.text, language, k=k)
        yield {
            "id": parsed.id,
            "results": [{"entry_id": p.entry.id, "score": round(p.score, 4)} for p in passages],
        }


async def draft_lines(
    lines: Iterable[str | bytes], context: DraftingContext
) -> AsyncIterator[dict[str, object]]:
    """Answer each input line with a draft reply."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = parse_line(line, number, DraftLine)
        if isinstance(parsed, dict):
            yield parsed
            continue
        assert isinstance(parsed, DraftLine)  # noqa: S101 - parse_line returns its model
        reply = await draft_reply(context, parsed.text, parsed.channel, parsed.author_name)
        yield {
            "id": parsed.id,
            "language": reply.language.value,
            "reply": reply.text,
            "citations": list(reply.citations),
            "guideline_clauses": list(reply.guideline_clauses),
            "confidence": reply.confidence,
            "action": reply.action.value,
            "flags": list(reply.flags),
        }


def write_line(result: dict[str, object]) -> None:
    """Write one output line to stdout at once, so a pipe sees each result as it is made."""
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def parse_line(line: str | bytes, number: int, model: type[T]) -> T | dict[str, object]:
    """Read one input line into `model`, or into the `{"id", "error"}` object that replaces it.

    The error is one line naming the line number and each bad field, so a long file can be
    fixed from the output alone; the id is kept when it is usable.
    """
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return {
                "id": None,
                "error": f"line {number}: not UTF-8 (byte {line[error.start]:#04x} at "
                f"position {error.start})",
            }
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        return {"id": None, "error": f"line {number}: not valid JSON ({error.msg})"}
    if not isinstance(raw, dict):
        return {"id": None, "error": f"line {number}: expected a JSON object"}
    line_id = raw.get("id")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in error.errors()
        )
        safe_id: JsonId = line_id if isinstance(line_id, str | int) else None
        return {"id": safe_id, "error": f"line {number}: {problems}"}

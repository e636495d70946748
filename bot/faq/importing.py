"""Converts a bulk FAQ export (CSV or JSON lines) into `faq/<id>.md` files.

Fields: id, question, answer, language, optional tags (a list, or a string split at `,` or
`;`). A row that cannot be converted is reported with its row number and skipped.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import InputError
from bot.models import Language

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")


@dataclass
class ImportReport:
    """What an import wrote and what it skipped."""

    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def import_faq(source: Path, knowledge_dir: Path) -> ImportReport:
    """Write one Markdown file per row of `source` into `knowledge_dir/faq/`.

    Raises:
        InputError: the file is missing or neither .csv nor .jsonl.
    """
    rows = _read_rows(source)
    target = knowledge_dir / "faq"
    target.mkdir(parents=True, exist_ok=True)
    report = ImportReport()
    seen: set[str] = set()
    for number, row in rows:
        try:
            entry_id, text = _to_markdown(row)
        except InputError as error:
            report.skipped.append(f"{source.name} row {number}: {error}")
            continue
        if entry_id in seen:
            report.skipped.append(f"{source.name} row {number}: duplicate id {entry_id!r}")
            continue
        seen.add(entry_id)
        (target / f"{entry_id}.md").write_text(text, encoding="utf-8")
        report.written.append(entry_id)
    return report


def _read_rows(source: Path) -> Iterator[tuple[int, dict[str, object]]]:
    if not source.is_file():
        raise InputError(f"{source}: file not found")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(source)
    if suffix in {".jsonl", ".ndjson"}:
        return _jsonl_rows(source)
    raise InputError(f"{source}: expected a .csv or .jsonl file")


def _csv_rows(source: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            yield number, {key.strip().lower(): value for key, value in row.items() if key}


def _jsonl_rows(source: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, {"__error__": f"not valid JSON ({error.msg})"}
                continue
            yield number, row if isinstance(row, dict) else {"__error__": "not a JSON object"}


def _to_markdown(row: dict[str, object]) -> tuple[str, str]:
    if "__error__" in row:
        raise InputError(str(row["__error__"]))
    entry_id = _field(row, "id")
    if not _SAFE_ID.match(entry_id):
        raise InputError(f"id {entry_id!r} may only hold letters, digits, '-', '_' and '.'")
    question = _field(row, "question")
    answer = _field(row, "answer")
    language = _field(row, "language").lower()
    if language not in {item.value for item in Language}:
        raise InputError(f"unknown language {language!r} (expected 'de' or 'en')")
    meta: dict[str, object] = {"id": entry_id, "question": question, "language": language}
    tags = _tags(row.get("tags"))
    if tags:
        meta["tags"] = tags
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return entry_id, f"---\n{front}---\n{answer.strip()}\n"


def _field(row: dict[str, object], name: str) -> str:
    value = row.get(name)
    if value is None or not str(value).strip():
        raise InputError(f"missing {name!r}")
    return str(value).strip()


def _tags(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(tag).strip() for tag in value if str(tag).strip()]
    return [tag.strip() for tag in re.split(r"[,;]", str(value)) if tag.strip()]

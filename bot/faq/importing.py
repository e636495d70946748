"""Turns the rows of a bulk FAQ export into `faq/<id>.md` files a knowledge editor can trust.

Columns: id, question, answer, language; optional alternate_questions (a list, or in a
text split at `|` or line breaks), tags (a list, or split at `,`, `;` or `|`),
translation_of (an entry id) and valid_until (YYYY-MM-DD). They become the front matter
`bot.faq.files` reads, the answer the body.

An existing entry is never overwritten by accident: without `update` a row that would
change it is refused. With `update` the row is merged in: its non-empty fields replace
the entry's, every other front-matter key and (without an answer) the body stay as they
are, and a file is only rewritten when something changed. Each file is written to a
temporary name beside it, read back with the knowledge loader, then renamed over the
target: the folder never holds a half-written or unreadable entry.

Usage:
    report = import_faq(Path("faq.csv"), Path("/srv/knowledge"), update=True)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import frontmatter
import yaml

from bot.errors import InputError, KnowledgeError
from bot.faq.exports import ROW_ERROR, read_export
from bot.faq.files import parse_faq_file
from bot.models import Language

# What an entry id may look like: it names the file, so nothing that walks out of `faq/`.
ENTRY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
REQUIRED_COLUMNS = ("id", "question", "answer", "language")
# Front-matter keys a row may carry, in the order a new entry lists them.
_META_COLUMNS = (
    "question",
    "language",
    "alternate_questions",
    "tags",
    "translation_of",
    "valid_until",
)
KNOWN_COLUMNS = ("id", "answer", *_META_COLUMNS)
# Long questions stay on one line instead of being folded by the YAML writer.
_YAML_WIDTH = 10_000


class Outcome(StrEnum):
    """What happened to one row."""

    WRITTEN = "written"  # a new entry file
    UPDATED = "updated"  # an existing entry, merged with the row (update=True)
    UNCHANGED = "unchanged"  # the existing entry already says what the row says
    REFUSED = "refused"  # the row would change an existing entry; needs update=True
    SKIPPED = "skipped"  # the row cannot be used; `problem` says why


@dataclass(frozen=True)
class RowResult:
    """One row's outcome: its number, the entry id and file if known, the problem if any."""

    row: int
    outcome: Outcome
    entry_id: str | None = None
    file: str | None = None  # relative to the knowledge folder, e.g. "faq/gift-wrap-de.md"
    problem: str | None = None


@dataclass(frozen=True)
class ImportReport:
    """What an import read, wrote, kept and refused.

    Attributes:
        source: the export file.
        folder: the `faq/` folder written to.
        encoding: "UTF-8", "UTF-8 with BOM", "UTF-16" or "Windows-1252".
        separator: ",", ";" or a tab for CSV; None for JSON lines.
        results: one per non-empty row, in file order.
        ignored_columns: columns the knowledge format has no place for.
    """

    source: Path
    folder: Path
    encoding: str
    separator: str | None
    results: tuple[RowResult, ...]
    ignored_columns: tuple[str, ...] = ()

    def count(self, outcome: Outcome) -> int:
        """How many rows ended with `outcome`."""
        return sum(1 for result in self.results if result.outcome is outcome)

    def ids(self, outcome: Outcome) -> list[str]:
        """The entry ids of the rows that ended with `outcome`."""
        return [r.entry_id for r in self.results if r.outcome is outcome and r.entry_id]

    @property
    def problems(self) -> tuple[RowResult, ...]:
        """Refused and skipped rows, in file order."""
        return tuple(r for r in self.results if r.outcome in {Outcome.REFUSED, Outcome.SKIPPED})


def import_faq(source: Path, knowledge_dir: Path, *, update: bool = False) -> ImportReport:
    """Write one `faq/<id>.md` file per row of `source` into `knowledge_dir`.

    Args:
        source: a .csv, .tsv, .jsonl or .ndjson export.
        knowledge_dir: the knowledge folder; `faq/` is created in it when missing.
        update: merge rows into existing entries instead of refusing them. Only `id` is
            then a required column, so a sheet of ids and dates can extend `valid_until`.

    Raises:
        InputError: the file cannot be read at all (see `bot.faq.exports.read_export`).
    """
    export = read_export(source, ("id",) if update else REQUIRED_COLUMNS)
    folder = knowledge_dir / "faq"
    folder.mkdir(parents=True, exist_ok=True)
    existing = entry_files(folder)
    first_rows: dict[str, int] = {}
    results = []
    for number, row in export.rows:
        try:
            entry_id = _entry_id(row)
        except InputError as error:
            results.append(RowResult(number, Outcome.SKIPPED, problem=str(error)))
            continue
        if entry_id in first_rows:
            problem = f"id {entry_id!r} is already on row {first_rows[entry_id]}"
            results.append(RowResult(number, Outcome.SKIPPED, entry_id, problem=problem))
            continue
        first_rows[entry_id] = number
        path = existing.get(entry_id, folder / f"{entry_id}.md")
        file = f"{folder.name}/{path.name}"
        try:
            outcome = _import_row(entry_id, row, path, update=update)
        except InputError as error:
            results.append(RowResult(number, Outcome.SKIPPED, entry_id, file, str(error)))
            continue
        results.append(RowResult(number, outcome, entry_id, file))
    ignored = tuple(name for name in export.columns if name and name not in KNOWN_COLUMNS)
    return ImportReport(source, folder, export.encoding, export.separator, tuple(results), ignored)


def _import_row(entry_id: str, row: dict[str, object], path: Path, *, update: bool) -> Outcome:
    fields = _row_fields(row, entry_id)
    if not path.exists():
        missing = [name for name in REQUIRED_COLUMNS[1:] if name not in fields]
        if missing:
            raise InputError("missing " + ", ".join(repr(name) for name in missing))
        meta = {"id": entry_id, **{key: fields[key] for key in _META_COLUMNS if key in fields}}
        write_entry_file(path, render_entry(meta, str(fields["answer"])))
        return Outcome.WRITTEN
    meta, body = _read_entry(path, entry_id)
    answer = fields.pop("answer", None)
    merged = {**meta, "id": entry_id, **fields}
    new_body = body if answer is None else str(answer)
    if merged == meta and new_body == body:
        return Outcome.UNCHANGED
    if not update:
        return Outcome.REFUSED
    write_entry_file(path, render_entry(merged, new_body))
    return Outcome.UPDATED


def entry_files(folder: Path) -> dict[str, Path]:
    """Map each entry id already in `folder` (a `faq/` folder) to its file, whatever its name."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            entry_id = frontmatter.loads(path.read_text(encoding="utf-8")).metadata.get("id")
        except (yaml.YAMLError, ValueError, UnicodeDecodeError):
            continue  # merging into it reports the problem; the loader lists it too
        if entry_id is not None:
            found.setdefault(str(entry_id).strip(), path)
    return found


def _read_entry(path: Path, entry_id: str) -> tuple[dict[str, object], str]:
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError, UnicodeDecodeError):
        raise InputError(
            f"faq/{path.name} cannot be read (front matter is not valid YAML): fix it first"
        ) from None
    meta = dict(post.metadata)
    if "id" in meta and str(meta["id"]).strip() != entry_id:
        raise InputError(f"faq/{path.name} holds the entry {meta['id']!r}, not {entry_id!r}")
    return meta, post.content.strip()


def _entry_id(row: dict[str, object]) -> str:
    if ROW_ERROR in row:
        raise InputError(str(row[ROW_ERROR]))
    entry_id = _text(row.get("id"))
    if entry_id is None:
        raise InputError("missing 'id'")
    if not ENTRY_ID_PATTERN.match(entry_id):
        raise InputError(f"id {entry_id!r} may only hold letters, digits, '-', '_' and '.'")
    return entry_id


def _row_fields(row: dict[str, object], entry_id: str) -> dict[str, object]:
    """The fields `row` carries, as front matter holds them; empty cells are left out."""
    fields: dict[str, object] = {}
    for name in ("question", "answer"):
        text = _text(row.get(name))
        if text is not None:
            fields[name] = text
    language = _text(row.get("language"))
    if language is not None:
        if language.lower() not in {item.value for item in Language}:
            raise InputError(f"unknown language {language!r} (expected 'de' or 'en')")
        fields["language"] = language.lower()
    alternates = _items(row.get("alternate_questions"), r"[|\n]")
    if alternates:
        fields["alternate_questions"] = alternates
    tags = _items(row.get("tags"), r"[,;|\n]")
    if tags:
        fields["tags"] = tags
    translation_of = _text(row.get("translation_of"))
    if translation_of is not None:
        if not ENTRY_ID_PATTERN.match(translation_of):
            raise InputError(f"translation_of {translation_of!r} is not an entry id")
        if translation_of == entry_id:
            raise InputError("translation_of names the entry itself")
        fields["translation_of"] = translation_of
    valid_until = _date(row.get("valid_until"))
    if valid_until is not None:
        fields["valid_until"] = valid_until
    return fields


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").strip()
    return text or None


def _items(value: object, separators: str) -> list[str]:
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(separators, _text(value) or "")
    return [item for item in (_text(part) for part in parts) if item]


def _date(value: object) -> dt.date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    german = _GERMAN_DATE.match(text)
    hint = ""
    if german:
        day, month, year = (int(part) for part in german.groups())
        hint = f", e.g. {year:04d}-{month:02d}-{day:02d}"
    raise InputError(f"valid_until {text!r} is not a date: write YYYY-MM-DD{hint}")


def render_entry(meta: dict[str, object], answer: str) -> str:
    """The text of an entry file: `meta` as YAML front matter (in its order), `answer` below."""
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=_YAML_WIDTH)
    return f"---\n{front}---\n{answer.strip()}\n"


def write_entry_file(path: Path, text: str) -> None:
    """Write `text` to a temporary file, check the loader reads it, then rename it to `path`.

    Shared with `bot.faq.editing`: every entry ReplyDesk writes goes through here.

    Raises:
        InputError: the knowledge loader would reject the entry; `path` is left as it was.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # "x": a new file with the usual permissions (0666 less the umask).
        with temporary.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        try:
            parse_faq_file(temporary)
        except KnowledgeError as error:
            raise InputError(f"the entry would not load: {error.problem}") from None
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)

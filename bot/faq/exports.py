"""Reads a bulk FAQ export (CSV or JSON lines) into numbered rows, whatever saved it.

Spreadsheets save CSV in more than one way: UTF-8 with or without a byte order mark,
Windows-1252 (German Excel's "CSV (Trennzeichen-getrennt)"), UTF-16 ("Unicode-Text"), with
`,`, `;` or a tab between cells. `read_export` finds out which and reports it; a file that
cannot be read at all raises `InputError`, a row that cannot be read becomes an error row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError

# The key an unreadable row carries instead of fields; its value says what is wrong.
ROW_ERROR = "__error__"
SEPARATORS = ",;\t"
_CSV_SUFFIXES = {".csv", ".tsv"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_SHEET_SUFFIXES = {".xlsx", ".xls", ".ods", ".numbers"}
# Enough lines for the sniffer to see the pattern, few enough to stay quick.
_SNIFF_LINES = 50
# Windows, Unix and old Mac line ends (Excel 2011 for Mac ends CSV lines with "\r").
_LINE_END = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class ExportRows:
    """The rows of an export, with how the file was written.

    Attributes:
        encoding: "UTF-8", "UTF-8 with BOM", "UTF-16" or "Windows-1252".
        separator: ",", ";" or a tab for CSV; None for JSON lines.
        columns: the column names (CSV header, or every key of JSON lines), lower case.
        rows: (row number, fields) per row; CSV rows are numbered as a spreadsheet shows
            them (the header is row 1), JSON lines by line. An unreadable row holds only
            `ROW_ERROR`.
    """

    encoding: str
    separator: str | None
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, object]], ...]


def read_export(source: Path, required: Sequence[str]) -> ExportRows:
    """Read `source` (.csv, .tsv, .jsonl or .ndjson), detecting encoding and separator.

    Args:
        source: the export file.
        required: columns a CSV header must have (JSON lines are checked row by row).

    Raises:
        InputError: the file is missing, has another suffix, is not text, is empty, or its
            header lacks a required column (named).
    """
    if not source.is_file():
        raise InputError(f"{source}: file not found")
    suffix = source.suffix.lower()
    if suffix not in _CSV_SUFFIXES | _JSONL_SUFFIXES:
        hint = ": save the sheet as CSV" if suffix in _SHEET_SUFFIXES else ""
        raise InputError(f"{source}: expected a .csv, .tsv or .jsonl file{hint}")
    text, encoding = decode_export(source.read_bytes(), source)
    if not text.strip():
        raise InputError(f"{source}: the file is empty")
    if suffix in _JSONL_SUFFIXES:
        rows = _jsonl_rows(text)
        keys = {key for _, row in rows for key in row if key != ROW_ERROR}
        return ExportRows(encoding, None, tuple(sorted(keys)), rows)
    separator = detect_separator(text, required)
    header, rows = _csv_rows(text, separator)
    missing = [name for name in required if name not in header]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        found = ", ".join(repr(name) for name in header if name) or "nothing"
        raise InputError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {names} "
            f"(the header holds {found})"
        )
    if not rows:
        raise InputError(f"{source}: no rows below the header")
    return ExportRows(encoding, separator, header, rows)


def decode_export(data: bytes, source: Path) -> tuple[str, str]:
    """Decode an export: UTF-16 by its byte order mark, else strict UTF-8, else Windows-1252.

    No statistical guess (charset-normalizer, chardet): on the few short lines of an FAQ
    export it can pick a neighbouring code page (Windows-1250, Latin-1, Mac Roman) and
    turn "€" or "ß" into something else without a sign. Strict UTF-8 decoding instead
    checks itself: Windows-1252 text with an umlaut or "€" is practically never valid
    UTF-8, so a file that decodes is UTF-8, and one that does not is, for the people who
    export our FAQs (German Excel on Windows), Windows-1252. The rare bytes Windows-1252
    leaves undefined make the file unreadable rather than silently wrong.

    Returns:
        The text and the encoding's name as the summary shows it.

    Raises:
        InputError: the file holds NUL bytes (not text) or is neither UTF-8 nor Windows-1252.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise InputError(f"{source}: starts like UTF-16 but is not valid UTF-16") from None
    if b"\x00" in data:
        raise InputError(f"{source}: not a text file (it holds NUL bytes); export it as CSV")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            raise InputError(f"{source}: starts like UTF-8 but is not valid UTF-8") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise InputError(
            f"{source}: neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8'"
        ) from None


def detect_separator(text: str, required: Sequence[str]) -> str:
    """Find the cell separator: `,`, `;` or a tab.

    Candidates in order: what `csv.Sniffer` (limited to those three) finds in the first
    lines, the one the header line holds most often, then the rest. The first candidate
    that splits the header into the required columns wins; when none does, the header
    count decides, and the caller reports the missing columns.
    """
    # Line ends only: str.splitlines() also splits at characters a text cell may hold.
    lines = _LINE_END.split(text, maxsplit=_SNIFF_LINES)[:_SNIFF_LINES]
    header = lines[0]
    candidates: list[str] = []
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=SEPARATORS)
        candidates.append(sniffed.delimiter)
    except csv.Error:
        pass
    # max() keeps the first of equals: ',' before ';' before a tab.
    by_count = max(SEPARATORS, key=header.count)
    candidates += [by_count, *SEPARATORS]
    for separator in candidates:
        names = _header_names(next(csv.reader([header], delimiter=separator), []))
        if all(name in names for name in required):
            return separator
    return by_count


def _csv_rows(
    text: str, separator: str
) -> tuple[tuple[str, ...], tuple[tuple[int, dict[str, object]], ...]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = _header_names(next(reader, []))
    rows: list[tuple[int, dict[str, object]]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        # More cells than columns: most likely a separator inside an unquoted text, which
        # shifts every later cell; even an empty extra cell means the row is misaligned.
        if len(cells) > len(header):
            shown = "a tab" if separator == "\t" else f"'{separator}'"
            problem = (
                f"{len(cells)} cells but the header has {len(header)} columns "
                f"(is a {shown} inside a text not in quotes?)"
            )
            rows.append((number, {ROW_ERROR: problem}))
            continue
        fields: dict[str, object] = {
            name: cell for name, cell in zip(header, cells, strict=False) if name
        }
        rows.append((number, fields))
    return header, tuple(rows)


def _header_names(cells: list[str]) -> tuple[str, ...]:
    """Column names as the format spells them: "Alternate Questions" -> "alternate_questions"."""
    return tuple("_".join(cell.strip().lower().replace("-", " ").split()) for cell in cells)


def _jsonl_rows(text: str) -> tuple[tuple[int, dict[str, object]], ...]:
    rows: list[tuple[int, dict[str, object]]] = []
    # "\n" only: JSON may hold U+2028 unescaped, which str.splitlines() would split at.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append((number, {ROW_ERROR: f"not valid JSON ({error.msg})"}))
            continue
        if not isinstance(row, dict):
            rows.append((number, {ROW_ERROR: "not a JSON object"}))
            continue
        rows.append((number, {str(key).strip().lower(): value for key, value in row.items()}))
    return tuple(rows)

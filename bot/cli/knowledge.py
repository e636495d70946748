"""`replydesk knowledge …`: commands for knowledge editors (bulk import of FAQ exports)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot.cli.counting import counted
from bot.resources import SAMPLE_KNOWLEDGE_DIR

if TYPE_CHECKING:
    from bot.faq.importing import ImportReport

knowledge_app = typer.Typer(
    help="Manage FAQ and guideline files.", no_args_is_help=True, rich_markup_mode=None
)

# bot/cli/knowledge.py -> bot/: an installed wheel keeps its sample knowledge in here.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_NO_TARGET = (
    "knowledge import needs a target folder: pass --knowledge-dir DIR or set "
    "REPLYDESK_KNOWLEDGE_DIR (the shipped sample is read-only)"
)
_SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab"}


@knowledge_app.command("import")
def knowledge_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .csv, .tsv or .jsonl export: id, question, answer, language; optional "
            "alternate_questions, tags, translation_of, valid_until (YYYY-MM-DD)."
        ),
    ],
    knowledge_dir: Annotated[
        Path | None,
        typer.Option(
            "--knowledge-dir",
            help="Folder with faq/ and guidelines/ to write to (default: "
            "REPLYDESK_KNOWLEDGE_DIR; the shipped sample is read-only).",
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Merge rows into existing entries: the row's fields replace theirs, "
            "everything the row leaves empty is kept.",
        ),
    ] = False,
) -> None:
    """Convert a bulk FAQ export into faq/<id>.md files; existing entries need --update.

    Exit codes: 0 every row was imported or already up to date; 1 some rows were refused
    or skipped (listed with their row numbers); 2 nothing was read: no target folder, or
    the file cannot be read.
    """
    # Loaded here, not at import: `replydesk --help` stays instant.
    from rich.markup import escape

    from bot.errors import InputError
    from bot.faq.importing import Outcome, import_faq

    target = _import_target(knowledge_dir)
    if target is None:
        _fail(_NO_TARGET)
    try:
        report = import_faq(file, target, update=update)
    except InputError as error:
        _fail(str(error))
    for result in report.problems:
        where = f"{report.source.name} row {result.row}"
        if result.outcome is Outcome.REFUSED:
            _line(
                f"[yellow]refused:[/yellow] {escape(where)}: "
                f"{escape(str(result.file))} exists: pass --update to merge"
            )
        else:
            _line(f"[red]error:[/red] {escape(where)}: {escape(str(result.problem))}")
    if report.ignored_columns:
        names = ", ".join(report.ignored_columns)
        _line(f"note: columns the knowledge format has no place for were ignored: {escape(names)}")
    _line(escape(summarise_import(report, update=update)))
    if report.problems:
        raise typer.Exit(code=1)


def summarise_import(report: ImportReport, *, update: bool) -> str:
    """One line: what was read (encoding, separator) and what became of the rows.

    Example: "Imported faq.csv (Windows-1252, ';') into kb/faq: 3 entries written,
    1 updated, 2 refused (already exist: pass --update), 1 row skipped."
    """
    from bot.faq.importing import Outcome

    written = report.count(Outcome.WRITTEN)
    updated = report.count(Outcome.UPDATED)
    unchanged = report.count(Outcome.UNCHANGED)
    refused = report.count(Outcome.REFUSED)
    skipped = report.count(Outcome.SKIPPED)
    parts = [f"{counted(written, 'entry', 'entries')} written"]
    if update or updated:
        parts.append(f"{updated} updated")
    if update or unchanged:
        parts.append(f"{unchanged} unchanged")
    if refused:
        verb = "exists" if refused == 1 else "exist"
        parts.append(f"{refused} refused (already {verb}: pass --update)")
    if skipped:
        parts.append(f"{counted(skipped, 'row')} skipped")
    separator = "JSON lines" if report.separator is None else _SEPARATOR_NAMES[report.separator]
    return (
        f"Imported {report.source.name} ({report.encoding}, {separator}) into "
        f"{report.folder}: {', '.join(parts)}."
    )


def _import_target(knowledge_dir: Path | None) -> Path | None:
    """The folder to import into, or None when none was named or it is the shipped sample.

    The sample is the default knowledge folder: in a source checkout `knowledge/` beside
    the package, in a wheel inside it. Importing into it unasked would change the sample
    (or an installed package), so the target must be named; a named folder inside the
    package is refused too.
    """
    if knowledge_dir is None:
        from bot.settings import Settings

        knowledge_dir = Settings().knowledge_dir
        if knowledge_dir.resolve() == SAMPLE_KNOWLEDGE_DIR.resolve():
            return None
    if knowledge_dir.resolve().is_relative_to(_PACKAGE_DIR):
        return None
    return knowledge_dir


def _line(markup: str) -> None:
    from bot.cli.console import err_console

    # One line however long: a wrapped path or summary is hard to read back and to grep.
    err_console.print(markup, soft_wrap=True, highlight=False)


def _fail(message: str) -> NoReturn:
    from rich.markup import escape

    _line(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)

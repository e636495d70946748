"""`replydesk knowledge …`: commands for knowledge editors: bulk import, history, restore."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from bot.resources import SAMPLE_KNOWLEDGE_DIR

if TYPE_CHECKING:
    from bot.faq.importing import ImportReport
    from bot.storage import Database, KnowledgeEdit

_Result = TypeVar("_Result")

knowledge_app = typer.Typer(
    help="Manage FAQ and guideline files.", no_args_is_help=True, rich_markup_mode=None
)

# bot/cli/knowledge.py -> bot/: an installed wheel keeps its sample knowledge in here.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_NO_TARGET = (
    "knowledge {command} needs a target folder: pass --knowledge-dir DIR or set "
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
        _fail(_NO_TARGET.format(command="import"))
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
    from bot.wording import counted

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


KnowledgeDirOption = Annotated[
    Path | None,
    typer.Option(
        "--knowledge-dir",
        help="Folder with faq/ and guidelines/ (default: REPLYDESK_KNOWLEDGE_DIR).",
    ),
]


@knowledge_app.command("history")
def knowledge_history(
    entry_id: Annotated[str, typer.Argument(help="The entry's id, e.g. returns-window-de.")],
    knowledge_dir: KnowledgeDirOption = None,
) -> None:
    """List the versions of an entry recorded by ReplyDesk, newest first.

    One line per version: number, action (create, edit, restore), who, when (UTC) and
    which fields changed. Edits made to the files by hand are not recorded.

    Exit codes: 0 listed (also when none is recorded); 3 the database did not answer.
    """
    from bot.services import entry_history
    from bot.settings import Settings

    folder = knowledge_dir or Settings().knowledge_dir
    edits = _with_database(lambda db: entry_history(db, folder, entry_id))
    if not edits:
        _line(f"no versions of {entry_id} recorded for {folder}")
        return
    for line in history_lines(edits):
        typer.echo(line)


@knowledge_app.command("restore")
def knowledge_restore(
    entry_id: Annotated[str, typer.Argument(help="The entry's id, e.g. returns-window-de.")],
    version: Annotated[int, typer.Argument(help="The version to bring back (see history).")],
    knowledge_dir: KnowledgeDirOption = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who restores (default: the OS user).")
    ] = None,
) -> None:
    """Write an older version of an entry back to its file, recorded as a new version.

    Exit codes: 0 restored; 1 refused: another editor saved the entry at the same moment;
    2 no target folder, no such version, or the file already reads as that version;
    3 the database did not answer.
    """
    from rich.markup import escape

    from bot.errors import ConflictError, InputError, NotFoundError
    from bot.services import restore_version

    target = _import_target(knowledge_dir)
    if target is None:
        _fail(_NO_TARGET.format(command="restore"))
    editor = by or _os_user()
    try:
        edit = _with_database(lambda db: restore_version(db, target, entry_id, version, editor))
    except ConflictError as error:
        _line(f"[yellow]refused:[/yellow] {escape(str(error))}")
        raise typer.Exit(code=1) from None
    except (NotFoundError, InputError) as error:
        _fail(str(error))
    _line(
        escape(
            f"Restored {entry_id} to version {version} as version {edit.version} "
            f"(by {edit.edited_by}); a running service re-indexes within seconds."
        )
    )


def history_lines(edits: Sequence[KnowledgeEdit]) -> list[str]:
    """One line per version, as `knowledge history` prints them.

    Example: "v3  restore  alice  2026-12-02 10:15 UTC  answer, valid_until (as v1)".
    """
    from bot.faq.editing import changed_fields
    from bot.storage import EditAction

    lines = []
    for edit in edits:
        if edit.action is EditAction.CREATE:
            what = "created"
        else:
            what = ", ".join(changed_fields(edit.before, edit.after)) or "no field changed"
        if edit.action is EditAction.RESTORE:
            same = next(
                (o.version for o in edits if o.version < edit.version and o.after == edit.after),
                None,
            )
            what += f" (as v{same})" if same is not None else ""
        when = edit.edited_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"v{edit.version}  {edit.action}  {edit.edited_by}  {when}  {what}")
    return lines


def _with_database(work: Callable[[Database], Coroutine[object, object, _Result]]) -> _Result:
    """Open the database the service uses (migrating it), run `work` on it, close it."""
    import asyncio

    from bot.settings import Settings
    from bot.storage import Database

    async def run() -> _Result:
        settings = Settings()
        if not settings.database_url:
            settings.ensure_data_dir()
        db = Database(settings.resolved_database_url())
        try:
            await db.migrate()
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        _fail("cannot tell who you are: pass --by NAME")
